#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Lab test of the crypto engine with a manual-key tunnel, tandem on both ends: tandemd on gw1
# and a second tandemd (instead of strongSwan) on the branch br, mirror configurations, the
# real tandem-engine on each. Ping and TCP (iperf3) between hc (10.1.0.100) and hb
# (10.2.0.100) both ways; then, mid-traffic, kill -9 of gw1's engine (seen within 100 ms,
# restarted, traffic resumes) and SIGSTOP of it (hung: seen within 100 ms, killed, restarted);
# a capture on gw1's WAN side must show no (SPI, sequence number) pair twice. Prints the
# measured numbers. Exit 0 pass, 1 fail, 77 not root.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ((EUID != 0)); then
	echo "SKIP: the lab needs root"
	exit 77
fi

# shellcheck source=lib/lab.sh
source "$HERE/lib/lab.sh"

TEST_TIMEOUT=${TEST_TIMEOUT:-90}
DETECT_MAX_MS=${DETECT_MAX_MS:-100}
FAILS=0
WATCHDOG=''
exec {OUT}>&1

say() { printf '%s\n' "$*" >&"$OUT"; }
pass() { say "PASS: $*"; }
fail() {
	say "FAIL: $*"
	FAILS=$((FAILS + 1))
}
check() { # check DESCRIPTION CMD...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

on_exit() {
	local rc=$?
	trap - EXIT
	if [[ -n "$WATCHDOG" ]]; then
		kill "$WATCHDOG" 2>/dev/null || true
	fi
	if ((FAILS > 0 || rc != 0)) && [[ -n "${LAB_DIR:-}" && -d "${LAB_DIR:-}" ]]; then
		for n in gw1 br; do
			say "---- tail of $n's tandemd.log"
			tail -n 25 "$LAB_DIR/$n/tandemd.log" >&"$OUT" 2>/dev/null || true
		done
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

# Binaries: the build tree this script belongs to unless TANDEM_BIN/TANDEM_HACTL say otherwise.
BUILD=${TANDEM_BUILD:-$LAB_REPO/build}
export TANDEM_BIN=${TANDEM_BIN:-$BUILD/node}
export TANDEM_HACTL=${TANDEM_HACTL:-$BUILD/ha/hactl/hactl}
ENGINE=${TANDEM_ENGINE:-$TANDEM_BIN/engine/tandem-engine}
for b in "$TANDEM_BIN/tandemd" "$TANDEM_HACTL" "$ENGINE"; do
	if [[ ! -x "$b" ]]; then
		echo "FAIL: not built: $b (set TANDEM_BUILD or TANDEM_BIN/TANDEM_HACTL/TANDEM_ENGINE)"
		exit 1
	fi
done
for t in iperf3 tcpdump tshark jq; do
	command -v "$t" >/dev/null || { echo "FAIL: $t is not installed"; exit 1; }
done

T0=$(lab_now_ms)
lab_init
trap on_exit EXIT
trap 'say "FAIL: SIGTERM (watchdog after ${TEST_TIMEOUT}s, or from outside)"; exit 143' TERM
trap 'say "FAIL: interrupted"; exit 130' INT
start_watchdog

# ---- 1. topology, two tandemd with mirror manual-key configurations ---------------------------
lab_topology_up 1
lab_set_route hc default via "$(lab_addr gw1 lan)"
lab_tandem_manual_conf "$LAB_DIR/gw1.conf" --side gw1
lab_tandem_manual_conf "$LAB_DIR/br.conf" --side br --peer gw1
lab_tandemd_start gw1 "$LAB_DIR/gw1.conf" --engine "$ENGINE"
lab_tandemd_start br "$LAB_DIR/br.conf" --engine "$ENGINE"
check "gw1's engine is up" lab_engine_wait_up gw1 5
say "      gw1 engine up ${LAB_WAIT_MS} ms after tandemd answered"
check "br's engine is up" lab_engine_wait_up br 5

# ---- 2. traffic both ways --------------------------------------------------------------------
ping_ok() { # ping_ok FROM TO COUNT
	lab_exec_plain "$1" ping -q -c "$3" -i 0.2 -W 1 "$2" >/dev/null 2>&1
}
check "ping hc -> hb through the tunnel" ping_ok hc "$LAB_HB_ADDR" 5
check "ping hb -> hc through the tunnel" ping_ok hb "$LAB_HC_ADDR" 5

lab_spawn iperf3-hb hb "$LAB_DIR/iperf3-hb.log" iperf3 -s -B "$LAB_HB_ADDR"
lab_wait_until 3 lab_exec_plain hb sh -c "ss -ltn | grep -q ':5201'" || true

# iperf_run NAME ARGS...: iperf3 client on hc to hb, JSON into $LAB_DIR/NAME.json.
iperf_run() {
	local name=$1
	shift
	# bounded: a stalled connection would otherwise wait forever for its last exchange
	lab_exec_plain hc timeout 20 iperf3 -c "$LAB_HB_ADDR" -J "$@" >"$LAB_DIR/$name.json" 2>&1
}
mbps() { jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "$LAB_DIR/$1.json"; }
if iperf_run tcp-up -t 3; then
	pass "TCP hc -> hb for 3 s: $(mbps tcp-up) Mbit/s"
else
	fail "TCP hc -> hb (iperf3: $(jq -r .error "$LAB_DIR/tcp-up.json" 2>/dev/null))"
fi
if iperf_run tcp-down -t 3 -R; then
	pass "TCP hb -> hc for 3 s: $(mbps tcp-down) Mbit/s"
else
	fail "TCP hb -> hc (iperf3: $(jq -r .error "$LAB_DIR/tcp-down.json" 2>/dev/null))"
fi

# ---- 3. kill -9 of gw1's engine mid-traffic ---------------------------------------------------
PCAP=$LAB_DIR/wan.pcap
lab_spawn tcpdump-gw1 gw1 "$LAB_DIR/tcpdump.log" tcpdump -i wan0 -n -s 96 -B 32768 -w "$PCAP" \
	udp port 4500
lab_wait_until 3 grep -q "listening on" "$LAB_DIR/tcpdump.log" || true

logged_ms() { lab_tandemd_log_ms gw1 "$1"; }
# up_after PATTERN: the time of day (ms) of gw1's first "engine G1 up" line after the first
# line matching PATTERN.
up_after() {
	local line
	line=$(awk -v p="$1" '$0 ~ p { f = 1 } f && /engine G1 up: pid/ { print; exit }' \
		"$LAB_DIR/gw1/tandemd.log") || return 1
	[[ -n "$line" ]] || return 1
	lab_tandemd_log_ms gw1 "^${line%% *} .*engine G1 up: pid"
}

# Under full load on 2 cores (two engines, iperf3 at both ends) an engine's heartbeats can come
# later than the hung threshold (docs/engine.md, "Heartbeat timing"); count such restarts.
R0=$(lab_engine_field gw1 restarts)
RB0=$(lab_engine_field br restarts)
say "      restarts after the full-rate TCP tests: gw1 $R0, br $RB0 (late heartbeats under load)"
# Traffic both ways (iperf3 --bidir) and a ping every 10 ms: after a restart the new engine
# drops the peer's packets numbered up to replay_report_every past the last report (so that
# nothing the old engine accepted is accepted twice); a flow with no traffic from the peer
# would wait for the peer to send past that gap (docs/engine.md, "Sequence numbers across
# restarts").
lab_exec_plain hc ping -q -i 0.01 -c 600 -W 1 "$LAB_HB_ADDR" >"$LAB_DIR/ping-kill.txt" 2>&1 &
PINGK=$!
iperf_run tcp-kill -t 6 -i 0.5 --bidir -b 150M &
IPERF=$!
sleep 2
PID1=$(lab_engine_pid gw1)
T_KILL=$(lab_clock_ms_of_day)
kill -KILL "$PID1" || fail "kill -9 $PID1: the engine was gone already"
lab_engine_wait_up gw1 5 $((R0 + 1)) || true
DET_MS=$(lab_engine_field gw1 last_failure_detect_ms)
REASON=$(lab_engine_field gw1 last_failure)
R1=$(lab_engine_field gw1 restarts)
wait "$IPERF" && IPERF_RC=0 || IPERF_RC=$?
wait "$PINGK" || true
PAT1="engine G1 \\(pid $PID1\\) closed its channel"
DET_LOG=$(logged_ms "$PAT1") || DET_LOG=''
UP_LOG=$(up_after "$PAT1") || UP_LOG=''
if [[ -n "$DET_LOG" ]]; then
	SEEN=$((DET_LOG - T_KILL))
	say "      kill -9: tandemd logged the failure ${SEEN} ms after the kill (its last" \
		"heartbeat to the detection: ${DET_MS} ms); the new engine served" \
		"$((${UP_LOG:-0} - T_KILL)) ms after the kill"
	check "kill -9 seen within ${DETECT_MAX_MS} ms (${SEEN} ms)" test "$SEEN" -lt "$DETECT_MAX_MS"
else
	fail "tandemd did not log the engine's exit"
fi
check "hactl show engines names the failure ($REASON)" test "$REASON" = exited
check "the engine was restarted (restarts $R0 -> $R1)" test "$R1" -ge $((R0 + 1))
check "a new engine process serves ($(lab_engine_pid gw1) != $PID1)" \
	test "$(lab_engine_pid gw1)" != "$PID1"
if ((IPERF_RC == 0)); then
	# per direction: the last second's rate, and half-seconds below 1 Mbit/s
	LAST=$(jq -r '[.intervals[-2:][].streams[].bits_per_second] | min / 1e6 | floor' \
		"$LAB_DIR/tcp-kill.json")
	GAP=$(jq -r '[.intervals[].streams[].bits_per_second | select(. < 1e6)] | length' \
		"$LAB_DIR/tcp-kill.json")
	say "      TCP both ways during the kill: $(mbps tcp-kill) Mbit/s received on average;" \
		"in the last second at least ${LAST} Mbit/s each way; ${GAP} half-second" \
		"interval(s) below 1 Mbit/s; ping every 10 ms:" \
		"$(grep -Eo '[0-9]+ received.*% packet loss' "$LAB_DIR/ping-kill.txt" || echo '?')"
	check "TCP traffic resumed both ways after the restart (${LAST} Mbit/s at the end)" \
		test "$LAST" -gt 1
else
	fail "iperf3 across the kill failed ($(jq -r .error "$LAB_DIR/tcp-kill.json" 2>/dev/null))"
fi
check "ping hc -> hb after the restart" ping_ok hc "$LAB_HB_ADDR" 3

# ---- 4. SIGSTOP: a hung engine ------------------------------------------------------------------
lab_exec_plain hc ping -q -i 0.01 -c 400 -W 1 "$LAB_HB_ADDR" >"$LAB_DIR/ping-stop.txt" 2>&1 &
PING=$!
sleep 1
PID2=$(lab_engine_pid gw1)
T_STOP=$(lab_clock_ms_of_day)
kill -STOP "$PID2" || fail "kill -STOP $PID2: the engine was gone already"
lab_engine_wait_up gw1 5 $((R1 + 1)) || true
DET2_MS=$(lab_engine_field gw1 last_failure_detect_ms)
REASON2=$(lab_engine_field gw1 last_failure)
wait "$PING" || true
PAT2="engine G1 \\(pid $PID2\\) sent no heartbeat"
DET2_LOG=$(logged_ms "$PAT2") || DET2_LOG=''
UP2_LOG=$(up_after "$PAT2") || UP2_LOG=''
if [[ -n "$DET2_LOG" ]]; then
	SEEN2=$((DET2_LOG - T_STOP))
	say "      SIGSTOP: tandemd logged the hang ${SEEN2} ms after the stop (its last" \
		"heartbeat to the detection: ${DET2_MS} ms); the new engine served" \
		"$((${UP2_LOG:-0} - T_STOP)) ms after the stop"
	check "hung engine seen within ${DETECT_MAX_MS} ms (${SEEN2} ms)" \
		test "$SEEN2" -lt "$DETECT_MAX_MS"
else
	fail "tandemd did not log the hang"
fi
check "reason 'hung' in hactl show engines ($REASON2)" test "$REASON2" = hung
gone() { ! kill -0 "$1" 2>/dev/null || [[ "$(lab__pid_state "$1" 2>/dev/null)" == Z ]]; }
check "the hung engine was killed (pid $PID2 gone)" lab_wait_until 2 gone "$PID2"
R2=$(lab_engine_field gw1 restarts)
check "restarted again (restarts $R1 -> $R2)" test "$R2" -ge $((R1 + 1))
say "      ping every 10 ms across the hang: $(grep -Eo '[0-9]+ received.*% packet loss' \
	"$LAB_DIR/ping-stop.txt" || echo '?')"
check "ping hc -> hb after the second restart" ping_ok hc "$LAB_HB_ADDR" 3

# ---- 5. no (SPI, sequence number) sent twice ----------------------------------------------------
lab_stop tcpdump-gw1 5
DROPPED=$(grep -Eo '[0-9]+ packets dropped by kernel' "$LAB_DIR/tcpdump.log" | cut -d' ' -f1)
read -r NPKT NSPI NDUP < <(lab_esp_seq_check "$PCAP" || echo "0 0 -1")
say "      capture on gw1 wan0: ${NPKT} ESP packets, ${NSPI} SPIs, ${DROPPED:-0} dropped by" \
	"the kernel, ${NDUP} repeated (SPI, sequence number) pairs"
check "the capture holds ESP of both directions" test "$NSPI" -ge 2 -a "$NPKT" -gt 1000
check "no (SPI, sequence number) pair sent twice" test "$NDUP" -eq 0

say "      restarts not caused by the test: gw1 $(($(lab_engine_field gw1 restarts) - 2))," \
	"br $(lab_engine_field br restarts) (late heartbeats under load; see docs/engine.md)"
say "      hactl show engines on gw1:"
lab_hactl gw1 show engines | sed 's/^/        /' >&"$OUT"
say "      total $(($(lab_now_ms) - T0)) ms"
if ((FAILS > 0)); then
	say "FAILED: $FAILS check(s)"
	exit 1
fi
say "OK: all checks passed"
