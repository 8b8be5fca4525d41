#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What sync-before-send adds to an IKE exchange (issue 5, docs/replication.md): the strongSwan
# branch sets up one IKE_SA + CHILD_SA (aes128gcm16-prfsha256-ecp256, PSK) with tandem on gw1
# and tears it down, N times in a row (swanctl --initiate blocks until the Child SA is up),
# first with gw1 alone (no cluster: every datagram leaves at once), then with gw1 active in a
# two-node cluster whose standby gw2 receives every change (each response waits until its
# state came back through corosync). Prints, for both, the median and p90 of the setup time the
# branch sees (swanctl, noisy: process start-up) and of tandem's response time per exchange
# (request in -> response out on gw1's WAN interface, tcpdump timestamps: IKE_SA_INIT on 500,
# IKE_AUTH on 4500), the differences, and gw1's own-change -> delivered latency. Needs root;
# TANDEM_BUILD.
#   usage: bench_sync_ike.sh [N]        (default 40)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lab/lib/lab.sh
source "$here/../lab/lib/lab.sh"
# shellcheck source=../lab/sync-common.sh
source "$here/../lab/sync-common.sh"
[[ $(id -u) -eq 0 ]] || exit 77
N=${1:-40}
export LAB_CHARON_LOG="default=0 ike=0 knl=0 esp=0 cfg=0 net=0 enc=0"

lab_init
lab_topology_up 2
SW=$LAB_DIR/br/swanctl

setups() { # setups OUT: N timed setups, one per line (ms)
	local i t0
	: >"$1"
	for ((i = 0; i < N; i++)); do
		t0=$(lab_now_ms)
		lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
		echo $(($(lab_now_ms) - t0)) >>"$1"
		lab_swanctl br --terminate --ike tandem >/dev/null 2>&1 || true
		lab_wait_until 5 bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa | jq '.ike_sa | length') == 0 ]]" || true
	done
}
stat() { # stat FILE: "median p90"
	sort -n "$1" | awk '{v[NR]=$1} END{printf "%s %s", v[int((NR+1)/2)], v[int(NR*0.9+0.5)]}'
}
capture() { # capture NAME: tcpdump of IKE on gw1's WAN interface
	lab_spawn "tcpdump-$1" gw1 "$LAB_DIR/ike-$1.txt" tcpdump -i wan0 -U -n -tt -l \
		'udp port 500 or udp port 4500'
	sleep 0.5
}
responses() { # responses NAME OUT: tandem's response times (ms, one per exchange)
	lab_stop "tcpdump-$1"
	awk -v vip="$LAB_WAN_VIP" '$1 ~ /^[0-9]+\.[0-9]+$/ && $2 == "IP" {
		split($3, s, "."); split($5, d, ".");
		src = s[1] "." s[2] "." s[3] "." s[4]; dst = d[1] "." d[2] "." d[3] "." d[4];
		port = s[5]
		if (dst == vip) req[port] = $1
		else if (src == vip && (port in req)) { printf "%.3f\n", ($1 - req[port]) * 1000; delete req[port] }
	}' "$LAB_DIR/ike-$1.txt" >"$2"
}

# --- gw1 alone ---------------------------------------------------------------------------------
sync_conf "$LAB_DIR/cluster.conf" 2
sed '/^cluster /,$d' "$LAB_DIR/cluster.conf" >"$LAB_DIR/alone.conf"
lab_exec gw1 ip addr add "$LAB_WAN_VIP/24" dev wan0
lab_tandemd_start gw1 "$LAB_DIR/alone.conf"
lab_branch_conf "$SW" --remote "$LAB_WAN_VIP"
lab_charon_start br "$SW"
capture alone
setups "$LAB_DIR/alone.txt"
responses alone "$LAB_DIR/alone-resp.txt"
lab_tandemd_stop gw1

# --- gw1 active, gw2 standby ----------------------------------------------------------------
lab_corosync_start gw1 gw2
lab_corosync_wait_members gw1 2 15
lab_tandemd_start gw1 "$LAB_DIR/cluster.conf"
lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$LAB_DIR/cluster.conf"
lab_wait_until 15 standby_ready gw2
capture cluster
setups "$LAB_DIR/cluster.txt"
responses cluster "$LAB_DIR/cluster-resp.txt"
read -r am ap <<<"$(stat "$LAB_DIR/alone.txt")"
read -r cm cp <<<"$(stat "$LAB_DIR/cluster.txt")"
read -r arm arp <<<"$(stat "$LAB_DIR/alone-resp.txt")"
read -r crm crp <<<"$(stat "$LAB_DIR/cluster-resp.txt")"
rep=$(hj gw1 show replication)
printf 'setup seen by the branch (swanctl), %d each: alone median %s ms (p90 %s); active with a standby median %s ms (p90 %s)\n' \
	"$N" "$am" "$ap" "$cm" "$cp"
printf 'tandem response time per exchange (IKE_SA_INIT, IKE_AUTH; %d + %d): alone median %s ms (p90 %s); active with a standby median %s ms (p90 %s); sync-before-send adds %s ms per exchange at the median\n' \
	"$(wc -l <"$LAB_DIR/alone-resp.txt")" "$(wc -l <"$LAB_DIR/cluster-resp.txt")" \
	"$arm" "$arp" "$crm" "$crp" "$(awk -v a="$arm" -v c="$crm" 'BEGIN{printf "%.3f", c - a}')"
printf 'gw1 own change -> delivered back: p50 %s us, p99 %s us over %s changes\n' \
	"$(jq -r .latency_p50_us <<<"$rep")" "$(jq -r .latency_p99_us <<<"$rep")" \
	"$(jq -r .latency_samples <<<"$rep")"
lab_down
