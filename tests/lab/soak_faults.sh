#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The false-failover soak (issue 9; not in CI, not named test_*): the fault matrix's pair with
# the arbiter and its timing (lab_fault_timing: token 200, consensus 150, 6 retransmissions,
# knet ping timeout 2000, qdevice 1000/2000 with a 200 ms heartbeat), the branch's tunnel
# carrying pings at 200/s, and CPU hogs on every core, for SOAK_SECONDS (default 600). Counts
# membership changes (corosync logs), quorum losses and role changes (tandemd's role_changes)
# on both nodes and the pings lost.
# Passes with zero membership and role changes. Exit 0 pass, 1 fail, 77 when not root.
#   SOAK_SECONDS=600 SOAK_HOGS=2 SOAK_HOG_NICE=0 tests/lab/soak_faults.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
# shellcheck source=lib/lab-drill.sh
source "$here/lib/lab-drill.sh"
[[ $(id -u) -eq 0 ]] || exit 77
# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"
# shellcheck source=lib/lab-fault.sh
source "$here/lib/lab-fault.sh"

SECS=${SOAK_SECONDS:-600}
HOGS=${SOAK_HOGS:-$(nproc)}
lab_fault_timing
HOG_PIDS=()
stop_hogs() {
	local p
	for p in "${HOG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${HOG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	HOG_PIDS=()
}
trap 'stop_hogs; lab_down' EXIT

lab_init
LAB_ARBITER=1 lab_topology_up 2
CONF=$LAB_DIR/cluster.conf
lab_drill_conf "$CONF" 2
lab_qnetd_start
lab_corosync_start gw1 gw2
check "corosync: both nodes in one membership" lab_corosync_wait_members gw1 2 15
lab_qdevice_start gw1 gw2
check "qdevice voting" lab_qdevice_wait gw1 15
lab_tandemd_start gw1 "$CONF"
role_is() { [[ "$(lab_drill_role "$1")" == "$2" ]]; }
check "gw1 active" lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$CONF"
check "gw2 standby" lab_wait_until 15 role_is gw2 standby
lab_drill_branch
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
established() { lab_drill_branch_spis >/dev/null; }
check "the branch's tunnel is up" lab_wait_until 15 established
SPIS0=$(lab_drill_branch_spis)
sleep 2

memberships() { grep -c "A new membership" "$(lab_node_dir "$1")/corosync/corosync.log" || true; }
quorum_lost() { grep -c "lost quorum" "$(lab_node_dir "$1")/tandemd.log" || true; }
M1=$(memberships gw1) M2=$(memberships gw2)
R1=$(grep -c "tandemd\[sync\]: role .* -> " "$(lab_node_dir gw1)/tandemd.log" || true)
R2=$(grep -c "tandemd\[sync\]: role .* -> " "$(lab_node_dir gw2)/tandemd.log" || true)

lab_drill_traffic_start soak
for ((k = 0; k < HOGS; k++)); do
	nice -n "${SOAK_HOG_NICE:-0}" sh -c 'while :; do :; done' &
	HOG_PIDS+=($!)
done
pass "soak: $SECS s, $HOGS CPU hog(s), pings every ${LAB_DRILL_INTERVAL}s"
sleep "$SECS"
stop_hogs
lab_drill_traffic_stop soak

read -r _ LOST SENT < <(lab_drill_gap soak 0 0)
DM1=$(($(memberships gw1) - M1)) DM2=$(($(memberships gw2) - M2))
DR1=$(($(grep -c "tandemd\[sync\]: role .* -> " "$(lab_node_dir gw1)/tandemd.log" || true) - R1))
DR2=$(($(grep -c "tandemd\[sync\]: role .* -> " "$(lab_node_dir gw2)/tandemd.log" || true) - R2))
Q=$(($(quorum_lost gw1) + $(quorum_lost gw2)))
pass "soak figures: membership changes gw1 $DM1, gw2 $DM2; role changes gw1 $DR1, gw2 $DR2; quorum lost $Q; pings lost $LOST of $SENT; load $(cut -d' ' -f1-3 /proc/loadavg)"
check "no membership change in $SECS s" test "$DM1" -eq 0 -a "$DM2" -eq 0
check "no role change in $SECS s" test "$DR1" -eq 0 -a "$DR2" -eq 0
check "the branch kept its SAs" test "$(lab_drill_branch_spis)" = "$SPIS0"
lab_down
printf 'soak: %d failure(s)\n' "$fails" >&3
[[ $fails -eq 0 ]]
