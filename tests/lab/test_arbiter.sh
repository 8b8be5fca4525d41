#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Lab test of the arbiter helpers: a pair with corosync-qdevice on each gateway and
# corosync-qnetd in arb (ffsplit, lowest node id wins). Cutting gw2's sync link (both still
# reach the arbiter) must leave exactly gw1 quorate; healing it must make both quorate again;
# losing the arbiter must not cost quorum. Exit 0 pass, 1 fail, 77 skipped (not root).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ((EUID != 0)); then
	echo "SKIP: the lab needs root"
	exit 77
fi

# shellcheck source=lib/lab.sh
source "$HERE/lib/lab.sh"

TEST_TIMEOUT=${TEST_TIMEOUT:-90}
FAILS=0
WATCHDOG=''
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

start_watchdog() {
	(
		trap 'kill "$sp" 2>/dev/null; wait "$sp"; exit 0' TERM
		sleep "$TEST_TIMEOUT" &
		sp=$!
		wait "$sp" || exit 0
		stat=$(<"/proc/$BASHPID/stat")
		stat=${stat##*) }
		read -r _ ppid _ <<<"$stat"
		if [[ "$ppid" == "$$" ]]; then
			kill -TERM "$$"
		fi
	) </dev/null >/dev/null 2>&1 &
	WATCHDOG=$!
}

# Names, sizes and mtimes under the host's /etc/corosync: certutil must not have touched it.
etc_state() {
	find /etc/corosync -printf '%p %s %T@\n' 2>/dev/null | sort | md5sum
}

not_quorate() {
	! lab_quorate "$1"
}

# wait_quorum NODE yes|no T WHAT: wait for NODE's polled quorum state, report the time.
wait_quorum() {
	local node=$1 want=$2 t=$3 what=$4 t0 check=lab_quorate
	[[ "$want" == no ]] && check=not_quorate
	t0=$(lab_now_ms)
	if lab_wait_until "$t" "$check" "$node"; then
		pass "$what: $node quorate=$want after $(($(lab_now_ms) - t0)) ms"
	else
		fail "$what: $node not quorate=$want within ${t}s"
	fi
}

main() {
	local t_start t0
	t_start=$(lab_now_ms)
	ETC_BEFORE=$(etc_state)
	lab_init
	trap on_exit EXIT
	trap 'say "FAIL: SIGTERM (watchdog after ${TEST_TIMEOUT}s, or from outside)"; exit 143' TERM
	trap 'say "FAIL: interrupted"; exit 130' INT
	start_watchdog

	LAB_ARBITER=1 lab_topology_up 2
	LAB_QDEVICE=1
	t0=$(lab_now_ms)
	lab_qnetd_start
	lab_corosync_start gw1 gw2
	lab_corosync_wait_members gw1 2 10
	lab_qdevice_start gw1 gw2
	if lab_qdevice_wait gw1 15 && lab_qdevice_wait gw2 15; then
		pass "qnetd + 2 corosync + 2 qdevice up, device voting on both, in $(($(lab_now_ms) - t0)) ms"
	else
		fail "qdevice not voting"
	fi
	if lab_qnetd_tool -l | grep -q "Node ID 2"; then
		pass "qnetd lists both nodes of cluster $LAB_PREFIX"
	else
		fail "qnetd does not list the nodes"
	fi
	wait_quorum gw1 yes 5 "start"
	wait_quorum gw2 yes 5 "start"

	lab_link_cut gw2 sync0
	say "-- sync link of gw2 cut (both still reach the arbiter)"
	wait_quorum gw2 no 15 "split"
	wait_quorum gw1 yes 1 "split"
	if lab_corosync_wait_members gw1 1 10; then
		pass "split: gw1 sees 1 member"
	else
		fail "split: gw1 still sees the peer"
	fi

	lab_link_heal gw2 sync0
	say "-- sync link healed"
	lab_corosync_wait_members gw1 2 15 || true
	wait_quorum gw2 yes 15 "heal"
	wait_quorum gw1 yes 1 "heal"

	lab_qnetd_kill
	say "-- arbiter killed"
	sleep 2
	wait_quorum gw1 yes 1 "no arbiter"
	wait_quorum gw2 yes 1 "no arbiter"

	lab_down
	if [[ -z "$(lab__namespaces "$LAB_PREFIX")" && ! -d "$LAB_DIR" ]]; then
		pass "lab_down: no namespace or state dir left"
	else
		fail "lab_down left something"
	fi
	if [[ "$(etc_state)" == "$ETC_BEFORE" ]]; then
		pass "host /etc/corosync untouched"
	else
		fail "host /etc/corosync changed"
	fi

	say "== whole test: $(($(lab_now_ms) - t_start)) ms, $FAILS failure(s)"
	((FAILS == 0)) || exit 1
	exit 0
}

main "$@"
