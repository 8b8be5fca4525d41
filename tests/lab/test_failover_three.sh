#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The failover drill with three nodes (issue 6): the strongSwan branch's tunnel to the cluster
# VIP, pings at 200/s from hc to hb; kill -9 of the active tandemd (gw1), then of the next
# active (gw2): gw3 carries the traffic. Each time: the branch keeps its SAs (same SPIs, one
# IKE_SA_INIT in all), no ESP verification/replay failure at the branch, one active holding
# the VIP, gap <= 150 ms (LAB_FAILOVER_MAX_GAP_MS overrides; the figure is printed).
# Exit 0 pass, 1 fail, 77 when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
# shellcheck source=lib/lab-drill.sh
source "$here/lib/lab-drill.sh"
[[ $(id -u) -eq 0 ]] || exit 77

# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"
MAX_GAP=${LAB_FAILOVER_MAX_GAP_MS:-150}
NODES=(gw1 gw2 gw3)

T0=$(lab_now_ms)
lab_init
lab_topology_up 3
CONF=$LAB_DIR/cluster.conf
lab_drill_conf "$CONF" 3
lab_corosync_start gw1 gw2 gw3
check "corosync: three nodes in one membership" lab_corosync_wait_members gw1 3 15
role_is() { [[ "$(lab_drill_role "$1")" == "$2" ]]; }
in_sync() { [[ "$(lab_drill_hj "$1" show replication | jq -r '.in_sync')" == true ]]; }
standby_ready() { role_is "$1" standby && in_sync "$1"; }
lab_tandemd_start gw1 "$CONF"
check "gw1 becomes active" lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$CONF"
lab_tandemd_start gw3 "$CONF"
both_ready() { standby_ready gw2 && standby_ready gw3; }
check "gw2 and gw3 stand by, in sync" lab_wait_until 20 both_ready

lab_drill_branch
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
established() { lab_drill_branch_spis >/dev/null; }
check "the branch establishes with the cluster" lab_wait_until 15 established
SPIS0=$(lab_drill_branch_spis)

kill_active() { # kill_active NODE EXPECTED_NEXT
	local t name="kill-$1"
	lab_drill_traffic_start "$name"
	sleep 2
	t=$(date +%s.%N)
	lab_tandemd_kill "$1"
	sleep 3
	lab_drill_traffic_stop "$name"
	read -r GAP LOST SENT < <(lab_drill_gap "$name" "$t")
	ACTIVE=$(lab_drill_active "${NODES[@]}")
	VIPS=$(lab_drill_vip_holders "${NODES[@]}")
	SPIS=$(lab_drill_branch_spis || echo none)
	pass "kill -9 tandemd on $1: gap ${GAP} ms, ${LOST}/${SENT} lost, active ${ACTIVE:-none}, VIP on ${VIPS:-none}"
	check "$1 killed: $2 is the one active and the one VIP holder" test "$ACTIVE" = "$2" -a "$VIPS" = "$2"
	check "$1 killed: the branch kept its SAs ($SPIS)" test "$SPIS" = "$SPIS0"
	check "$1 killed: gap $GAP ms <= $MAX_GAP ms" test "$GAP" -le "$MAX_GAP"
}
kill_active gw1 gw2
kill_active gw2 gw3
check "one IKE_SA_INIT at the branch in all: $(lab_drill_branch_ike_inits)" \
	test "$(lab_drill_branch_ike_inits)" -eq 1
check "no ESP verification or replay failure at the branch: $(lab_drill_branch_failures)" \
	test "$(lab_drill_branch_failures)" -eq 0
reach() { lab_exec_plain hc ping -q -c 5 -i 0.1 -W 2 "$LAB_HB_ADDR" >/dev/null; }
check "gw3 carries the traffic alone" reach

lab_down
printf 'three-node failover: %d failure(s) in %d s\n' "$fails" $((($(lab_now_ms) - T0) / 1000)) >&3
[[ $fails -eq 0 ]]
