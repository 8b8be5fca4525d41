#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ESP throughput benchmark (issue "Crypto engine"): iperf3 TCP from the host behind the
# cluster side (hc) to the host behind the branch (hb), through an IKE-keyed AES-128-GCM
# tunnel, for three pairings in one run on the same two cores:
#   tandem <-> strongSwan   tandemd + tandem-engine on gw1, charon (kernel-libipsec) on br
#   tandem <-> tandem       tandemd + tandem-engine on both
#   strongSwan <-> strongSwan  charon (kernel-libipsec) on both
# with 1 and 4 streams, plus `openssl speed -evp aes-128-gcm` as the crypto ceiling. Prints
# Mbit/s, the ratios to strongSwan <-> strongSwan, and a JSON line; docs/benchmarks.md
# records the figures.   usage: bench_esp_throughput.sh [SECONDS]   (default 8)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lab/lib/lab.sh
source "$here/../lab/lib/lab.sh"
SECS=${1:-8}
export LAB_CHARON_LOG="default=0 ike=0 knl=0 esp=0 cfg=0 net=0 enc=0"

lab_init
lab_topology_up 1
GW=$(lab_addr gw1 wan)
lab_set_route hc default via "$(lab_addr gw1 lan)"

# iperf3 hc -> hb, P streams; prints Mbit/s received
iperf() {
	lab_spawn iperf3-hb hb "$LAB_DIR/iperf3-hb.log" iperf3 -s -1 -B "$LAB_HB_ADDR"
	sleep 0.3
	lab_exec_plain hc iperf3 -c "$LAB_HB_ADDR" -t "$SECS" -P "$1" -J 2>/dev/null |
		jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor'
	lab_stop iperf3-hb 2>/dev/null || true
}
up_by_ping() { lab_wait_until 15 lab_ping hc "$LAB_HB_ADDR" 1; }

declare -A R
measure() { # measure NAME: fills R[NAME-1] and R[NAME-4]
	up_by_ping || {
		lab_err "$1: no traffic through the tunnel"
		return 1
	}
	R[$1-1]=$(iperf 1)
	R[$1-4]=$(iperf 4)
	printf '%-24s 1 stream %6d Mbit/s   4 streams %6d Mbit/s\n' "$1" "${R[$1-1]}" "${R[$1-4]}"
}

# tandem <-> strongSwan
lab_tandem_gw_conf "$LAB_DIR/gw1.conf" --conn-type responder-only
lab_tandemd_start gw1 "$LAB_DIR/gw1.conf" --log-level warning
lab_branch_conf "$LAB_DIR/br/swanctl" --remote "$GW"
lab_charon_start br "$LAB_DIR/br/swanctl"
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
measure "tandem<->strongSwan"
lab_charon_stop br
lab_tandemd_stop gw1

# tandem <-> tandem
lab_tandem_gw_conf "$LAB_DIR/gw1.conf" --conn-type responder-only
lab_tandem_gw_conf "$LAB_DIR/br.conf" --side br --peer gw1 --conn-type initiator-only
lab_tandemd_start gw1 "$LAB_DIR/gw1.conf" --log-level warning
lab_tandemd_start br "$LAB_DIR/br.conf" --log-level warning
measure "tandem<->tandem"
lab_tandemd_stop br
lab_tandemd_stop gw1

# strongSwan <-> strongSwan
lab_cluster_conf "$LAB_DIR/gw1/swanctl" --local "$GW"
lab_charon_start gw1 "$LAB_DIR/gw1/swanctl"
lab_charon_start br "$LAB_DIR/br/swanctl"
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
measure "strongSwan<->strongSwan"

ceiling=$(openssl speed -evp aes-128-gcm -seconds 2 -bytes 1024 2>/dev/null |
	awk '/^AES-128-GCM/ {gsub("k","",$2); print int($2 * 8 / 1000)}')
printf '%-24s %d Mbit/s (openssl speed -evp aes-128-gcm, 1 KiB blocks, one core)\n' \
	"crypto ceiling" "$ceiling"
ss1=${R[strongSwan<->strongSwan-1]} ss4=${R[strongSwan<->strongSwan-4]}
printf 'ratios to strongSwan<->strongSwan: tandem<->tandem %.1fx (1 stream), %.1fx (4); tandem<->strongSwan %.1fx, %.1fx (goal: tandem >= 4x)\n' \
	"$(bc -l <<<"${R[tandem<->tandem-1]} / $ss1")" "$(bc -l <<<"${R[tandem<->tandem-4]} / $ss4")" \
	"$(bc -l <<<"${R[tandem<->strongSwan-1]} / $ss1")" "$(bc -l <<<"${R[tandem<->strongSwan-4]} / $ss4")"
printf '{"bench":"esp_throughput","seconds":%d,"tandem_tandem":[%d,%d],"tandem_strongswan":[%d,%d],"strongswan_strongswan":[%d,%d],"crypto_ceiling_mbit":%d}\n' \
	"$SECS" "${R[tandem<->tandem-1]}" "${R[tandem<->tandem-4]}" "${R[tandem<->strongSwan-1]}" \
	"${R[tandem<->strongSwan-4]}" "$ss1" "$ss4" "$ceiling"
