#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The risk a pair without an arbiter runs (issue 9, docs/faults.md): corosync two_node, no
# quorum device. hactl must say so loudly (status, show cluster, JSON); cutting the sync link
# then leaves both halves quorate and both active, which this test measures and prints (the
# expected, documented failure of that deployment), and healing it must end with one active
# again. Then the same cut with the arbiter is tests/lab/test_faults.sh, fault 5.
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
trap lab_down EXIT

T0=$(lab_now_ms)
lab_init
lab_topology_up 2
CONF=$LAB_DIR/cluster.conf
lab_drill_conf "$CONF" 2
lab_corosync_start gw1 gw2
check "corosync: both nodes in one membership (two_node, no arbiter)" lab_corosync_wait_members gw1 2 15
lab_tandemd_start gw1 "$CONF"
role_is() { [[ "$(lab_drill_role "$1")" == "$2" ]]; }
check "gw1 becomes active" lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$CONF"
check "gw2 stands by" lab_wait_until 15 role_is gw2 standby

HACTL=$(lab__hactl)
for n in gw1 gw2; do
	check "$n: hactl status warns: two nodes without an arbiter" \
		bash -c "'$HACTL' --ctl '$(lab_tandemd_ctl "$n")' status | grep -q '^WARNING: two nodes without an arbiter: a cut sync link makes both halves active'"
done
check "hactl show cluster warns too" \
	bash -c "'$HACTL' --ctl '$(lab_tandemd_ctl gw1)' show cluster | grep -q '^WARNING: two nodes without an arbiter'"
check "hactl --json status: split_brain_risk true, arbiter false" \
	test "$(lab_drill_hj gw1 status | jq -c '[.split_brain_risk, .arbiter]')" = '[true,false]'
check "hactl --json show cluster: quorum_nodes 2" \
	test "$(lab_drill_hj gw1 show cluster | jq -r '.quorum_nodes')" = 2
check "tandemd logged the warning" grep -q "WARNING: two nodes without an arbiter" \
	"$(lab_node_dir gw1)/tandemd.log"

# the risk, measured: a cut sync link, both halves keep quorum
t=$(lab_now_ms)
lab_link_cut gw2 sync0
both() { [[ "$(lab_drill_active gw1 gw2)" == gw1,gw2 ]]; }
if lab_wait_until 10 both; then
	pass "without an arbiter a cut sync link made both nodes active after $(($(lab_now_ms) - t)) ms (the documented split brain)"
else
	pass "without an arbiter the cut did not make both active within 10 s (active: $(lab_drill_active gw1 gw2))"
fi
lab_link_heal gw2 sync0
one() { [[ "$(lab_drill_active gw1 gw2)" == gw1 ]]; }
check "healed: one active again (gw1, the higher priority)" lab_wait_until 20 one

lab_down
printf 'no-arbiter pair: %d failure(s) in %d s\n' "$fails" $((($(lab_now_ms) - T0) / 1000)) >&3
[[ $fails -eq 0 ]]
