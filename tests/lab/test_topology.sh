#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Lab proof test: builds the namespace topology, runs real corosync (2 then 3 nodes, crypto
# on) and real strongSwan (a stand-in cluster in gw1 against the branch in br, libipsec ESP in
# UDP), pings hc -> hb through the tunnel, then tears everything down and checks nothing is
# left. Exit 0 pass, 1 fail, 77 skipped (not root).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ((EUID != 0)); then
	echo "SKIP: the lab needs root"
	exit 77
fi

# shellcheck source=lib/lab.sh
source "$HERE/lib/lab.sh"

TEST_TIMEOUT=${TEST_TIMEOUT:-120}
FAILS=0
WATCHDOG=''
declare -a LEFT_PIDS=() LEFT_STARTS=()

# Results go to the test's original stdout, saved here: a trap may run while a helper has
# stdout redirected to /dev/null (lab_spawn does not let daemons inherit this descriptor).
exec {OUT}>&1

say() {
	printf '%s\n' "$*" >&"$OUT"
}

pass() {
	say "PASS: $*"
}

fail() {
	say "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# Any unexpected error (set -e) still cleans up and reports 1; skips stay 77.
on_exit() {
	local rc=$?
	trap - EXIT
	if [[ -n "$WATCHDOG" ]]; then
		kill "$WATCHDOG" 2>/dev/null || true
	fi
	lab_down || true
	if ((rc != 0 && rc != 77)); then
		say "FAIL: aborted (exit status $rc)"
		rc=1
	fi
	exit "$rc"
}

# lab_init installs lab_down as the EXIT/INT/TERM trap; take over EXIT and TERM so that an
# abort or the watchdog still cleans up and reports 1.
set_traps() {
	trap on_exit EXIT
	trap 'say "FAIL: SIGTERM (watchdog after ${TEST_TIMEOUT}s, or from outside)"; exit 143' TERM
	trap 'say "FAIL: interrupted"; exit 130' INT
}

# Bound the whole test: SIGTERM ourselves after TEST_TIMEOUT seconds.
start_watchdog() {
	(
		trap 'kill "$sp" 2>/dev/null; wait "$sp"; exit 0' TERM
		sleep "$TEST_TIMEOUT" &
		sp=$!
		wait "$sp" || exit 0
		# Only if the test is still our parent (never signal a recycled PID).
		stat=$(<"/proc/$BASHPID/stat")
		stat=${stat##*) }
		read -r _ ppid _ <<<"$stat"
		if [[ "$ppid" == "$$" ]]; then
			kill -TERM "$$"
		fi
	) </dev/null >/dev/null 2>&1 &
	WATCHDOG=$!
}

# Remember what the registry holds, to prove after lab_down that none of it survived.
snapshot_registry() {
	local name node pid start
	while read -r name node pid start; do
		LEFT_PIDS+=("$pid")
		LEFT_STARTS+=("$start")
	done <"$LAB_PIDS"
}

check_nothing_left() {
	local what=$1 i f
	local -a alive=() shm=()
	if [[ -n "$(lab__namespaces "$LAB_PREFIX")" ]]; then
		fail "$what: namespaces left: $(lab__namespaces "$LAB_PREFIX" | tr '\n' ' ')"
	else
		pass "$what: no namespace with prefix $LAB_PREFIX left"
	fi
	for i in "${!LEFT_PIDS[@]}"; do
		if lab__pid_alive "${LEFT_PIDS[$i]}" "${LEFT_STARTS[$i]}"; then
			alive+=("${LEFT_PIDS[$i]}")
		fi
		for f in /dev/shm/qb-*-"${LEFT_PIDS[$i]}"-*; do
			[[ -e "$f" ]] && shm+=("$f")
		done
	done
	if ((${#alive[@]})); then
		fail "$what: registered processes still running: ${alive[*]}"
	else
		pass "$what: none of the ${#LEFT_PIDS[@]} registered processes is running"
	fi
	if ((${#shm[@]})); then
		fail "$what: /dev/shm files left: ${shm[*]}"
	else
		pass "$what: no libqb /dev/shm file of those PIDs left"
	fi
	if [[ -d "$LAB_DIR" ]]; then
		fail "$what: $LAB_DIR still exists"
	else
		pass "$what: $LAB_DIR removed"
	fi
}

expect_eq() {
	local what=$1 want=$2 got=$3
	if [[ "$got" == "$want" ]]; then
		pass "$what = $got"
	else
		fail "$what: want '$want', got '$got'"
	fi
}

# corosync_phase N: start corosync on gw1..gwN, wait for N members everywhere, check config.
corosync_phase() {
	local n=$1 node t0 ms k two
	local -a nodes=()
	for ((k = 1; k <= n; k++)); do
		nodes+=("gw$k")
	done
	t0=$(lab_now_ms)
	lab_corosync_start "${nodes[@]}"
	for node in "${nodes[@]}"; do
		if lab_corosync_wait_members "$node" "$n" 15; then
			ms=$(($(lab_now_ms) - t0))
			pass "$n nodes: $node sees $n members ${ms} ms after corosync start"
		else
			fail "$n nodes: $node does not see $n members"
		fi
	done
	expect_eq "$n nodes: gw1 totem.crypto_cipher" aes256 \
		"$(lab_corosync_value gw1 totem.crypto_cipher || echo '?')"
	expect_eq "$n nodes: gw1 totem.crypto_hash" sha256 \
		"$(lab_corosync_value gw1 totem.crypto_hash || echo '?')"
	if grep -q 'crypto_nss.so has been loaded' "$(lab_node_dir gw1)/corosync/corosync.log"; then
		pass "$n nodes: knet loaded its crypto module (corosync.log)"
	else
		fail "$n nodes: knet crypto module not loaded"
	fi
	expect_eq "$n nodes: gw1 runtime.config.totem.token" "$LAB_TOKEN" \
		"$(lab_corosync_value gw1 runtime.config.totem.token || echo '?')"
	two=$([[ "$n" == 2 ]] && echo 1 || echo 0)
	expect_eq "$n nodes: gw1 runtime.votequorum.two_node" "$two" \
		"$(lab_corosync_value gw1 runtime.votequorum.two_node || echo '?')"
	if lab_corosync_quorumtool gw1 -s >/dev/null; then
		pass "$n nodes: gw1 quorate"
	else
		fail "$n nodes: gw1 not quorate"
	fi
}

# ipsec_phase: charon in br (branch) and in gw1 (stand-in cluster on 192.0.2.11).
ipsec_phase() {
	local node state t0 bytes
	lab_branch_conf "$LAB_DIR/br/swanctl" --remote "$(lab_addr gw1 wan)"
	lab_cluster_conf "$LAB_DIR/gw1/swanctl" --local "$(lab_addr gw1 wan)"
	t0=$(lab_now_ms)
	lab_charon_start br "$LAB_DIR/br/swanctl"
	lab_charon_start gw1 "$LAB_DIR/gw1/swanctl"
	pass "charon up in br and gw1, connections loaded, in $(($(lab_now_ms) - t0)) ms"
	if lab_ike_initiate gw1 tandem 10; then
		pass "gw1 initiated IKE_SA + CHILD_SA in ${LAB_IKE_MS} ms (swanctl --initiate)"
	else
		fail "gw1 could not initiate (${LAB_IKE_MS} ms)"
	fi
	for node in gw1 br; do
		state=$(lab_ike_state "$node" tandem || echo none)
		expect_eq "$node IKE_SA state" ESTABLISHED "$state"
		state=$(lab_child_field "$node" tandem state || echo none)
		expect_eq "$node CHILD_SA state" INSTALLED "$state"
		state=$(lab_child_field "$node" tandem encap || echo none)
		expect_eq "$node CHILD_SA UDP encapsulation" yes "$state"
	done

	# hc's default route points at the VIP, which nobody owns yet: use gw1 directly.
	lab_set_route hc default via "$(lab_addr gw1 lan)"
	if lab_ping hc "$LAB_HB_ADDR" 5; then
		pass "ping hc ($LAB_HC_ADDR) -> hb ($LAB_HB_ADDR): 5/5 replies"
	else
		fail "ping hc -> hb through the tunnel"
	fi
	for node in gw1 br; do
		for dir in in out; do
			bytes=$(lab_child_field "$node" tandem "bytes-$dir" || echo 0)
			if [[ "$bytes" =~ ^[0-9]+$ ]] && ((bytes > 0)); then
				pass "$node CHILD_SA bytes-$dir = $bytes (ESP through libipsec)"
			else
				fail "$node CHILD_SA bytes-$dir = '$bytes'"
			fi
		done
	done
	if [[ "$(lab_exec_plain gw1 ip route show table 220)" == *"dev ipsec0"* ]]; then
		pass "gw1 routes the branch LAN via ipsec0 (table 220)"
	else
		fail "gw1 has no libipsec route in table 220"
	fi
}

# fault_phase: the link helpers and a corosync crash.
fault_phase() {
	local pid t0
	lab_link_cut gw2 sync0
	if lab_ping gw1 "$(lab_addr gw2 sync)"; then
		fail "lab_link_cut gw2 sync0: gw1 still reaches gw2"
	else
		pass "lab_link_cut gw2 sync0: gw1 no longer reaches gw2 on sync"
	fi
	lab_link_heal gw2 sync0
	if lab_wait_until 3 lab_ping gw1 "$(lab_addr gw2 sync)"; then
		pass "lab_link_heal gw2 sync0: reachable again"
	else
		fail "lab_link_heal gw2 sync0: still unreachable"
	fi
	pid=$(lab_pid corosync-gw3)
	t0=$(lab_now_ms)
	lab_corosync_kill gw3
	if lab_corosync_wait_members gw1 2 10; then
		pass "corosync gw3 killed (SIGKILL): gw1 sees 2 members after $(($(lab_now_ms) - t0)) ms"
	else
		fail "gw1 still does not see 2 members after killing gw3"
	fi
	if compgen -G "/dev/shm/qb-*-$pid-*" >/dev/null; then
		fail "libqb files of killed corosync $pid left in /dev/shm"
	else
		pass "no /dev/shm file of the killed corosync (pid $pid) left"
	fi
}

main() {
	local t_start t0
	t_start=$(lab_now_ms)
	lab_init
	set_traps
	start_watchdog

	say "== phase 1: 2 gateways, corosync two_node (prefix $LAB_PREFIX)"
	lab_topology_up 2
	pass "topology with 2 gateways up in ${LAB_UP_MS} ms"
	corosync_phase 2
	snapshot_registry
	t0=$(lab_now_ms)
	lab_down
	pass "lab_down in $(($(lab_now_ms) - t0)) ms"
	check_nothing_left "after phase 1"

	say "== phase 2: 3 gateways + arbiter network, corosync, strongSwan"
	lab_init
	set_traps
	LAB_ARBITER=1 lab_topology_up 3
	pass "topology with 3 gateways + arbiter up in ${LAB_UP_MS} ms"
	if lab_ping gw3 "$LAB_ARB_ADDR" && lab_ping hb "$LAB_BR_LAN" && lab_ping br "$(lab_addr gw2 wan)"; then
		pass "arbiter, branch LAN and WAN reachable"
	else
		fail "basic reachability (gw3->arb, hb->br, br->gw2)"
	fi
	corosync_phase 3
	ipsec_phase
	fault_phase

	snapshot_registry
	t0=$(lab_now_ms)
	lab_down
	pass "lab_down in $(($(lab_now_ms) - t0)) ms"
	check_nothing_left "after phase 2"

	say "== whole test: $(($(lab_now_ms) - t_start)) ms, $FAILS failure(s)"
	if ((FAILS)); then
		exit 1
	fi
	exit 0
}

main "$@"
