# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The arbiter for a pair: corosync-qnetd in the "arb" namespace (LAB_ARBITER=1), one
# corosync-qdevice per gateway, TLS with client certificates. Every daemon and certutil call
# sees a private /etc/corosync ($LAB_DIR/NODE/etc-corosync) and a private /run, so nothing of
# the host's /etc/corosync/qnetd is used or changed. Sourced by lab.sh; recipe in TESTBED.md.
# Enable with LAB_QDEVICE=1 *before* lab_corosync_start: the quorum block then names the
# device instead of two_node.

LAB_QDEVICE=${LAB_QDEVICE:-0}
# Device timing (ms); TESTBED.md measured 3000/6000 with token 1000 (≈2 s to lose quorum).
LAB_QDEVICE_TIMEOUT=${LAB_QDEVICE_TIMEOUT:-3000}
LAB_QDEVICE_SYNC_TIMEOUT=${LAB_QDEVICE_SYNC_TIMEOUT:-6000}
# Empty = ffsplit for an even number of nodes, lms for an odd one.
LAB_QDEVICE_ALGORITHM=${LAB_QDEVICE_ALGORITHM:-}
LAB_QDEVICE_TIE_BREAKER=${LAB_QDEVICE_TIE_BREAKER:-lowest}
LAB_QDEVICE_START_TIMEOUT=${LAB_QDEVICE_START_TIMEOUT:-15}
# qdevice <-> qnetd heartbeat (ms); empty = qdevice's own (timeout x 0.8, at least 1000). qnetd
# drops a silent client after 1.5 heartbeats, and ffsplit gives the survivor of a whole-node
# loss its vote only then (docs/faults.md "Timing"): 300 confirms within the token's detection.
LAB_QDEVICE_HEARTBEAT=${LAB_QDEVICE_HEARTBEAT:-}

# lab__etc_corosync NODE: create (once) and print NODE's private /etc/corosync.
lab__etc_corosync() {
	local etc
	etc=$(lab_node_dir "$1")/etc-corosync
	mkdir -p "$etc/qnetd" "$etc/qdevice/net" || return 1
	printf '%s\n' "$etc"
}

# lab__qdevice_quorum NODE_COUNT: the quorum { } block with the device (used by lab-corosync).
lab__qdevice_quorum() {
	local count=$1 algo=$LAB_QDEVICE_ALGORITHM
	if [[ -z "$algo" ]]; then
		algo=$([[ $((count % 2)) == 0 ]] && echo ffsplit || echo lms)
	fi
	printf 'quorum {\n\tprovider: corosync_votequorum\n'
	printf '\tdevice {\n\t\tmodel: net\n\t\tvotes: 1\n'
	printf '\t\ttimeout: %s\n\t\tsync_timeout: %s\n' "$LAB_QDEVICE_TIMEOUT" \
		"$LAB_QDEVICE_SYNC_TIMEOUT"
	printf '\t\tnet {\n\t\t\thost: %s\n\t\t\talgorithm: %s\n\t\t\ttie_breaker: %s\n\t\t}\n' \
		"$LAB_ARB_ADDR" "$algo" "$LAB_QDEVICE_TIE_BREAKER"
	printf '\t}\n}\n\n'
}

# lab__run_quiet NODE CMD...: run CMD in NODE; show its output only if it fails.
lab__run_quiet() {
	local node=$1 out
	shift
	if ! out=$(lab_exec "$node" "$@" 2>&1); then
		lab_err "$node: $* failed:"
		printf '%s\n' "$out" | tail -n 10 >&2
		return 1
	fi
}

# lab_qnetd_start: create the arbiter's CA (private nssdb) and start corosync-qnetd in arb.
lab_qnetd_start() {
	local etc dir
	lab__require_node arb || return 1
	if lab_pid qnetd-arb >/dev/null; then
		lab_err "qnetd already runs"
		return 1
	fi
	etc=$(lab__etc_corosync arb) || return 1
	dir=$(lab_node_dir arb)
	mkdir -p "$dir/run/corosync-qnetd" || return 1
	if [[ ! -s "$etc/qnetd/nssdb/qnetd-cacert.crt" ]]; then
		lab__run_quiet arb corosync-qnetd-certutil -i || return 1
	fi
	local opts=()
	# qnetd refuses heartbeats below its floor (1000 ms by default)
	[[ -n "$LAB_QDEVICE_HEARTBEAT" ]] && opts=(-S heartbeat_interval_min=100)
	lab_spawn qnetd-arb arb "$dir/qnetd.log" corosync-qnetd -f -l "$LAB_ARB_ADDR" "${opts[@]}" ||
		return 1
	lab_log "corosync-qnetd on arb: pid $LAB_SPAWN_PID"
	if ! lab_wait_until "$LAB_QDEVICE_START_TIMEOUT" lab__qnetd_answers; then
		lab_err "corosync-qnetd does not answer; log:"
		tail -n 20 "$dir/qnetd.log" >&2 || true
		return 1
	fi
}

lab__qnetd_answers() {
	lab_pid qnetd-arb >/dev/null || return 255
	lab_exec arb corosync-qnetd-tool -s >/dev/null 2>&1
}

# lab_qnetd_stop / lab_qnetd_kill: stop or crash the arbiter.
lab_qnetd_stop() {
	lab_stop qnetd-arb
}

lab_qnetd_kill() {
	lab_kill qnetd-arb
}

# lab_qnetd_tool ARGS...: corosync-qnetd-tool inside arb (e.g. -l, -s).
lab_qnetd_tool() {
	lab_exec arb corosync-qnetd-tool "$@"
}

# lab_qdevice_certs NODE...: the certificate exchange of TESTBED.md for the cluster (named
# LAB_PREFIX): the first node requests, the arbiter signs, the others import the p12.
# Done once per lab; needs lab_qnetd_start first.
lab_qdevice_certs() {
	local first=$1 node etc arbetc ca crq crt p12
	arbetc=$(lab__etc_corosync arb) || return 1
	ca=$arbetc/qnetd/nssdb/qnetd-cacert.crt
	if [[ ! -s "$ca" ]]; then
		lab_err "no qnetd CA yet (lab_qnetd_start first)"
		return 1
	fi
	etc=$(lab__etc_corosync "$first") || return 1
	p12=$etc/qdevice/net/nssdb/qdevice-net-node.p12
	# a node restarted on its own (the fault matrix) already holds its certificates
	if [[ ! -s "$p12" && ! -s "$etc/qdevice/net/nssdb/cert9.db" ]]; then
		lab__run_quiet "$first" corosync-qdevice-net-certutil -i -c "$ca" || return 1
		lab__run_quiet "$first" corosync-qdevice-net-certutil -r -n "$LAB_PREFIX" || return 1
		crq=$etc/qdevice/net/nssdb/qdevice-net-node.crq
		lab__run_quiet arb corosync-qnetd-certutil -s -c "$crq" -n "$LAB_PREFIX" || return 1
		crt=$arbetc/qnetd/nssdb/cluster-$LAB_PREFIX.crt
		lab__run_quiet "$first" corosync-qdevice-net-certutil -M -c "$crt" || return 1
	fi
	shift
	for node in "$@"; do
		etc=$(lab__etc_corosync "$node") || return 1
		if [[ -s "$etc/qdevice/net/nssdb/cert9.db" ]]; then
			continue
		fi
		lab__run_quiet "$node" corosync-qdevice-net-certutil -i -c "$ca" || return 1
		lab__run_quiet "$node" corosync-qdevice-net-certutil -m -c "$p12" || return 1
	done
}

# lab_qdevice_start NODE...: certificates (once), then corosync-qdevice on each node (its
# corosync must run with LAB_QDEVICE=1); returns once each qdevice answers on its socket.
lab_qdevice_start() {
	local node dir
	lab_qdevice_certs "$@" || return 1
	for node in "$@"; do
		if lab_pid "qdevice-$node" >/dev/null; then
			lab_err "qdevice already runs on $node"
			return 1
		fi
		dir=$(lab_node_dir "$node")
		mkdir -p "$dir/run/corosync-qdevice" || return 1
		local opts=()
		[[ -n "$LAB_QDEVICE_HEARTBEAT" ]] &&
			opts=(-S "net_heartbeat_interval_min=$LAB_QDEVICE_HEARTBEAT"
				-S "net_heartbeat_interval_max=$LAB_QDEVICE_HEARTBEAT")
		lab_spawn "qdevice-$node" "$node" "$dir/qdevice.log" corosync-qdevice -f "${opts[@]}" ||
			return 1
		lab_log "corosync-qdevice on $node: pid $LAB_SPAWN_PID"
	done
	for node in "$@"; do
		if ! lab_wait_until "$LAB_QDEVICE_START_TIMEOUT" lab__qdevice_answers "$node"; then
			lab_err "corosync-qdevice on $node does not answer; log:"
			tail -n 20 "$(lab_node_dir "$node")/qdevice.log" >&2 || true
			return 1
		fi
	done
}

lab__qdevice_answers() {
	lab_pid "qdevice-$1" >/dev/null || return 255
	lab_exec "$1" corosync-qdevice-tool -s >/dev/null 2>&1
}

# lab_qdevice_stop NODE / lab_qdevice_kill NODE
lab_qdevice_stop() {
	lab_stop "qdevice-$1"
}

lab_qdevice_kill() {
	lab_kill "qdevice-$1"
}

# lab_qdevice_tool NODE ARGS...: corosync-qdevice-tool inside NODE (e.g. -s, -sv).
lab_qdevice_tool() {
	local node=$1
	shift
	lab_exec "$node" corosync-qdevice-tool "$@"
}

# lab_quorate NODE: does NODE's corosync-quorumtool say "Quorate: Yes"? (A poll: see
# TESTBED.md on how it lags behind the quorum callback.)
lab_quorate() {
	local out
	out=$(lab_corosync_quorumtool "$1" -s 2>/dev/null) || true
	[[ "$out" =~ Quorate:\ +Yes ]]
}

# lab_qdevice_wait NODE TIMEOUT_S: wait until NODE's quorum counts the device's vote
# (corosync-quorumtool shows the Qdevice flag and a Qdevice vote). LAB_WAIT_MS = time taken.
lab_qdevice_wait() {
	local node=$1 timeout=${2:-15} t0
	t0=$(lab_now_ms)
	if lab_wait_until "$timeout" lab__qdevice_voting "$node"; then
		LAB_WAIT_MS=$(($(lab_now_ms) - t0))
		return 0
	fi
	LAB_WAIT_MS=$(($(lab_now_ms) - t0))
	return 1
}

# The local node's line in `corosync-quorumtool -s` carries the device flags, e.g.
# "1  1  A,V,NMW gw1 (local)": A alive, V voting (NV not), MW/NMW master wins.
lab__qdevice_voting() {
	local out line flags re=$'Flags:[^\n]*Qdevice'
	out=$(lab_corosync_quorumtool "$1" -s 2>/dev/null) || true
	[[ "$out" =~ $re ]] || return 1
	while IFS= read -r line; do
		[[ "$line" == *"(local)"* ]] || continue
		read -r _ _ flags _ <<<"$line"
		[[ ",$flags," == *,V,* ]] && return 0
	done <<<"$out"
	return 1
}
