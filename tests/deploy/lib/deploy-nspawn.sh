# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Gateway nodes as systemd-nspawn containers booting their own systemd (../shared/TESTBED.md
# "Ansible onto real systemd nodes"): each node's root is an overlayfs whose lower layer is a
# read-only bind of the host's / and whose upper layer is a per-node tmpfs, and it runs in
# the lab namespace lab_topology_up made for it (so its interfaces are the lab's wan0, lan0,
# sync0). Ansible reaches it with community.docker.nsenter on its PID 1. Sourced after lab.sh.

# Services of the host that no node runs (enabled in the lower layer); a gateway does not run
# the arbiter's qnetd, the arbiter ("arb") none of a gateway's daemons.
DEPLOY_MASK=(postgresql prometheus strongswan-starter strongswan e2scrub_reap
	getty@tty1 console-getty systemd-timesyncd systemd-pstore apt-daily.timer
	apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer man-db.timer
	)
DEPLOY_MASK_GATEWAY=(corosync-qnetd)
DEPLOY_MASK_ARBITER=(corosync corosync-qdevice tandemd)

# Roots live outside LAB_DIR: the lab's clean-up removes LAB_DIR recursively, and nothing may
# ever recurse into a bind mount of the host's /.
deploy_root() { printf '/run/tandem-deploy-%s/%s\n' "$LAB_PREFIX" "$1"; }

# deploy_cleanup NODES...: every node down, then the lab (traps: exit, INT, TERM).
deploy_cleanup() {
	local n
	for n in "$@"; do deploy_node_down "$n"; done
	rmdir "/run/tandem-deploy-$LAB_PREFIX" 2>/dev/null
	return 0
}

# deploy_traps NODES...: take the nodes down before the lab's own clean-up, on every way out.
deploy_traps() {
	# shellcheck disable=SC2064 # the node list is fixed now
	# lab__on_exit exits with the status it finds: keep the test's
	trap "rc=\$?; deploy_cleanup $*; (exit \$rc); lab__on_exit" EXIT
	# shellcheck disable=SC2064
	trap "deploy_cleanup $*; lab__on_signal INT 130" INT
	# shellcheck disable=SC2064
	trap "deploy_cleanup $*; lab__on_signal TERM 143" TERM
}

# deploy_node_prepare NODE: the node's root (overlay of / with a fresh tmpfs upper layer), its
# host name and machine id, the services it does not run masked.
deploy_node_prepare() {
	local node=$1 r s
	r=$(deploy_root "$node")
	deploy_node_down "$node" # what a crashed run left
	mkdir -p "$r/lower" "$r/rw" "$r/root" || return 1
	# read-only from the start (mount(8) binds, then remounts read-only)
	mount --bind -o ro / "$r/lower" || return 1
	mountpoint -q "$r/rw" || mount -t tmpfs -o mode=0755,size=512m "tandem-$node" "$r/rw" ||
		return 1
	mkdir -p "$r/rw/upper" "$r/rw/work" || return 1
	mountpoint -q "$r/root" ||
		mount -t overlay "tandem-$node" \
			-o "lowerdir=$r/lower,upperdir=$r/rw/upper,workdir=$r/rw/work" "$r/root" || return 1
	printf '%s\n' "$node" >"$r/root/etc/hostname" || return 1
	systemd-id128 new >"$r/root/etc/machine-id" || return 1
	local mask=("${DEPLOY_MASK[@]}" "${DEPLOY_MASK_GATEWAY[@]}")
	[[ $node == arb ]] && mask=("${DEPLOY_MASK[@]}" "${DEPLOY_MASK_ARBITER[@]}")
	for s in "${mask[@]}"; do
		[[ $s == *.* ]] || s=$s.service
		ln -sf /dev/null "$r/root/etc/systemd/system/$s" || return 1
	done
	# a fresh gateway: no tandem, the distribution's corosync.conf, no authkey
	rm -f "$r/root/etc/corosync/authkey" "$r/root/etc/default/tandemd"
	rm -rf "$r/root/etc/tandem" "$r/root/var/lib/tandem" "$r/root/var/lib/corosync/"*
}

# deploy_node_boot NODE: boot the node's container in the lab namespace of NODE; waits until
# its systemd reports the system running (degraded counts: masked units) and prints nothing.
deploy_node_boot() {
	local node=$1 r log pid1='' k
	r=$(deploy_root "$node")
	log=$LAB_DIR/nspawn-$node.log
	(
		# own cgroup in both hierarchies, or a second container fails to attach its payload
		for h in unified systemd; do
			[[ -d /sys/fs/cgroup/$h ]] || continue
			mkdir -p "/sys/fs/cgroup/$h/tandem-$LAB_PREFIX-$node"
			echo "$BASHPID" >"/sys/fs/cgroup/$h/tandem-$LAB_PREFIX-$node/cgroup.procs"
		done
		export SYSTEMD_NSPAWN_API_VFS_WRITABLE=network
		# CAP_NET_ADMIN: nspawn drops it without --private-network; a gateway needs it
		exec systemd-nspawn -q -b -D "$r/root" -M "$LAB_PREFIX-$node" --register=no \
			--capability=CAP_NET_ADMIN \
			--keep-unit --console=passive --network-namespace-path="/run/netns/$(lab_ns "$node")" \
			</dev/null >"$log" 2>&1
	) &
	echo $! >"$r/nspawn.pid"
	for ((k = 0; k < 100; k++)); do
		pid1=$(pgrep -P "$(cat "$r/nspawn.pid")" | head -1)
		[[ -n "$pid1" ]] && break
		sleep 0.1
	done
	[[ -n "$pid1" ]] || {
		lab_err "container $node did not start; log:"
		tail -20 "$log" >&2
		return 1
	}
	echo "$pid1" >"$r/pid1"
	# systemd's private socket appears a moment after PID 1 starts: poll until it answers
	# with a final state (degraded counts: masked units may leave failed dependencies)
	local st=''
	for ((k = 0; k < 1200; k++)); do
		st=$(nsenter -t "$pid1" -a systemctl is-system-running 2>/dev/null)
		case $st in
		running | degraded) return 0 ;;
		esac
		sleep 0.1
	done
	lab_err "container $node: system '$st' after 120 s; nspawn log:"
	tail -20 "$log" >&2
	return 1
}

deploy_pid1() { cat "$(deploy_root "$1")/pid1"; }

# deploy_exec NODE CMD...: run CMD inside the node (all its namespaces).
deploy_exec() {
	local node=$1
	shift
	nsenter -t "$(deploy_pid1 "$node")" -a "$@"
}

# deploy_node_kill NODE: SIGKILL to the container's PID 1: the whole node goes down at once.
deploy_node_kill() {
	local r pid
	r=$(deploy_root "$1")
	pid=$(cat "$r/pid1" 2>/dev/null) || return 0
	kill -KILL "$pid" 2>/dev/null || true
	pid=$(cat "$r/nspawn.pid" 2>/dev/null) || return 0
	for ((k = 0; k < 100; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$r/pid1"
	return 0
}

# deploy_node_down NODE: power off (or kill) the node, unmount its root and remove its cgroups.
deploy_node_down() {
	local node=$1 r h
	r=$(deploy_root "$node")
	if [[ -s "$r/pid1" ]] && kill -0 "$(cat "$r/pid1")" 2>/dev/null; then
		kill -RTMIN+4 "$(cat "$r/pid1")" 2>/dev/null || true # systemd: poweroff
		for ((k = 0; k < 50; k++)); do
			kill -0 "$(cat "$r/nspawn.pid")" 2>/dev/null || break
			sleep 0.1
		done
	fi
	deploy_node_kill "$node"
	for m in root rw lower; do
		if mountpoint -q "$r/$m"; then umount -l "$r/$m" || true; fi
		rmdir "$r/$m" 2>/dev/null
	done
	rm -f "$r/pid1" "$r/nspawn.pid" "$r/.#root.lck" # nspawn's image lock file
	rmdir "$r" 2>/dev/null
	for h in unified systemd; do
		# the container's systemd made its own cgroups below: remove depth first
		[[ -d "/sys/fs/cgroup/$h/tandem-$LAB_PREFIX-$node" ]] &&
			find "/sys/fs/cgroup/$h/tandem-$LAB_PREFIX-$node" -depth -type d \
				-exec rmdir {} \; 2>/dev/null
	done
	return 0
}

# deploy_inventory FILE NODES...: an inventory for the containers, from the example pair's
# group_vars (the example inventory is what the test deploys) plus the connection. A node
# named "arb" goes into the tandem_arbiter group (corosync-qnetd on the arbiter network).
deploy_inventory() {
	local file=$1 n
	shift
	deploy__connection() {
		printf '          ansible_connection: community.docker.nsenter\n'
		printf '          ansible_nsenter_pid: %s\n' "$(deploy_pid1 "$1")"
		printf '          ansible_python_interpreter: /usr/bin/python3\n'
		printf '          ansible_become: false\n' # root already, and no sudo
	}
	{
		printf 'all:\n  children:\n'
		if [[ " $* " == *" arb "* ]]; then
			printf '    tandem_arbiter:\n      hosts:\n        arb:\n'
			deploy__connection arb
			printf '          corosync_qnetd_address: %s\n' "$LAB_ARB_ADDR"
		fi
		printf '    tandem_cluster:\n      hosts:\n'
		for n in "$@"; do
			[[ $n == arb ]] && continue
			printf '        %s:\n' "$n"
			deploy__connection "$n"
			printf '          tandem_node_id: %s\n' "${n#gw}"
			printf '          tandem_priority: %s\n' $((200 - 10 * ${n#gw}))
			printf '          tandem_sync_address: %s\n' "$(lab_addr "$n" sync)"
		done
	} >"$file"
}
