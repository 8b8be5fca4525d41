#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Stale stores (issue 9, docs/faults.md "Stale stores"): a cluster started again from the stores
# its members kept, with traffic flowing, staged on purpose. The arbiter (qnetd) is frozen
# (SIGSTOP) to take its vote away at chosen moments:
#   1. gw2 active, gw1 (the lowest id) standby; the arbiter frozen; gw1's corosync and qdevice
#      killed: gw2, alone without the vote, is not quorate and fences itself (out of sync);
#   2. the arbiter thawed: gw2, alone, starts the cluster again from its own store, skipping
#      its outbound numbers, and takes over (a lease granted in a ring gw1 is not in);
#   3. the arbiter frozen again: gw2 not quorate, out of sync again;
#   4. gw1's corosync back: two votes of three, both quorate, both out of sync.
# Then (B) both halves fenced at once (the arbiter frozen, the sync link cut), healed: the same
# stores, one starts the cluster; a switchover follows (the failed run's path).
# gw2's store must start the cluster (not the one gw1 kept while away), and from the WAN
# capture no (SPI, sequence number) pair is ever sent twice, the branch logs no ESP failure and
# keeps its SAs. (Here step 2's takeover also raised gw2's store commit, so the rule before
# "Stale stores" chose gw2 as well — run against that build, this test passes; the case only
# the ring tells apart, equal commits, is the unit test test_bootstrap_newest_store.)
# Exit 0 pass, 1 fail, 77 when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
# shellcheck source=lib/lab-drill.sh
source "$here/lib/lab-drill.sh"
# shellcheck source=lib/lab-fault.sh
source "$here/lib/lab-fault.sh"
[[ $(id -u) -eq 0 ]] || exit 77
# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"
QNETD=
thaw() { [[ -z "$QNETD" ]] || kill -CONT "$QNETD" 2>/dev/null || true; }
cleanup() {
	thaw
	lab_fault_capture_stop
	lab_down
}
trap cleanup EXIT

T0=$(lab_now_ms)
lab_fault_pair_up
lab_hactl gw1 switchover --to gw2 >/dev/null
check "switchover to gw2: gw1, the lowest id, is the standby" \
	lab_wait_until 10 lab_fault_role_is gw2 active
check "gw1 stands by, in sync" lab_wait_until 10 lab_fault_standby_ready gw1
QNETD=$(lab_pid qnetd-arb)
SPIS0=$(lab_drill_branch_spis)
F0=$(lab_drill_branch_failures)
lab_fault_capture_start
lab_drill_traffic_start stale
sleep 1
TS=$(date +%s.%N)

# 1
kill -STOP "$QNETD"
lab_corosync_kill gw1
lab_qdevice_kill gw1
check "1: gw2, alone without the arbiter's vote, fences itself" \
	lab_wait_until 10 lab_fault_role_is gw2 faulted
# 2
thaw
check "2: the vote back, gw2 starts the cluster again from its store and takes over" \
	lab_wait_until 10 lab_fault_role_is gw2 active
sleep 1.5 # traffic under the lease granted without gw1
# 3
kill -STOP "$QNETD"
check "3: the vote gone again, gw2 fences itself" lab_wait_until 10 lab_fault_role_is gw2 faulted
# 4
lab_corosync_start gw1
active_one() { [[ -n "$(lab_drill_active gw1 gw2)" ]]; }
check "4: gw1 back, two votes of three: an active again" lab_wait_until 15 active_one
ACT=$(lab_drill_active gw1 gw2)
check "4: gw2's store starts the cluster, not the store gw1 kept while away (active: $ACT)" \
	test "$ACT" = gw2
thaw
lab_qdevice_start gw1
check "gw1 resyncs and stands by" lab_wait_until 15 lab_fault_standby_ready gw1
gw_log() { grep -h "$2" "$(lab_node_dir "$1")/tandemd.log" | tail -n "${3:-1}"; }
check "gw1 never started the cluster from the store it kept while away" \
	bash -c "! grep -q 'in sync last in ring' '$(lab_node_dir gw1)/tandemd.log'"
pass "gw2: $(gw_log gw2 'starting the cluster from ours' 2 | sed 's/.*from ours //' | tr '\n' ' ')"
pass "gw2: $(gw_log gw2 'skip' | sed 's/.*: its store/its store/')"
# B: both halves fence at once (the arbiter frozen, the sync link cut) and meet again out of
# sync with the same store: one starts the cluster (the highest store commit: a node that
# joined by a snapshot may hold a lower one for the same SAs), and then a planned switchover
# (the failed run's path: an active that started the cluster again, then a handover)
sleep 1
kill -STOP "$QNETD"
lab_link_cut gw2 sync0
both_faulted() { lab_fault_role_is gw1 faulted && lab_fault_role_is gw2 faulted; }
check "B1: the arbiter frozen, the sync link cut: both halves fence" lab_wait_until 10 both_faulted
lab_link_heal gw2 sync0
check "B2: healed, two votes of three: an active again" lab_wait_until 15 active_one
ACT=$(lab_drill_active gw1 gw2)
SBY=gw1
[[ "$ACT" == gw1 ]] && SBY=gw2
pass "B2: the same stores: $ACT starts the cluster"
thaw
check "B2: $SBY resyncs and stands by" lab_wait_until 15 lab_fault_standby_ready "$SBY"
sleep 1
lab_hactl "$ACT" switchover --to "$SBY" >/dev/null
check "B3: switchover to $SBY" lab_wait_until 10 lab_fault_role_is "$SBY" active
sleep 2
lab_drill_traffic_stop stale
sleep 0.3 # the capture's buffer
read -r NPKT _ DUP < <(lab_fault_seq_since "$TS" || echo "0 0 -1")
lab_fault_capture_stop
EFAIL=$(($(lab_drill_branch_failures) - F0))
read -r GAP LOST SENT < <(lab_drill_gap stale "$TS" 30)
check "ESP packets were captured ($NPKT)" test "$NPKT" -gt 0
check "no (SPI, sequence number) sent twice by the cluster ($DUP duplicated of $NPKT)" test "$DUP" -eq 0
check "the branch logged no ESP verification or replay failure ($EFAIL)" test "$EFAIL" -eq 0
check "the branch kept its IKE SA and Child SA (same SPIs)" test "$(lab_drill_branch_spis)" = "$SPIS0"
pass "B: $ACT: $(gw_log "$ACT" 'starting the cluster from ours' | sed 's/.*from ours //')"
pass "traffic: longest gap ${GAP} ms, ${LOST}/${SENT} lost over both parts (four fences, a switchover)"
((fails == 0)) || lab_fault_evidence gw1 gw2 >&3
lab_down
printf 'stale stores: %d failure(s) in %d s\n' "$fails" $((($(lab_now_ms) - T0) / 1000)) >&3
[[ $fails -eq 0 ]]
