# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tandemd and hactl on lab gateway nodes. tandemd runs inside its node's namespace with the
# node's private /run, like corosync and charon. Sourced by lab.sh.

# TANDEM_BUILD: the build tree (default <repo>/build; one per developer when several build
# side by side). TANDEM_BIN: directory of tandemd (default $TANDEM_BUILD/node). hactl lives
# elsewhere in the build tree ($TANDEM_BUILD/ha/hactl/hactl) unless TANDEM_BIN is set, then
# $TANDEM_BIN/hactl. TANDEM_DAEMON / TANDEM_HACTL override the exact paths.
lab__tandemd() {
	printf '%s\n' "${TANDEM_DAEMON:-${TANDEM_BIN:-${TANDEM_BUILD:-$LAB_REPO/build}/node}/tandemd}"
}

lab__hactl() {
	if [[ -n "${TANDEM_HACTL:-}" ]]; then
		printf '%s\n' "$TANDEM_HACTL"
	elif [[ -n "${TANDEM_BIN:-}" ]]; then
		printf '%s\n' "$TANDEM_BIN/hactl"
	else
		printf '%s\n' "${TANDEM_BUILD:-$LAB_REPO/build}/ha/hactl/hactl"
	fi
}

LAB_TANDEMD_START_TIMEOUT=${LAB_TANDEMD_START_TIMEOUT:-10}

# lab_master_key_create: 32 random bytes in $LAB_DIR/master.key (0600); prints the path.
lab_master_key_create() {
	local key=$LAB_DIR/master.key
	if [[ ! -s "$key" ]]; then
		(umask 077 && head -c 32 /dev/urandom >"$key.tmp") || return 1
		mv "$key.tmp" "$key" || return 1
	fi
	printf '%s\n' "$key"
}

# lab_tandemd_ctl NODE: path of NODE's control socket.
lab_tandemd_ctl() {
	printf '%s/ctl.sock\n' "$(lab_node_dir "$1")"
}

# lab_tandemd_start NODE CONFIG [EXTRA_ARGS...]: start tandemd on gateway NODE; returns once
# its control socket exists (bounded by LAB_TANDEMD_START_TIMEOUT).
lab_tandemd_start() {
	local node=$1 config=$2 dir bin key pid
	shift 2
	lab__require_node "$node" || return 1
	bin=$(lab__tandemd)
	if [[ ! -x "$bin" ]]; then
		lab_err "tandemd not built: $bin (set TANDEM_BIN or TANDEM_DAEMON)"
		return 1
	fi
	if [[ ! -r "$config" ]]; then
		lab_err "no configuration $config"
		return 1
	fi
	if lab_pid "tandemd-$node" >/dev/null; then
		lab_err "tandemd already runs on $node"
		return 1
	fi
	dir=$(lab_node_dir "$node")
	mkdir -p "$dir/state" || return 1
	key=$(lab_master_key_create) || return 1
	rm -f "$dir/ctl.sock"
	lab_spawn "tandemd-$node" "$node" "$dir/tandemd.log" "$bin" --foreground \
		--config "$config" --node "$node" --ctl "$dir/ctl.sock" --state-dir "$dir/state" \
		--pid-file "$dir/tandemd.pid" --master-key "$key" "$@" || return 1
	pid=$LAB_SPAWN_PID
	lab_log "tandemd on $node: pid $pid"
	if ! lab_wait_until "$LAB_TANDEMD_START_TIMEOUT" lab__tandemd_ready "$node" "$pid"; then
		if lab__pid_alive "$pid"; then
			lab_err "tandemd on $node: no control socket after ${LAB_TANDEMD_START_TIMEOUT}s; log:"
		else
			lab_err "tandemd on $node exited before its control socket appeared; log:"
		fi
		tail -n 20 "$dir/tandemd.log" >&2 || true
		return 1
	fi
}

lab__tandemd_ready() {
	if ! lab__pid_alive "$2"; then
		return 255
	fi
	[[ -S "$(lab_tandemd_ctl "$1")" ]]
}

# lab_tandemd_stop NODE: SIGTERM, bounded wait, then SIGKILL.
lab_tandemd_stop() {
	lab_stop "tandemd-$1"
}

# lab_tandemd_kill NODE: SIGKILL (a crash).
lab_tandemd_kill() {
	lab_kill "tandemd-$1"
}

# lab_hactl NODE ARGS...: hactl against NODE's tandemd, run inside NODE.
lab_hactl() {
	local node=$1 bin
	shift
	bin=$(lab__hactl)
	if [[ ! -x "$bin" ]]; then
		lab_err "hactl not built: $bin (set TANDEM_BIN or TANDEM_HACTL)"
		return 1
	fi
	lab_exec "$node" "$bin" --ctl "$(lab_tandemd_ctl "$node")" "$@"
}
