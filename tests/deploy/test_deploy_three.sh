#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Three gateway nodes deployed by ansible/site.yml (issue 8 "two (and three) nodes"): systemd-
# nspawn containers in the lab's namespaces, the example inventory's group_vars, no arbiter
# (three votes decide on their own: no two_node, no quorum device). Asserts membership of
# three with crypto, tandemd active under systemd on each, exactly one active holding the
# VIP, the branch's tunnel up, a second run with changed=0, switchover.yml with the branch
# keeping its SPIs, then two failovers in a row: the active's whole node lost (container PID 1
# killed), then the next active's tandemd killed, the traffic moving each time with the SPIs
# kept. (A second whole-node loss leaves one vote of three: the survivor is not quorate and,
# by design, not active — docs/deploy.md.)
#   TANDEM_DEB / TANDEM_BUILD_DIR as for test_deploy.sh.
# Exit 0 pass, 1 fail, 77 when not root.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $(id -u) -eq 0 ]] || exit 77
# shellcheck source=lib/deploy-checks.sh
source "$here/lib/deploy-checks.sh"
T0=$SECONDS
NODES=(gw1 gw2 gw3)

deploy_package
export LAB_PREFIX=${LAB_PREFIX:-t3}
lab_init || die "lab_init"
deploy_traps "${NODES[@]}"
lab_topology_up 3 || die "lab topology"
deploy_boot "${NODES[@]}"

INV=$LAB_DIR/inventory
mkdir -p "$INV" && cp -r "$root/ansible/inventory/pair/group_vars" "$INV/" || die "inventory"
deploy_inventory "$INV/hosts.yml" "${NODES[@]}"
t=$SECONDS
check "site.yml deploys three nodes" play site1 site.yml
pass "site.yml first run: $((SECONDS - t)) s, changed=$CHANGED"
for n in "${NODES[@]}"; do
	check "$n: corosync sees three members" lab_wait_until 15 members "$n" 3
	check "$n: totem runs with crypto (aes256/sha256)" crypto "$n"
	check "$n: no two_node with three votes" \
		bash -c "! nsenter -t $(deploy_pid1 "$n") -a grep -q two_node /etc/corosync/corosync.conf"
	check "$n: tandemd active under systemd" deploy_exec "$n" systemctl is-active -q tandemd
done
check "exactly one active node, and it alone holds the WAN VIP" lab_wait_until 20 one_active
pass "active $(active), VIP on $(vips)"
deploy_branch_up

t=$SECONDS
play site2 site.yml
check "site.yml again: changed=0 ($CHANGED, $((SECONDS - t)) s)" play_idempotent site2

A0=$(active)
lab_drill_traffic_start sw
sleep 1
tsw=$(date +%s.%N)
check "switchover.yml" play switchover switchover.yml
sleep 2
lab_drill_traffic_stop sw
read -r GAP LOST SENT < <(lab_drill_gap sw "$tsw" 10)
check "switchover moved the active role off $A0 (now $(active))" \
	test "$(active)" != "$A0" -a -n "$(active)"
check "switchover: the branch kept its SPIs" test "$(lab_drill_branch_spis)" = "$SPIS0"
pass "switchover: traffic gap ${GAP} ms, ${LOST}/${SENT} lost"

# two failovers in a row (fault 8 of docs/faults.md, deployed)
deploy_kill_active node
sleep 2
deploy_kill_active tandemd

pass "deploy test (three nodes): $((SECONDS - T0)) s"
((fails == 0)) || {
	printf '%d failure(s)\n' "$fails" >&3
	exit 1
}
