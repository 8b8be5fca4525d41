#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ESP interop with a real strongSwan 5.9.8 (issue "Crypto engine"): tandemd on gw1 (IKE keys,
# tandem-engine data plane), charon with kernel-libipsec on the branch. For each ESP
# transform: ping and TCP (iperf3) between the host behind tandem (hc) and the host behind
# the branch (hb), both directions; strongSwan logs no ESP verification or replay failure and
# tandem's engine counts no authentication or replay drop. Exit 0 pass, 1 fail, 77 not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
[[ $(id -u) -eq 0 ]] || exit 77

# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"

lab_init
lab_topology_up 1
GW=$(lab_addr gw1 wan)
CONF=$LAB_DIR/gw1.conf
SW=$LAB_DIR/br/swanctl
# Until the HA layer owns the inside VIP, the host behind the cluster routes via gw1 itself.
lab_set_route hc default via "$(lab_addr gw1 lan)"

engine_drops() { # sum of the engine's drops whose reason matches $1
	lab_hactl gw1 --json show engines | jq --arg re "$1" \
		'[.groups[].drops[] | select(.reason | test($re)) | .count] | add // 0'
}
established() {
	[[ "$(lab_child_field br tandem state 2>/dev/null)" == INSTALLED ]] &&
		[[ "$(lab_hactl gw1 --json show ipsec-sa | jq '.ipsec_sa | length')" -ge 1 ]]
}
iperf() { # iperf CLIENT_NODE SERVER_NODE SERVER_ADDR: TCP for 2 s, prints Mbit/s
	lab_spawn "iperf3-$2" "$2" "$LAB_DIR/iperf3-$2.log" iperf3 -s -1 -B "$3"
	sleep 0.3
	lab_exec_plain "$1" iperf3 -c "$3" -t 2 -J 2>/dev/null |
		jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor'
	lab_stop "iperf3-$2" 2>/dev/null || true
}

lab_tandem_gw_conf "$CONF" --conn-type responder-only
lab_tandemd_start gw1 "$CONF"
lab_branch_conf "$SW" --remote "$GW"
lab_charon_start br "$SW"

for esp in aes128gcm16 aes256-sha256 aes128-sha1; do
	lab_tandem_gw_conf "$CONF" --conn-type responder-only --esp-proposals "$esp"
	kill -HUP "$(lab_pid tandemd-gw1)"
	sleep 0.3
	lab_branch_conf "$SW" --remote "$GW" --esp-proposals "$esp"
	lab_charon_load br "$SW" >/dev/null
	lab_swanctl br --terminate --ike tandem >/dev/null 2>&1 || true
	lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
	if ! lab_wait_until 10 established; then
		fail "$esp: Child SA not established"
		continue
	fi
	log_before=$(wc -l <"$(lab_charon_log br)")
	check "$esp: ping hc -> hb through the tunnel" lab_ping hc "$LAB_HB_ADDR" 5
	check "$esp: ping hb -> hc through the tunnel" lab_ping hb "$LAB_HC_ADDR" 5
	up=$(iperf hc hb "$LAB_HB_ADDR")
	down=$(iperf hb hc "$LAB_HC_ADDR")
	check "$esp: TCP hc -> hb ${up} Mbit/s, hb -> hc ${down} Mbit/s" test "$up" -gt 0 -a "$down" -gt 0
	bad=$(tail -n +"$log_before" "$(lab_charon_log br)" |
		grep -cE "ESP sequence number verification failed|ESP decryption or ICV verification failed" || true)
	check "$esp: strongSwan logged no ESP verification or replay failure ($bad)" test "$bad" -eq 0
	drops=$(engine_drops '^(auth_failed|replay_late|replay_duplicate|bad_padding|mode_mismatch)$')
	check "$esp: tandem's engine dropped no packet for authentication or replay ($drops)" \
		test "$drops" -eq 0
done

printf 'esp interop: %d failure(s)\n' "$fails" >&3
[[ $fails -eq 0 ]]
