#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end: tandemd and hactl in a temporary directory (no namespaces, no root needed).
# Checks the control socket (mode, stale and live sockets), status and show configuration in
# text and JSON, masked keys, SIGHUP reload (a broken file is refused and the running
# configuration kept), the pid file lock, daemonising, clean SIGTERM exit, hactl's errors and
# exit codes, and --check-config. Usage: test_cli.sh TANDEMD HACTL
set -u
TANDEMD=${1:?tandemd binary}
HACTL=${2:?hactl binary}
T=$(mktemp -d /tmp/tandem-cli.XXXXXX)
PIDS=()
fails=0
cleanup() {
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok   - $*"; }
jqq() { jq -e "$@" >/dev/null; } # a jq test whose output is not wanted (check's line is)
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { # check "description" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
wait_for() { # wait_for SECONDS test-command...
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

cat >"$T/good.conf" <<'CONF'
! a small configuration: one IKEv2 tunnel and a two-node cluster
ike2 proposal p1
  encryption algorithm aes-128-gcm
  pseudo-random-function hmac-sha2-256
  dh-group 19
ipsec proposal ip1
  esp encryption aes-128-gcm
ipsec policy pol1
  seq 10 proposal ip1
context L1
  interface loop1 loopback
    ip address 192.0.2.10/32
  interface TI-1 ipsec
    ip address 169.254.10.1/30
  ike2 policy ikp1
    pre-shared-key VerySecretKey-42
    seq 10 proposal p1
  ipsec access-list acl1
    seq 10 10.1.0.0/24 10.2.0.0/24
  ip route 10.2.0.0/24 TI-1 cost 5
tunnel ipsec branch1
  peer-end-point local 192.0.2.10 remote 192.0.2.2 context L1
  bind interface TI-1 L1
  remote-id 192.0.2.2
  ike-policy ikp1
  seq 10 ipsec-policy pol1 access-group acl1
cluster hq
  node gw1 id 1 priority 200 address 172.31.3.1
  node gw2 id 2 priority 100 address 172.31.3.2
  virtual-address 192.0.2.10/24 interface wan0
CONF

CTL=$T/run/ctl.sock
start() { # start extra-args...: foreground daemon in the background
	# exec in a subshell without the EXIT trap: a forked bash would otherwise run cleanup
	# when the daemon exits
	(
		trap - EXIT
		exec "$TANDEMD" --foreground --config "$T/live.conf" --node gw1 --ctl "$CTL" \
			--state-dir "$T/state" --pid-file "$T/tandemd.pid" "$@" >>"$T/tandemd.log" 2>&1
	) &
	PIDS+=($!)
	DPID=$!
	# ready when it answers: a stale socket file may exist before the daemon binds
	wait_for 10 bash -c "'$HACTL' --ctl '$CTL' status >/dev/null 2>&1"
}
h() { "$HACTL" --ctl "$CTL" "$@"; }

# --check-config
check "check-config accepts a good file" "$TANDEMD" --check-config --config "$T/good.conf" --node gw1
printf 'ike2 proposal p1\n  dh-group 7\n' >"$T/bad.conf"
out=$("$TANDEMD" --check-config --config "$T/bad.conf" 2>&1)
rc=$?
check "check-config refuses a bad file (exit 1)" test "$rc" -eq 1
check "check-config names file:line:column" grep -q "bad.conf:2:[0-9]*: error" <<<"$out"
out=$("$TANDEMD" --check-config --config "$T/good.conf" --node gw9 2>&1)
check "check-config refuses a node missing from the cluster" test $? -eq 1

# hactl without a daemon
h status >/dev/null 2>"$T/err"
check "hactl without a socket exits 3" test $? -eq 3
check "hactl says the socket is missing" grep -q "no control socket at $CTL" "$T/err"

cp "$T/good.conf" "$T/live.conf"
check "tandemd starts and opens its control socket" start
check "control socket is mode 0600" test "$(stat -c %a "$CTL")" = 600
check "master key created with mode 0600" test "$(stat -c %a "$T/state/master.key")" = 600

out=$(h status)
check "status names the node" grep -q "^node *gw1 (cluster hq)" <<<"$out"
check "status says what is not built yet" grep -q "not built yet" <<<"$out"
json=$(h --json status)
# (a node of a two-node cluster without corosync is never active)
check "status --json is valid JSON with the documented keys" \
	jqq '.node == "gw1" and .cluster == "hq" and
		(.role == "starting" or .role == "faulted") and
		(.config_digest | length) == 64 and .tunnels_configured == 1 and
		(.uptime_sec | type) == "number" and (.not_built | length) >= 1 and
		.last_reload == null' <<<"$json"
digest1=$(jq -r .config_digest <<<"$json")

out=$(h sh conf)
check "abbreviated 'sh conf' shows the configuration" grep -q "tunnel ipsec branch1" <<<"$out"
check "show configuration masks the pre-shared key" grep -q "masked-key" <<<"$out"
if grep -q "VerySecretKey-42" <<<"$out$(h show configuration verbose)$(h --json show configuration)"; then
	bad "the pre-shared key appears in clear"
else
	ok "the pre-shared key never appears in clear"
fi
check "show configuration --json carries the same digest" \
	test "$(h --json show configuration | jq -r .digest)" = "$digest1"
h show bogus >/dev/null 2>&1
check "unknown command exits 2" test $? -eq 2

# a second daemon on the same socket, and on the same pid file
"$TANDEMD" --foreground --config "$T/live.conf" --node gw1 --ctl "$CTL" \
	--state-dir "$T/state" >"$T/second.log" 2>&1
check "a second tandemd on a live socket refuses to start" test $? -ne 0
check "…and says another tandemd serves it" grep -q "another tandemd is serving" "$T/second.log"
"$TANDEMD" --foreground --config "$T/live.conf" --node gw1 --ctl "$T/other.sock" \
	--state-dir "$T/state" --pid-file "$T/tandemd.pid" >"$T/third.log" 2>&1
check "a second tandemd on a locked pid file refuses to start" grep -q "already runs" "$T/third.log"

# SIGHUP with a broken file keeps the running configuration
printf 'tunnel ipsec x\n  mtu 5\n' >"$T/live.conf"
kill -HUP "$DPID"
wait_for 5 bash -c "'$HACTL' --ctl '$CTL' --json status | jq -e '.last_reload != null' >/dev/null"
json=$(h --json status)
check "a broken reload is refused and reported with file:line:col" \
	jq -e '.last_reload.ok == false and (.last_reload.detail | test("live.conf:[0-9]+:[0-9]+: error"))' <<<"$json" >/dev/null
check "…and the running configuration is kept" test "$(jq -r .config_digest <<<"$json")" = "$digest1"
sed 's/cost 5/cost 7/' "$T/good.conf" >"$T/live.conf"
kill -HUP "$DPID"
wait_for 5 bash -c "'$HACTL' --ctl '$CTL' --json status | jq -e '.last_reload.ok == true' >/dev/null"
check "a good reload changes the digest" test "$(h --json status | jq -r .config_digest)" != "$digest1"

kill -TERM "$DPID"
wait_for 5 bash -c "! kill -0 $DPID 2>/dev/null"
wait "$DPID"
check "SIGTERM: clean exit 0" test $? -eq 0
check "SIGTERM: socket and pid file removed" test ! -e "$CTL" -a ! -e "$T/tandemd.pid"

# a stale socket left by a killed daemon is replaced
start
{ kill -KILL "$DPID"; wait "$DPID"; } 2>/dev/null
wait "$DPID" 2>/dev/null
h status >/dev/null 2>"$T/err"
check "hactl on a stale socket exits 3 and says nothing listens" grep -q "nothing listens" "$T/err"
check "tandemd replaces a stale socket" start
kill -TERM "$DPID"
wait "$DPID" 2>/dev/null

# daemon mode: the parent returns once the node serves requests
"$TANDEMD" --config "$T/live.conf" --node gw1 --ctl "$CTL" --state-dir "$T/state" \
	--pid-file "$T/tandemd.pid"
check "daemon mode: the parent exits 0 once serving" test $? -eq 0
check "daemon mode: the pid file names a live process" kill -0 "$(cat "$T/tandemd.pid")"
PIDS+=("$(cat "$T/tandemd.pid")")
check "daemon mode: status answers" bash -c "\"$HACTL\" --ctl \"$CTL\" status >/dev/null"
kill -TERM "$(cat "$T/tandemd.pid")"
wait_for 5 test ! -e "$CTL"
cp "$T/bad.conf" "$T/live.conf"
"$TANDEMD" --config "$T/live.conf" --node gw1 --ctl "$CTL" --state-dir "$T/state" 2>/dev/null
check "daemon mode with a bad configuration exits non-zero" test $? -ne 0

echo "cli: $fails failure(s)"
[ "$fails" -eq 0 ]
