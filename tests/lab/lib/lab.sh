# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tandem lab library: network-namespace topologies with real corosync, strongSwan charon and
# tandemd on one machine. Source this file (it sources lab-net.sh, lab-corosync.sh,
# lab-strongswan.sh and lab-tandem.sh), call lab_init, then lab_topology_up N.
# Everything a lab creates carries LAB_PREFIX; every process it starts is recorded in
# $LAB_DIR/pids and killed by PID (process group) in lab_down. See docs/lab.md.
#
# Safe under `set -euo pipefail`. Public functions are lab_*, internal ones lab__*.

if [[ -n "${LAB_LIB_LOADED:-}" ]]; then
	return 0
fi
LAB_LIB_LOADED=1

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=${LAB_REPO:-$(cd "$LAB_LIB_DIR/../../.." && pwd)}

# ---------------------------------------------------------------------------------------------
# Addressing plan (docs/lab.md). Per-node addresses come from lab_addr.
LAB_WAN_NET=192.0.2.0/24
LAB_WAN_VIP=192.0.2.10
LAB_BR_WAN=192.0.2.2
LAB_LAN_NET=10.1.0.0/24
LAB_LAN_VIP=10.1.0.1
LAB_HC_ADDR=10.1.0.100
LAB_BLAN_NET=10.2.0.0/24
LAB_BR_LAN=10.2.0.1
LAB_HB_ADDR=10.2.0.100
LAB_SYNC_NET=172.31.3.0/24
LAB_ARB_NET=172.31.4.0/24
LAB_ARB_ADDR=172.31.4.254
export LAB_WAN_NET LAB_WAN_VIP LAB_BR_WAN LAB_LAN_NET LAB_LAN_VIP LAB_HC_ADDR LAB_BLAN_NET
export LAB_BR_LAN LAB_HB_ADDR LAB_SYNC_NET LAB_ARB_NET LAB_ARB_ADDR

# Bounded waits (seconds) used by lab_down.
LAB_STOP_TIMEOUT=${LAB_STOP_TIMEOUT:-5}
# First signal lab_down sends to registered processes (KILL skips corosync's ≈1 s knet teardown).
LAB_DOWN_SIGNAL=${LAB_DOWN_SIGNAL:-TERM}

# ---------------------------------------------------------------------------------------------
# Messages and time

lab_log() {
	printf '[lab %s] %s\n' "${LAB_PREFIX:-?}" "$*" >&2
}

# lab_err MSG: print an error line and return 0; callers `return 1` themselves, so nothing
# after it is skipped under set -e.
lab_err() {
	lab_log "ERROR: $*"
}

# lab_now_ms: monotonic enough wall clock in milliseconds (bash 5 EPOCHREALTIME, no fork).
lab_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	printf '%s\n' "$((t / 1000))"
}

# lab_wait_until TIMEOUT_S CMD...: run CMD every 0.1 s until it succeeds or TIMEOUT_S
# (may be fractional) elapses. Returns 0 on success, 1 on timeout. CMD returning 255 means
# "will never succeed" (e.g. the daemon died) and ends the wait at once with 1.
lab_wait_until() {
	local timeout=$1
	shift
	local deadline rc
	deadline=$(($(lab_now_ms) + $(lab__secs_to_ms "$timeout")))
	while :; do
		rc=0
		"$@" || rc=$?
		if ((rc == 0)); then
			return 0
		fi
		if ((rc == 255 || $(lab_now_ms) >= deadline)); then
			return 1
		fi
		sleep 0.1
	done
}

# "1.5" -> 1500, "2" -> 2000
lab__secs_to_ms() {
	local s=$1 int frac
	[[ "$s" =~ ^[0-9]+(\.[0-9]+)?$ ]] || {
		lab_err "not a number of seconds: '$s'"
		return 1
	}
	int=${s%%.*}
	frac=0
	if [[ "$s" == *.* ]]; then
		frac=${s#*.}000
		frac=${frac:0:3}
	fi
	printf '%s\n' "$((10#$int * 1000 + 10#$frac))"
}

# ---------------------------------------------------------------------------------------------
# Initialisation, names, directories

# lab_init: choose LAB_PREFIX/LAB_DIR, create the state directory, install the clean-up trap.
# Must run in the main shell of the test (not in a subshell), as root.
lab_init() {
	if ((EUID != 0)); then
		lab_err "the lab needs root (network namespaces, bind mounts)"
		return 1
	fi
	LAB_PREFIX=${LAB_PREFIX:-t$$}
	lab__check_prefix "$LAB_PREFIX" || return 1
	LAB_DIR=${LAB_DIR:-/tmp/tandem-lab-$LAB_PREFIX}
	LAB_PIDS=$LAB_DIR/pids
	export LAB_PREFIX LAB_DIR LAB_PIDS
	if [[ -n "$(lab__namespaces "$LAB_PREFIX")" ]]; then
		lab_err "namespaces with prefix $LAB_PREFIX exist (another lab, or a crashed one:" \
			"lab_reap_stale $LAB_PREFIX)"
		return 1
	fi
	# A lab directory without namespaces is what LAB_KEEP=1 or a crash left: start afresh.
	if lab__is_lab_dir "$LAB_DIR"; then
		rm -rf -- "$LAB_DIR"
	elif [[ -e "$LAB_DIR" ]]; then
		lab_err "LAB_DIR $LAB_DIR exists and is not a lab directory"
		return 1
	fi
	mkdir -p "$LAB_DIR" || return 1
	chmod 0700 "$LAB_DIR" || return 1
	# The marker lets lab_down/lab_reap_stale remove the directory, wherever LAB_DIR points.
	printf '%s\n' "$LAB_PREFIX" >"$LAB_DIR/.tandem-lab" || return 1
	: >"$LAB_PIDS" || return 1
	trap 'lab__on_exit' EXIT
	trap 'lab__on_signal INT 130' INT
	trap 'lab__on_signal TERM 143' TERM
	LAB_INITIALIZED=1
}

# Prefixes end up in namespace names and in `rm -rf` paths: keep them boring.
lab__check_prefix() {
	if [[ ! "$1" =~ ^[a-z][a-z0-9]{0,9}$ ]]; then
		lab_err "LAB_PREFIX '$1' must match [a-z][a-z0-9]{0,9}"
		return 1
	fi
}

# lab__is_lab_dir DIR: a directory lab_init made (it holds the marker file).
lab__is_lab_dir() {
	[[ -d "$1" && -f "$1/.tandem-lab" ]]
}

lab__on_exit() {
	local rc=$?
	trap - EXIT
	lab_down || true
	exit "$rc"
}

lab__on_signal() {
	trap - EXIT INT TERM
	lab_log "caught SIG$1, cleaning up"
	lab_down || true
	exit "$2"
}

lab__require_init() {
	if [[ -z "${LAB_INITIALIZED:-}" ]]; then
		lab_err "call lab_init first"
		return 1
	fi
}

# lab_ns NODE: the real namespace name of a lab node (gw1 -> t1234-gw1).
lab_ns() {
	printf '%s-%s\n' "$LAB_PREFIX" "$1"
}

# lab_node_dir NODE: the node's state directory (configs, logs, private /run).
lab_node_dir() {
	printf '%s/%s\n' "$LAB_DIR" "$1"
}

lab__node_exists() {
	[[ -e "/run/netns/$(lab_ns "$1")" ]]
}

lab__require_node() {
	if ! lab__node_exists "$1"; then
		lab_err "no lab node '$1' (namespace $(lab_ns "$1"))"
		return 1
	fi
}

# The wrapper every lab process runs through, inside `unshare -m`: bind the node's private
# /run (and, for qdevice/qnetd nodes, its private /etc/corosync) and exec the command.
# Arguments: RUN_DIR ETC_DIR CMD...
LAB__BIND_SH='mount --bind "$1" /run || exit 125
if [ -d "$2" ]; then mount --bind "$2" /etc/corosync || exit 125; fi
shift 2; exec "$@"'

# lab_exec NODE CMD...: run CMD inside the node's network namespace, with the node's private
# /run bound over /run (what a host's own tools would see), in a private mount namespace.
lab_exec() {
	local node=$1
	shift
	lab__require_node "$node" || return 1
	local dir
	dir=$(lab_node_dir "$node")
	mkdir -p "$dir/run"
	ip netns exec "$(lab_ns "$node")" unshare -m --propagation private \
		sh -c "$LAB__BIND_SH" lab-exec "$dir/run" "$dir/etc-corosync" "$@"
}

# lab_exec_plain NODE CMD...: like lab_exec but without the /run bind (cheaper; for ping, ip).
lab_exec_plain() {
	local node=$1
	shift
	lab__require_node "$node" || return 1
	ip netns exec "$(lab_ns "$node")" "$@"
}

# ---------------------------------------------------------------------------------------------
# Process registry: one line per started process, "NAME NODE PID STARTTIME".
# STARTTIME (field 22 of /proc/PID/stat) guards against killing a recycled PID.

lab__pid_starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# after "comm) " the fields start at field 3 (state); starttime is field 22
	local -a f
	read -r -a f <<<"$stat"
	printf '%s\n' "${f[19]}"
}

lab__pid_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	printf '%s\n' "${stat%% *}"
}

# lab__pid_alive PID [STARTTIME]: running (not a zombie) and, if given, the same process.
lab__pid_alive() {
	local pid=$1 start=${2:-} st
	st=$(lab__pid_state "$pid") || return 1
	[[ "$st" != Z && "$st" != X ]] || return 1
	if [[ -n "$start" ]]; then
		[[ "$(lab__pid_starttime "$pid" 2>/dev/null)" == "$start" ]] || return 1
	fi
	return 0
}

lab__pid_register() {
	local name=$1 node=$2 pid=$3 start
	start=$(lab__pid_starttime "$pid") || start=0
	printf '%s %s %s %s\n' "$name" "$node" "$pid" "$start" >>"$LAB_PIDS"
}

# lab_pid NAME: PID of the most recent live process registered as NAME (e.g. corosync-gw1).
lab_pid() {
	local name=$1 n node pid start found=""
	[[ -f "${LAB_PIDS:-}" ]] || return 1
	while read -r n node pid start; do
		if [[ "$n" == "$name" ]] && lab__pid_alive "$pid" "$start"; then
			found=$pid
		fi
	done <"$LAB_PIDS"
	[[ -n "$found" ]] || return 1
	printf '%s\n' "$found"
}

# lab_spawn NAME NODE LOGFILE CMD...: start CMD as a new session inside NODE's namespace with
# the node's private /run, stdout+stderr appended to LOGFILE, and record its PID as NAME.
# The daemon's own PID (the wrapper shell execs into it) is left in LAB_SPAWN_PID.
# Call it from the test's shell, not inside $(...): the daemon then stays a child of that
# shell, which reaps it when it dies (PID 1 on these machines reaps orphans only lazily).
lab_spawn() {
	local name=$1 node=$2 log=$3
	shift 3
	LAB_SPAWN_PID=''
	lab__require_node "$node" || return 1
	local dir run pidf pid script
	# The wrapper shell records its own PID, then binds and execs (so the PID is the daemon's).
	script='echo "$$" >"$1.tmp" && mv "$1.tmp" "$1" || exit 125
shift
'"$LAB__BIND_SH"
	dir=$(lab_node_dir "$node")
	run=$dir/run
	pidf=$dir/.spawn-$name.pid
	mkdir -p "$run" "$(dirname "$log")"
	rm -f "$pidf"
	# The inner sh writes its own PID, binds /run and execs: that PID becomes the daemon's.
	# setsid makes it a session and process-group leader, so lab_down can kill the group.
	(
		lab__close_fds
		exec setsid ip netns exec "$(lab_ns "$node")" unshare -m --propagation private \
			sh -c "$script" lab-spawn "$pidf" "$run" "$dir/etc-corosync" "$@"
	) </dev/null >>"$log" 2>&1 &
	# Out of the job table: bash still reaps it, but prints no "Killed" line when it dies.
	disown "$!" 2>/dev/null || true
	if ! lab_wait_until 5 test -s "$pidf"; then
		lab_err "$name: no PID after 5 s (see $log)"
		return 1
	fi
	pid=$(<"$pidf")
	rm -f "$pidf"
	lab__pid_register "$name" "$node" "$pid"
	LAB_SPAWN_PID=$pid
}

# A daemon must not inherit the caller's descriptors above 2 (a pipe it holds open would keep
# a `test | tee` waiting, or a harness's channel busy). Runs in the subshell before exec.
lab__close_fds() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)); then
			{ exec {fd}>&-; } 2>/dev/null || true
		fi
	done
}

# lab_stop_pid PID [TIMEOUT_S]: SIGTERM the process group, wait (bounded), then SIGKILL.
lab_stop_pid() {
	local pid=$1 timeout=${2:-$LAB_STOP_TIMEOUT} start
	start=$(lab__pid_starttime "$pid" 2>/dev/null) || return 0
	lab__signal "$pid" TERM
	if lab_wait_until "$timeout" lab__pid_dead "$pid" "$start"; then
		return 0
	fi
	lab_log "pid $pid ignored SIGTERM for ${timeout}s, sending SIGKILL"
	lab__signal "$pid" KILL
	lab_wait_until 2 lab__pid_dead "$pid" "$start" || true
}

lab__pid_dead() {
	! lab__pid_alive "$@"
}

# Signal a spawned process and its process group (it is the group leader).
lab__signal() {
	kill "-$2" -- "-$1" 2>/dev/null || true
	kill "-$2" "$1" 2>/dev/null || true
}

# lab_stop NAME [TIMEOUT_S]: stop the live process registered as NAME.
lab_stop() {
	local pid
	pid=$(lab_pid "$1") || return 0
	lab_stop_pid "$pid" "${2:-$LAB_STOP_TIMEOUT}"
}

# lab_kill NAME: SIGKILL the live process registered as NAME (a crash, no clean-up).
lab_kill() {
	local pid start
	pid=$(lab_pid "$1") || return 0
	start=$(lab__pid_starttime "$pid") || return 0
	lab__signal "$pid" KILL
	lab_wait_until 2 lab__pid_dead "$pid" "$start" || true
}

# ---------------------------------------------------------------------------------------------
# Clean-up

# lab_down: stop everything this lab started and remove its namespaces and state.
# Idempotent, bounded in time, never fails the caller.
lab_down() {
	[[ -n "${LAB_PREFIX:-}" ]] || return 0
	lab__reap "$LAB_PREFIX" "${LAB_DIR:-/tmp/tandem-lab-$LAB_PREFIX}" || true
	# Everything is gone; using the lab again needs lab_init.
	LAB_INITIALIZED=''
	return 0
}

# lab_reap_stale PREFIX [DIR]: clean up what a crashed run with PREFIX left behind (its
# namespaces, the processes inside them and in its registry, libqb /dev/shm files, its state
# directory DIR, default /tmp/tandem-lab-PREFIX).
lab_reap_stale() {
	lab__check_prefix "$1" || return 1
	LAB_KEEP=0 lab__reap "$1" "${2:-/tmp/tandem-lab-$1}"
}

# lab__namespaces PREFIX: the namespaces that belong to PREFIX ("PREFIX-…").
# (No process substitution here or in callers: in a $(...) its child would be orphaned, and
# PID 1 on these machines reaps orphans only lazily.)
lab__namespaces() {
	local name rest list
	list=$(ip netns list 2>/dev/null) || true
	while read -r name rest; do
		[[ -n "$name" && "$name" == "$1"-* ]] && printf '%s\n' "$name"
	done <<<"$list"
	return 0
}

# lab__lines ARRAY_NAME TEXT: split TEXT into ARRAY_NAME, one element per non-empty line.
lab__lines() {
	local -n _out=$1
	local line
	_out=()
	while IFS= read -r line; do
		[[ -n "$line" ]] && _out+=("$line")
	done <<<"$2"
	return 0
}

lab__reap() {
	local prefix=$1 dir=$2
	local -a pids=() starts=() dead=()
	local n node pid start ns i

	# 1. Registered processes: signal each process group (SIGTERM unless LAB_DOWN_SIGNAL says
	#    otherwise), then wait for all of them together (bounded), then SIGKILL survivors.
	if [[ -f "$dir/pids" ]]; then
		while read -r n node pid start; do
			[[ "$pid" =~ ^[0-9]+$ ]] || continue
			dead+=("$pid")
			if lab__pid_alive "$pid" "$start"; then
				pids+=("$pid")
				starts+=("$start")
				lab__signal "$pid" "$LAB_DOWN_SIGNAL"
			fi
		done <"$dir/pids"
	fi
	if ((${#pids[@]})); then
		if ! lab_wait_until "$LAB_STOP_TIMEOUT" lab__all_dead pids starts; then
			for i in "${!pids[@]}"; do
				if lab__pid_alive "${pids[$i]}" "${starts[$i]}"; then
					lab_log "pid ${pids[$i]} survived SIGTERM, sending SIGKILL"
					lab__signal "${pids[$i]}" KILL
				fi
			done
			lab_wait_until 2 lab__all_dead pids starts || true
		fi
	fi

	# 2. Anything else still running inside our namespaces (helpers, forks, leftovers).
	local -a nss=()
	lab__lines nss "$(lab__namespaces "$prefix")"
	for ns in "${nss[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			dead+=("$pid")
			kill -KILL "$pid" 2>/dev/null || true
		done
	done
	for ns in "${nss[@]}"; do
		lab_wait_until 2 lab__netns_empty "$ns" ||
			lab_log "processes still in $ns: $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
	done

	# 3. libqb leaves /dev/shm files named with the PID of a killed process.
	lab__shm_clean "${dead[@]}"

	# 4. Namespaces (their veths and bridges go with them), then the state directory.
	for ns in "${nss[@]}"; do
		ip netns del "$ns" 2>/dev/null || lab_log "could not delete namespace $ns"
	done
	if [[ "${LAB_KEEP:-0}" != 1 ]] && lab__is_lab_dir "$dir"; then
		rm -rf -- "$dir"
	elif [[ "${LAB_KEEP:-0}" == 1 ]] && lab__is_lab_dir "$dir"; then
		lab_log "LAB_KEEP=1: state kept in $dir"
	fi
}

# lab__all_dead PIDS_ARRAY_NAME STARTS_ARRAY_NAME
lab__all_dead() {
	local -n _p=$1 _s=$2
	local i
	for i in "${!_p[@]}"; do
		if lab__pid_alive "${_p[$i]}" "${_s[$i]}"; then
			return 1
		fi
	done
	return 0
}

lab__netns_empty() {
	[[ -z "$(ip netns pids "$1" 2>/dev/null)" ]]
}

# lab__shm_clean PID...: remove /dev/shm/qb-* files that carry one of the given (dead) PIDs
# as a dash-separated field, e.g. qb-1234-5678-20-abcd-header or qb-corosync-1234-blackbox-data.
lab__shm_clean() {
	local f base pid field
	local -A want=()
	for pid in "$@"; do
		lab__pid_alive "$pid" || want[$pid]=1
	done
	((${#want[@]})) || return 0
	for f in /dev/shm/qb-*; do
		[[ -e "$f" ]] || continue
		base=${f##*/}
		local -a fields
		IFS=- read -r -a fields <<<"$base"
		for field in "${fields[@]}"; do
			if [[ -n "${want[$field]:-}" ]]; then
				rm -rf -- "$f" # libqb IPC of a client is a directory
				break
			fi
		done
	done
}

# shellcheck source=lab-net.sh
source "$LAB_LIB_DIR/lab-net.sh"
# shellcheck source=lab-corosync.sh
source "$LAB_LIB_DIR/lab-corosync.sh"
# shellcheck source=lab-qdevice.sh
source "$LAB_LIB_DIR/lab-qdevice.sh"
# shellcheck source=lab-strongswan.sh
source "$LAB_LIB_DIR/lab-strongswan.sh"
# shellcheck source=lab-tandem.sh
source "$LAB_LIB_DIR/lab-tandem.sh"
# shellcheck source=lab-tandem-conf.sh
source "$LAB_LIB_DIR/lab-tandem-conf.sh"
# shellcheck source=lab-engine.sh
source "$LAB_LIB_DIR/lab-engine.sh"
