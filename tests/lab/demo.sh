#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The failover drill (README's first command runs it through scripts/demo.sh). On this one
# machine, in network namespaces: two tandem gateway nodes with real corosync (encrypted), a
# real strongSwan branch office, a host behind each side. The branch brings its tunnel up to
# the cluster's virtual address, the host behind the cluster pings the host behind the branch
# 200 times a second, and the drill runs three events:
#   (a) hactl switchover          a planned move to the standby
#   (b) kill -9 of the active tandemd
#   (c) kill -9 of the active node's crypto engine
# For each it prints the traffic gap, packets lost, the branch's IKE SA and Child SA SPIs
# before and after (the same SPIs: no renegotiation), the branch's ESP verification/replay
# failures from its log, and which node is active. Then it tears everything down.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
# shellcheck source=lib/lab-drill.sh
source "$here/lib/lab-drill.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step() { printf '   %s\n' "$*"; }
NODES=(gw1 gw2)

t0=$(lab_now_ms)
lab_init
say "1. topology: 2 gateway nodes, a branch office, a host behind each side"
lab_topology_up 2
step "namespaces ${LAB_PREFIX}-{sw,gw1,gw2,br,hc,hb} up in ${LAB_UP_MS} ms"
step "WAN $LAB_WAN_NET (cluster VIP $LAB_WAN_VIP, branch $LAB_BR_WAN)"
step "cluster LAN $LAB_LAN_NET (gateway VIP $LAB_LAN_VIP, host $LAB_HC_ADDR)"
step "branch LAN $LAB_BLAN_NET (host $LAB_HB_ADDR); sync network $LAB_SYNC_NET"

say "2. corosync on gw1 and gw2 (knet, aes256 + sha256, shared authkey)"
lab_corosync_start gw1 gw2
lab_corosync_wait_members gw1 2 15
step "both nodes in one membership after ${LAB_WAIT_MS} ms, token $(lab_corosync_value gw1 runtime.config.totem.token) ms"

say "3. tandemd on gw1 and gw2 (one configuration: docs/ha.md)"
CONF=$LAB_DIR/cluster.conf
lab_drill_conf "$CONF" 2
role_is() { [[ "$(lab_drill_role "$1")" == "$2" ]]; }
in_sync() { [[ "$(lab_drill_hj "$1" show replication | jq -r '.in_sync')" == true ]]; }
standby_ready() { role_is "$1" standby && in_sync "$1"; }
lab_tandemd_start gw1 "$CONF"
lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$CONF"
lab_wait_until 15 standby_ready gw2
for n in gw1 gw2; do
	step "$n: $(lab_drill_role "$n"), priority $(lab_drill_hj "$n" show cluster | jq -r '.nodes[0].priority')"
done
step "WAN VIP held by: $(lab_drill_vip_holders "${NODES[@]}")"

say "4. strongSwan branch (charon 5.9.8) brings its tunnel up to $LAB_WAN_VIP"
lab_drill_branch
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
lab_wait_until 15 lab_drill_branch_spis >/dev/null
SPIS0=$(lab_drill_branch_spis)
step "branch SAs: $SPIS0"
lab_wait_until 5 in_sync gw2
step "gw2 (standby) holds the same SA: $(lab_drill_hj gw2 show ike-sa | jq -r '.ike_sa[0] | .state + " " + .spi_i + "/" + .spi_r')"

header() {
	printf '\n   %-22s %7s %10s %-8s %-8s %-52s %s\n' event gap lost active VIP \
		"branch SAs after" "ESP failures"
}
row() {
	printf '   %-22s %4s ms %10s %-8s %-8s %-52s %s\n' "$1" "$GAP" "$LOST/$SENT" "${ACTIVE:-none}" \
		"${VIPS:-none}" "$SPIS" "$FAILS"
}
event() { # event NAME LABEL ACTION...
	local name=$1 label=$2 t
	shift 2
	lab_drill_traffic_start "$name"
	sleep 2
	t=$(date +%s.%N)
	"$@" >/dev/null
	sleep 3
	lab_drill_traffic_stop "$name"
	read -r GAP LOST SENT < <(lab_drill_gap "$name" "$t")
	ACTIVE=$(lab_drill_active "${NODES[@]}")
	VIPS=$(lab_drill_vip_holders "${NODES[@]}")
	SPIS=$(lab_drill_branch_spis || echo "none (tunnel lost)")
	FAILS=$(lab_drill_branch_failures)
	row "$label"
}

say "5. the drill (traffic: ping every ${LAB_DRILL_INTERVAL}s from hc to hb)"
header
event switchover "(a) switchover" lab_hactl gw1 switchover --to gw2
lab_wait_until 10 standby_ready gw1 || true
event kill-tandemd "(b) kill -9 tandemd" lab_tandemd_kill gw2
lab_tandemd_start gw2 "$CONF"
lab_wait_until 15 standby_ready gw2 || true
EPID=$(lab_drill_hj gw1 show engines | jq -r '.groups[0].pid')
event kill-engine "(c) kill -9 engine" kill -9 "$EPID"

say "6. what the branch saw"
step "SAs before the drill: $SPIS0"
step "SAs after the drill:  $(lab_drill_branch_spis || echo none)"
if [[ "$(lab_drill_branch_spis || true)" == "$SPIS0" ]]; then
	step "same SPIs: no renegotiation through all three events"
else
	step "the SPIs CHANGED: the branch renegotiated"
fi
step "IKE_SA_INIT exchanges the branch parsed: $(lab_drill_branch_ike_inits) (the first one only: 1)"
step "ESP verification/replay failures in the branch's log: $(lab_drill_branch_failures)"
step "active now: $(lab_drill_active "${NODES[@]}"); last failover on it:"
lab_hactl gw1 show cluster | sed -n '/[Ll]ast failover/,$p' | sed 's/^/     /'

say "7. teardown"
lab_down
step "all processes stopped by PID, namespaces deleted"
printf '\ndrill finished in %d s\n' $((($(lab_now_ms) - t0) / 1000))
