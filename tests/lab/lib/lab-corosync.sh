# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Real corosync 3 (knet, crypto on) per gateway node, one per network namespace, each with a
# private /run, its own state_dir and log file, and one authkey shared by the lab. Sourced by
# lab.sh.

# Token timing (ms). LAB_CONSENSUS empty = corosync's default (1.2 x token).
LAB_TOKEN=${LAB_TOKEN:-1000}
LAB_CONSENSUS=${LAB_CONSENSUS:-}
LAB_KNET_PING_INTERVAL=${LAB_KNET_PING_INTERVAL:-200}
LAB_KNET_PING_TIMEOUT=${LAB_KNET_PING_TIMEOUT:-1000}
# totem token_retransmits_before_loss_const; empty = corosync's default (4). A lossy sync link
# needs more: the token is lost when every retransmission of one pass is (docs/faults.md).
LAB_TOKEN_RETRANSMITS=${LAB_TOKEN_RETRANSMITS:-}
# Nodes in the corosync nodelist; empty = every gateway of the topology.
LAB_COROSYNC_NODES=${LAB_COROSYNC_NODES:-}
# How long lab_corosync_start waits for a node's IPC to answer (s).
LAB_COROSYNC_START_TIMEOUT=${LAB_COROSYNC_START_TIMEOUT:-10}

# lab_corosync_authkey: path of the lab's authkey (256 random bytes), created on first use.
lab_corosync_authkey() {
	local key=$LAB_DIR/authkey
	if [[ ! -s "$key" ]]; then
		(umask 077 && head -c 256 /dev/urandom >"$key.tmp") || return 1
		mv "$key.tmp" "$key" || return 1
	fi
	printf '%s\n' "$key"
}

lab__corosync_nodes() {
	local -a list
	if [[ -n "$LAB_COROSYNC_NODES" ]]; then
		read -r -a list <<<"$LAB_COROSYNC_NODES"
		printf '%s\n' "${list[@]}"
	else
		lab_gateways
	fi
}

# lab_corosync_conf NODE: write and print the path of NODE's corosync.conf.
lab_corosync_conf() {
	local node=$1 dir conf key n count=0
	dir=$(lab_node_dir "$node")/corosync
	conf=$dir/corosync.conf
	mkdir -p "$dir/state" || return 1
	key=$(lab_corosync_authkey) || return 1
	local -a nodes
	lab__lines nodes "$(lab__corosync_nodes)"
	count=${#nodes[@]}
	{
		printf 'totem {\n'
		printf '\tversion: 2\n'
		printf '\tcluster_name: %s\n' "$LAB_PREFIX"
		printf '\ttransport: knet\n'
		printf '\tcrypto_cipher: aes256\n'
		printf '\tcrypto_hash: sha256\n'
		printf '\tkeyfile: %s\n' "$key"
		printf '\ttoken: %s\n' "$LAB_TOKEN"
		printf '\ttoken_coefficient: 0\n'
		if [[ -n "$LAB_CONSENSUS" ]]; then
			printf '\tconsensus: %s\n' "$LAB_CONSENSUS"
		fi
		if [[ -n "$LAB_TOKEN_RETRANSMITS" ]]; then
			printf '\ttoken_retransmits_before_loss_const: %s\n' "$LAB_TOKEN_RETRANSMITS"
		fi
		printf '\tinterface {\n'
		printf '\t\tlinknumber: 0\n'
		printf '\t\tknet_ping_interval: %s\n' "$LAB_KNET_PING_INTERVAL"
		printf '\t\tknet_ping_timeout: %s\n' "$LAB_KNET_PING_TIMEOUT"
		printf '\t}\n'
		printf '}\n\n'
		printf 'nodelist {\n'
		for n in "${nodes[@]}"; do
			printf '\tnode {\n\t\tring0_addr: %s\n\t\tname: %s\n\t\tnodeid: %s\n\t}\n' \
				"$(lab_addr "$n" sync)" "$n" "${n#gw}"
		done
		printf '}\n\n'
		if [[ "$LAB_QDEVICE" == 1 ]]; then
			lab__qdevice_quorum "$count"
		else
			printf 'quorum {\n\tprovider: corosync_votequorum\n'
			if ((count == 2)); then
				printf '\ttwo_node: 1\n'
			fi
			printf '}\n\n'
		fi
		printf 'logging {\n'
		printf '\tto_logfile: yes\n\tlogfile: %s/corosync.log\n' "$dir"
		printf '\tto_stderr: no\n\tto_syslog: no\n\ttimestamp: hires\n'
		printf '}\n\n'
		printf 'system {\n\tstate_dir: %s/state\n}\n' "$dir"
	} >"$conf.tmp" || return 1
	mv "$conf.tmp" "$conf" || return 1
	printf '%s\n' "$conf"
}

# lab_corosync_start NODE...: write each node's configuration and start its corosync; returns
# once each answers on its IPC (not once they have formed a membership).
lab_corosync_start() {
	local node conf dir
	for node in "$@"; do
		lab__require_node "$node" || return 1
		if lab_pid "corosync-$node" >/dev/null; then
			lab_err "corosync already runs on $node"
			return 1
		fi
		conf=$(lab_corosync_conf "$node") || return 1
		dir=$(lab_node_dir "$node")/corosync
		lab_spawn "corosync-$node" "$node" "$dir/stdout.log" corosync -f -c "$conf" || return 1
		lab_log "corosync on $node: pid $LAB_SPAWN_PID"
	done
	for node in "$@"; do
		if ! lab_wait_until "$LAB_COROSYNC_START_TIMEOUT" lab__corosync_answers "$node"; then
			lab_err "corosync on $node does not answer; log:"
			tail -n 20 "$(lab_node_dir "$node")/corosync/corosync.log" >&2 || true
			tail -n 20 "$(lab_node_dir "$node")/corosync/stdout.log" >&2 || true
			return 1
		fi
	done
}

lab__corosync_answers() {
	lab_pid "corosync-$1" >/dev/null || return 255
	lab_corosync_cmap "$1" -g runtime.votequorum.this_node_id >/dev/null 2>&1
}

# lab_corosync_cmap NODE ARGS...: corosync-cmapctl inside NODE.
lab_corosync_cmap() {
	local node=$1
	shift
	lab_exec "$node" corosync-cmapctl "$@"
}

# lab_corosync_quorumtool NODE ARGS...: corosync-quorumtool inside NODE.
lab_corosync_quorumtool() {
	local node=$1
	shift
	lab_exec "$node" corosync-quorumtool "$@"
}

# lab_corosync_members NODE: number of members NODE's corosync sees as joined.
lab_corosync_members() {
	local out
	out=$(lab_corosync_cmap "$1" -b runtime.members 2>/dev/null) || return 1
	grep -c '\.status (str) = joined$' <<<"$out" || true
}

# lab_corosync_value NODE KEY: the value of one cmap key (e.g. runtime.config.totem.token).
lab_corosync_value() {
	local out
	out=$(lab_corosync_cmap "$1" -g "$2" 2>/dev/null) || return 1
	printf '%s\n' "${out##* = }"
}

lab__corosync_has_members() {
	local n
	n=$(lab_corosync_members "$1") || return 1
	[[ "$n" == "$2" ]]
}

# lab_corosync_wait_members NODE COUNT TIMEOUT_S: wait until NODE sees exactly COUNT members.
# Sets LAB_WAIT_MS to the time it took.
lab_corosync_wait_members() {
	local node=$1 count=$2 timeout=${3:-10} t0
	t0=$(lab_now_ms)
	if lab_wait_until "$timeout" lab__corosync_has_members "$node" "$count"; then
		LAB_WAIT_MS=$(($(lab_now_ms) - t0))
		return 0
	fi
	LAB_WAIT_MS=$(($(lab_now_ms) - t0))
	lab_log "$node: $(lab_corosync_members "$node" 2>/dev/null || echo '?') members, not $count, after ${timeout}s"
	return 1
}

# lab_corosync_stop NODE: clean stop (SIGTERM, bounded, then SIGKILL).
lab_corosync_stop() {
	lab_stop "corosync-$1"
}

# lab_corosync_kill NODE: SIGKILL (a crash); removes the libqb files the dead PID left.
lab_corosync_kill() {
	local pid
	pid=$(lab_pid "corosync-$1") || return 0
	lab_kill "corosync-$1"
	lab__shm_clean "$pid"
}
