#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The failover drill as a test (issue 6; docs/ha.md "The drill"): two tandem nodes over real
# corosync, the real strongSwan branch initiating to the cluster's WAN VIP, pings at 200/s from
# the host behind the cluster to the host behind the branch. Events, each with its figures
# (traffic gap, packets lost, the branch's IKE/Child SPIs before and after, the branch's ESP
# verification/replay failures and IKE_SA_INIT count, the active node):
#   (a) hactl switchover (planned): loss within the replay-report step (the goal is zero);
#   (b) kill -9 of the active tandemd: gap <= 150 ms;
#   (c) kill -9 of the active node's engine: local restart, gap <= 150 ms;
# and throughout: no renegotiation (same SPIs at the branch, no IKE_SA_INIT), no ESP
# verification or replay failure at the branch, exactly one node holding the VIPs.
# LAB_FAILOVER_MAX_GAP_MS overrides the 150 ms bound (a slow machine; the figure is printed).
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
NODES=(gw1 gw2)

T0=$(lab_now_ms)
lab_init
lab_topology_up 2
CONF=$LAB_DIR/cluster.conf
lab_drill_conf "$CONF" 2
lab_corosync_start gw1 gw2
check "corosync: both nodes in one membership" lab_corosync_wait_members gw1 2 15
lab_tandemd_start gw1 "$CONF"
role_is() { [[ "$(lab_drill_role "$1")" == "$2" ]]; }
check "gw1 becomes active" lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$CONF"
in_sync() { [[ "$(lab_drill_hj "$1" show replication | jq -r '.in_sync')" == true ]]; }
standby_ready() { role_is "$1" standby && in_sync "$1"; }
check "gw2 becomes standby, in sync" lab_wait_until 15 standby_ready gw2
vip_on() { [[ "$(lab_drill_vip_holders "${NODES[@]}")" == "$1" ]]; }
check "only gw1 holds the WAN VIP" lab_wait_until 5 vip_on gw1

lab_drill_branch
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
established() { lab_drill_branch_spis >/dev/null; }
check "the branch establishes its IKE SA and Child SA with the cluster" lab_wait_until 15 established
SPIS0=$(lab_drill_branch_spis)
pass "branch SAs: $SPIS0"
check "hc reaches hb through the tunnel" lab_exec_plain hc ping -q -c 3 -i 0.2 -W 2 "$LAB_HB_ADDR" >/dev/null
standbys_in_sync() {
	local n
	for n in "$@"; do in_sync "$n" || return 1; done
}

# event NAME ACTION...: traffic on, the action at a recorded instant, traffic off after the
# dust settled; sets GAP LOST SENT and prints the figures.
event() {
	local name=$1 t
	shift
	lab_drill_traffic_start "$name"
	sleep 2
	t=$(date +%s.%N)
	"$@"
	sleep 3
	lab_drill_traffic_stop "$name"
	read -r GAP LOST SENT < <(lab_drill_gap "$name" "$t")
	ACTIVE=$(lab_drill_active "${NODES[@]}")
	VIPS=$(lab_drill_vip_holders "${NODES[@]}")
	SPIS=$(lab_drill_branch_spis || echo none)
	FAILS=$(lab_drill_branch_failures)
	INITS=$(lab_drill_branch_ike_inits)
	pass "$name: gap ${GAP} ms, ${LOST}/${SENT} lost, active ${ACTIVE:-none}, VIP on ${VIPS:-none}, branch $SPIS, ESP failures $FAILS, IKE_SA_INITs $INITS"
}
same_sas() {
	check "$1: the branch kept its IKE SA and Child SA (same SPIs: no renegotiation)" test "$SPIS" = "$SPIS0"
	check "$1: the branch parsed one IKE_SA_INIT in all (the first)" test "$INITS" -eq 1
	check "$1: the branch logged no ESP verification or replay failure" test "$FAILS" -eq 0
	check "$1: exactly one active ($ACTIVE) and it alone holds the WAN VIP ($VIPS)" \
		test "$ACTIVE" = "$2" -a "$VIPS" = "$2"
}

# --- (a) planned switchover gw1 -> gw2 ------------------------------------------------------
event switchover lab_hactl gw1 switchover --to gw2
same_sas switchover gw2
# the goal is zero; what the design bounds today is the replay-report step (the new active's
# inbound windows start one step past the last report; docs/ha.md "Switchover")
check "switchover: packets lost ($LOST) within the replay-report step (${LAB_DRILL_REPORT:-8}) + 2 in flight" \
	test "$LOST" -le $((${LAB_DRILL_REPORT:-8} + 2))
check "switchover: gw1 stands by, in sync" lab_wait_until 10 standby_ready gw1

# --- (b) kill -9 of the active tandemd (gw2); gw1 takes over ---------------------------------
event kill-tandemd lab_tandemd_kill gw2
same_sas kill-tandemd gw1
check "kill -9 of the active tandemd: gap $GAP ms <= $MAX_GAP ms" test "$GAP" -le "$MAX_GAP"
lab_tandemd_start gw2 "$CONF"
check "the restarted gw2 rejoins as standby and resyncs (no preemption)" \
	lab_wait_until 15 standby_ready gw2
check "gw2's store holds the branch's SA again" \
	lab_wait_until 5 bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw2)' --json show ike-sa | jq '.ike_sa | length') -eq 1 ]]"

# --- (c) kill -9 of the active node's engine (gw1): restarted in place -----------------------
engine_pid() { lab_drill_hj gw1 show engines | jq -r '.groups[0].pid'; }
EPID=$(engine_pid)
event kill-engine kill -9 "$EPID"
same_sas kill-engine gw1
check "kill -9 of the active's engine: gap $GAP ms <= $MAX_GAP ms" test "$GAP" -le "$MAX_GAP"
check "the engine was restarted (pid $EPID -> $(engine_pid))" test "$(engine_pid)" != "$EPID"

# --- afterwards: the standby still holds exactly what the active holds ------------------------
check "the standby is in sync after all three events" lab_wait_until 5 standbys_in_sync gw2
check "the active's and the standby's stores agree" \
	test "$(lab_drill_hj gw1 show replication | jq -r .store_digest)" = \
	"$(lab_drill_hj gw2 show replication | jq -r .store_digest)"

lab_down
printf 'failover drill: %d failure(s) in %d s\n' "$fails" $((($(lab_now_ms) - T0) / 1000)) >&3
[[ $fails -eq 0 ]]
