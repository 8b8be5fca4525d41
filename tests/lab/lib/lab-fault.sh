# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The fault matrix's pieces (tests/lab/test_faults.sh, docs/faults.md): a capture of what the
# cluster sends on the WAN (taken in the branch's namespace, so it is what the peer received),
# a watcher that samples every gateway's role and the WAN VIP's holders every 100 ms for the
# whole test, and a whole-node loss (every process of the node killed at once and its links
# cut, as a power loss would). Sourced after lab.sh and lab-drill.sh.

# Sampling period of the role watcher (s).
LAB_FAULT_POLL=${LAB_FAULT_POLL:-0.1}

# lab_fault_timing: the matrix's corosync and arbiter timing (docs/faults.md "Timing", the same
# defaults as the Ansible corosync role), each overridable by LAB_FAULT_<NAME>; call before
# lab_corosync_start. A lost node is seen after about token + consensus + a join round
# (≈ 0.4 s); 6 token retransmissions (corosync wants >= 30 ms between them) and a 2 s knet
# ping timeout ride out 20 % loss; a 200 ms qdevice heartbeat lets qnetd drop a dead node's
# qdevice (after 1.5 heartbeats: 100-300 ms after the loss) before the membership changes,
# so ffsplit gives the survivor its vote one round trip after the new membership.
lab_fault_timing() {
	LAB_TOKEN=${LAB_FAULT_TOKEN:-200}
	LAB_CONSENSUS=${LAB_FAULT_CONSENSUS:-150}
	LAB_TOKEN_RETRANSMITS=${LAB_FAULT_TOKEN_RETRANSMITS:-6}
	LAB_KNET_PING_TIMEOUT=${LAB_FAULT_KNET_PING_TIMEOUT:-2000}
	LAB_QDEVICE_TIMEOUT=${LAB_FAULT_QDEVICE_TIMEOUT:-1000}
	LAB_QDEVICE_SYNC_TIMEOUT=${LAB_FAULT_QDEVICE_SYNC_TIMEOUT:-2000}
	LAB_QDEVICE_HEARTBEAT=${LAB_FAULT_QDEVICE_HEARTBEAT-200}
	LAB_QDEVICE=1
	export LAB_TOKEN LAB_CONSENSUS LAB_TOKEN_RETRANSMITS LAB_KNET_PING_TIMEOUT \
		LAB_QDEVICE_TIMEOUT LAB_QDEVICE_SYNC_TIMEOUT LAB_QDEVICE_HEARTBEAT LAB_QDEVICE
}

# lab_fault_role_is NODE ROLE / lab_fault_standby_ready NODE: NODE's role (hactl); a standby
# that holds the whole store.
lab_fault_role_is() { [[ "$(lab_drill_role "$1")" == "$2" ]]; }
lab_fault_standby_ready() {
	lab_fault_role_is "$1" standby &&
		[[ "$(lab_drill_hj "$1" show replication | jq -r '.in_sync')" == true ]]
}

# lab_fault_pair_up: the fault lab (needs check from lab-check.sh; call in the test's main
# shell, it runs lab_init): a pair with the arbiter at the matrix timing, gw1 active and gw2
# standby in sync on the drill configuration (CONF, set here), the strongSwan branch's tunnel
# up and carrying pings.
lab_fault_pair_up() {
	lab_fault_timing
	lab_init
	CONF=$LAB_DIR/cluster.conf
	local conf=$CONF
	LAB_ARBITER=1 lab_topology_up 2
	lab_drill_conf "$conf" 2
	lab_qnetd_start
	lab_corosync_start gw1 gw2
	check "corosync: both nodes in one membership" lab_corosync_wait_members gw1 2 15
	lab_qdevice_start gw1 gw2
	check "qdevice voting on gw1 and gw2" lab_qdevice_wait gw1 15
	lab_qdevice_wait gw2 15 || true
	lab_tandemd_start gw1 "$conf"
	check "gw1 becomes active" lab_wait_until 15 lab_fault_role_is gw1 active
	lab_tandemd_start gw2 "$conf"
	check "gw2 becomes standby, in sync" lab_wait_until 15 lab_fault_standby_ready gw2
	lab_drill_branch
	lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
	check "the branch establishes its IKE SA and Child SA with the cluster" \
		lab_wait_until 15 lab_drill_branch_spis
	check "hc reaches hb through the tunnel" \
		lab_exec_plain hc ping -q -c 3 -i 0.2 -W 2 "$LAB_HB_ADDR" >/dev/null
}

# lab_fault_evidence NODES...: each node's story from its tandemd log (roles, quorum, sync,
# bootstraps, takeovers), for a failed run: the lab's logs go with the lab, and a run that
# fails on another machine only (CI) must still say what the cluster did.
lab_fault_evidence() {
	local n f
	for n in "$@"; do
		f="$(lab_node_dir "$n")/tandemd.log"
		[[ -r "$f" ]] || continue
		printf '  --- %s: tandemd roles, quorum and sync (last 60 lines)\n' "$n"
		grep -E ' -> |quorate|lost quorum|no longer known|starting the cluster|was last complete|snapshot [0-9a-f]+ from node [0-9]+ applied|took over|hands the cluster|is down|confirms|stepping down|refused' \
			"$f" | grep -vE 'tandemd\[event\]|\]: role ' | tail -n 60 | sed "s/^/  $n: /"
	done
}

# lab_fault_capture_start: tcpdump in br on wan0, ESP-in-UDP and IKE the cluster sends (source
# = the WAN VIP), written unbuffered to $LAB_DIR/wan.pcap.
lab_fault_capture_start() {
	lab_spawn capture-wan br "$LAB_DIR/capture.log" tcpdump -i wan0 -n -U -s 128 \
		-w "$LAB_DIR/wan.pcap" "udp and src host $LAB_WAN_VIP" || return 1
	# tcpdump prints "listening on" once the socket is open
	lab_wait_until 5 grep -q "listening on" "$LAB_DIR/capture.log"
}

# lab_fault_capture_stop: SIGINT, so that tcpdump flushes and closes the file.
lab_fault_capture_stop() {
	local pid k
	pid=$(lab_pid capture-wan) || return 0
	kill -INT "$pid" 2>/dev/null || true
	for ((k = 0; k < 30; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	lab_stop capture-wan
}

# lab_fault_seq_since T_UNIX: "PACKETS SPIS DUPLICATES" for the ESP the cluster sent from Unix
# time T_UNIX on (a (SPI, sequence number) pair seen twice counts once as a duplicate).
lab_fault_seq_since() {
	local pairs
	pairs=$(tshark -r "$LAB_DIR/wan.pcap" -n -d udp.port==4500,udpencap \
		-Y "esp && frame.time_epoch >= $1" -T fields -e esp.spi -e esp.sequence \
		2>/dev/null) || return 1
	awk 'NF == 2 { n++; if (!($1 in spis)) { spis[$1] = 1; s++ }
		if (seen[$1 " " $2]++ == 1) d++ }
		END { printf "%d %d %d\n", n, s, d }' <<<"$pairs"
}

# lab_fault_watch_start NODES...: sample "UNIX_MS ROLES VIPS" every LAB_FAULT_POLL s into
# $LAB_DIR/watch.log (ROLES: node=role,...; VIPS: the WAN VIP's holders among NODES minus the
# nodes listed in $LAB_DIR/powered-off, whose kernel stands for a dead machine, and the nodes
# whose tandemd does not answer).
lab_fault_watch_start() {
	local nodes=("$@") hactl
	hactl=$(lab__hactl)
	: >"$LAB_DIR/powered-off"
	rm -f "$LAB_DIR/.watch-stop"
	(
		# stopped by a file, not a signal: a sample's jobs finish before the loop ends, so
		# nothing writes into LAB_DIR after lab_down removed it
		while [[ ! -e "$LAB_DIR/.watch-stop" ]]; do
			local n r out roles='' vips='' off
			off=$(<"$LAB_DIR/powered-off")
			# every node at once, so that one sample is one instant (a sequential poll
			# across a 80 ms takeover would see the old active and the new one both active)
			# (per node: the address first, then the role: a VIP counts only if its
			# tandemd still answered after it was seen, so a VIP left by a tandemd killed
			# meanwhile is not taken for a second owner)
			for n in "${nodes[@]}"; do
				{
					ip -n "$(lab_ns "$n")" -4 -o addr show dev wan0 >"$LAB_DIR/.vip-$n" 2>&1
					timeout 1 "$hactl" --ctl "$(lab_tandemd_ctl "$n")" --json status \
						>"$LAB_DIR/.watch-$n" 2>/dev/null
				} &
			done
			wait
			for n in "${nodes[@]}"; do
				out=$(<"$LAB_DIR/.watch-$n")
				r=down
				[[ "$out" =~ \"role\":\ ?\"([a-z]+)\" ]] && r=${BASH_REMATCH[1]}
				roles+=${roles:+,}$n=$r
				# a dead machine's kernel, or a killed tandemd's leftover (its VIP lease
				# runs out within 3 s, docs/ha.md): not a second owner
				[[ " $off " == *" $n "* || "$r" == down ]] && continue
				out=$(<"$LAB_DIR/.vip-$n")
				[[ "$out" == *" $LAB_WAN_VIP/"* ]] && vips+=${vips:+,}$n
			done
			printf '%s %s %s\n' "$(lab_now_ms)" "$roles" "${vips:--}"
			sleep "$LAB_FAULT_POLL"
		done
	) >"$LAB_DIR/watch.log" 2>/dev/null </dev/null &
	LAB_FAULT_WATCH_PID=$!
}

lab_fault_watch_stop() {
	local k
	if [[ -n "${LAB_FAULT_WATCH_PID:-}" ]]; then
		touch "$LAB_DIR/.watch-stop" 2>/dev/null || true
		for ((k = 0; k < 30; k++)); do
			kill -0 "$LAB_FAULT_WATCH_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$LAB_FAULT_WATCH_PID" 2>/dev/null || true
		wait "$LAB_FAULT_WATCH_PID" 2>/dev/null || true
		LAB_FAULT_WATCH_PID=''
	fi
}

# lab_fault_watch_report FROM_MS [TO_MS]: "SAMPLES MULTI_ACTIVE MULTI_VIP LONGEST_NONE_MS" over
# the samples in [FROM_MS, TO_MS]: samples with more than one active, with more than one VIP
# holder, and the longest stretch without any active (first to last such sample + one period).
lab_fault_watch_report() {
	awk -v a="$1" -v b="${2:-99999999999999}" '
		$1 >= a && $1 <= b {
			n++
			k = gsub(/=active/, "=active", $2)
			if (k > 1) ma++
			if ($3 != "-" && index($3, ",")) mv++
			if (k == 0) { if (!s) s = $1; e = $1 } else if (s) { if (e - s > l) l = e - s; s = 0 }
		}
		END { if (s && e - s > l) l = e - s; printf "%d %d %d %d\n", n, ma, mv, l + (l ? 100 : 0) }' \
		"$LAB_DIR/watch.log"
}

# lab_fault_watch_ever NODE ROLE FROM_MS [TO_MS]: was NODE ever sampled in ROLE in the window?
lab_fault_watch_ever() {
	awk -v a="$3" -v b="${4:-99999999999999}" -v p="$1=$2" '
		$1 >= a && $1 <= b && ("," $2 ",") ~ ("," p ",") { f = 1 }
		END { exit !f }' "$LAB_DIR/watch.log"
}

# lab_fault_node_off NODE: a whole node lost at once: its links cut (the machine is gone from
# every network) and SIGKILL to tandemd, its engines, corosync-qdevice and corosync together.
lab_fault_node_off() {
	local node=$1 ifn pids=() p cpid
	# the instant, on the clock the daemons' logs use (docs/faults.md reads the breakdown)
	printf '%s %s off\n' "$(date +%T.%3N)" "$node" >>"$LAB_DIR/events.log"
	for ifn in wan0 lan0 sync0 arb0; do
		lab__port "$node" "$ifn" >/dev/null 2>&1 && lab_link_cut "$node" "$ifn"
	done
	printf '%s ' "$node" >>"$LAB_DIR/powered-off"
	# everything running in the node's namespace (tandemd's engines are its children)
	cpid=$(lab_pid "corosync-$node" 2>/dev/null) || cpid=''
	mapfile -t pids < <(ip netns pids "$(lab_ns "$node")" 2>/dev/null)
	((${#pids[@]})) && kill -9 "${pids[@]}" 2>/dev/null
	for p in "tandemd-$node" "qdevice-$node" "corosync-$node"; do
		lab_kill "$p" >/dev/null 2>&1 || true
	done
	[[ -n "$cpid" ]] && lab__shm_clean "$cpid"
	return 0
}

# lab_fault_node_on NODE: its links back (the processes are started by the caller).
lab_fault_node_on() {
	local node=$1 ifn
	for ifn in wan0 lan0 sync0 arb0; do
		lab__port "$node" "$ifn" >/dev/null 2>&1 && lab_link_heal "$node" "$ifn"
	done
	sed -i "s/\b$node \?//" "$LAB_DIR/powered-off"
}
