# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The failover drill's pieces (docs/ha.md "The drill"), shared by the demo (tests/lab/demo.sh)
# and the failover lab tests (tests/lab/test_failover*.sh): the cluster configuration with
# its virtual addresses, traffic at a fixed rate from the host behind the cluster to the host
# behind the branch, and the figures of one event: traffic gap, packets lost, the branch's
# SPIs before and after, the branch's ESP verification/replay failures, the active node.
# Sourced after lab.sh.

# Ping interval (s): 200 packets/s, twice the rate the drill must hold.
LAB_DRILL_INTERVAL=${LAB_DRILL_INTERVAL:-0.005}
# IKE proposal on both sides. AES-CBC, so that a takeover exercises RFC 6311 message-ID sync
# (tandem skips it for AEAD IKE SAs: docs/ha.md).
LAB_DRILL_IKE=${LAB_DRILL_IKE:-aes128-sha256-ecp256}

# lab_drill_conf FILE NODES [TOKEN_MS]: the configuration every node loads: lab_tandem_gw_conf's
# tunnel to the branch from the WAN VIP (responder-only: the branch initiates, so the SAs the
# cluster holds are the branch's), a cluster block gw1..gwNODES (gw1 highest priority) and
# both virtual addresses: the WAN VIP (IKE/ESP endpoint) and the LAN VIP (hc's gateway).
lab_drill_conf() {
	local file=$1 n=$2 k
	lab_tandem_gw_conf "$file.tmp" --node gw1 --conn-type responder-only --dpd 2:3 \
		--proposals "$LAB_DRILL_IKE" || return 1
	sed "s/$(lab_addr gw1 wan)/$LAB_WAN_VIP/g" "$file.tmp" >"$file" || return 1
	rm -f "$file.tmp"
	{
		printf 'cluster drill\n'
		for ((k = 1; k <= n; k++)); do
			printf '  node gw%d id %d priority %d address %s\n' "$k" "$k" $((200 - 10 * k)) \
				"$(lab_addr "gw$k" sync)"
		done
		printf '  virtual-address %s/24 interface wan0\n' "$LAB_WAN_VIP"
		printf '  virtual-address %s/24 interface lan0\n' "$LAB_LAN_VIP"
		# a takeover drops up to this many packets the branch sends just after it (the
		# replay windows start past anything the old active may have accepted): 40 ms at
		# 200 packets/s (docs/configuration.md, docs/ha.md)
		printf '  replay-report every %s\n' "${LAB_DRILL_REPORT:-8}"
	} >>"$file"
}

# lab_drill_branch: the strongSwan branch (connection "tandem" to the WAN VIP), started.
lab_drill_branch() {
	lab_branch_conf "$LAB_DIR/br/swanctl" --remote "$LAB_WAN_VIP" --proposals "$LAB_DRILL_IKE" ||
		return 1
	lab_charon_start br "$LAB_DIR/br/swanctl"
}

# lab_drill_hj NODE ARGS...: hactl --json on NODE (nothing when tandemd does not answer).
lab_drill_hj() {
	local node=$1
	shift
	lab_hactl "$node" --json "$@" 2>/dev/null
}

# lab_drill_role NODE: active, standby, … or "down".
lab_drill_role() {
	local r
	r=$(lab_drill_hj "$1" status | jq -r '.role // "down"' 2>/dev/null) || r=down
	printf '%s\n' "${r:-down}"
}

# lab_drill_active NODES...: the one node among NODES whose tandemd says it is active (empty
# when none is, "a,b" when several are).
lab_drill_active() {
	local n out=''
	for n in "$@"; do
		if [[ "$(lab_drill_role "$n")" == active ]]; then
			out+=${out:+,}$n
		fi
	done
	printf '%s\n' "$out"
}

# lab_drill_vip_holders NODES...: the nodes that hold the WAN VIP in the kernel, leaving out
# the nodes the fault lab powered off ($LAB_DIR/powered-off, lab-fault.sh): a dead machine
# answers nothing, though its namespace keeps the address until the VIP's lifetime (3 s,
# docs/ha.md) runs out.
lab_drill_vip_holders() {
	local n out='' off=''
	[[ -r "$LAB_DIR/powered-off" ]] && off=$(<"$LAB_DIR/powered-off")
	for n in "$@"; do
		[[ " $off " == *" $n "* ]] && continue
		if ip -n "$(lab_ns "$n")" -4 -o addr show dev wan0 2>/dev/null |
			grep -q " $LAB_WAN_VIP/"; then
			out+=${out:+,}$n
		fi
	done
	printf '%s\n' "$out"
}

# lab_drill_branch_spis: the branch's IKE SA SPIs and Child SA SPIs, "ike=I/R child=IN/OUT".
lab_drill_branch_spis() {
	local raw ike child
	raw=$(lab_sa_raw br tandem 2>/dev/null) || return 1
	[[ "$raw" =~ initiator-spi=([0-9a-f]+)\ responder-spi=([0-9a-f]+) ]] || return 1
	ike="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
	[[ "$raw" == *"child-sas {"* ]] || return 1
	child=${raw#*child-sas \{}
	[[ " $child" =~ [\ \{]spi-in=([0-9a-f]+) ]] || return 1
	local in=${BASH_REMATCH[1]}
	[[ " $child" =~ [\ \{]spi-out=([0-9a-f]+) ]] || return 1
	printf 'ike=%s child=%s/%s\n' "$ike" "$in" "${BASH_REMATCH[1]}"
}

# lab_drill_branch_failures: ESP verification and replay failures in the branch's charon log.
lab_drill_branch_failures() {
	grep -cE "ESP sequence number verification failed|ESP decryption or ICV verification failed" \
		"$(lab_charon_log br)" 2>/dev/null || true
}

# lab_drill_branch_ike_inits: IKE_SA_INIT exchanges the branch started or answered (a new
# negotiation shows here).
lab_drill_branch_ike_inits() {
	grep -cE "initiating IKE_SA|is initiating an IKE_SA" "$(lab_charon_log br)" 2>/dev/null || true
}

# lab_drill_traffic_start NAME: pings hc -> hb every LAB_DRILL_INTERVAL, timestamped, logged.
lab_drill_traffic_start() {
	lab_spawn "ping-$1" hc "$LAB_DIR/ping-$1.log" ping -D -n -i "$LAB_DRILL_INTERVAL" -W 1 \
		"$LAB_HB_ADDR"
}

# lab_drill_traffic_stop NAME: SIGINT, so that ping prints its summary (sent, received).
lab_drill_traffic_stop() {
	local pid k
	pid=$(lab_pid "ping-$1") || return 0
	date +%s.%N >"$LAB_DIR/ping-$1.stop"
	kill -INT "$pid" 2>/dev/null || true
	for ((k = 0; k < 50; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	lab_stop "ping-$1"
}

# lab_drill_gap NAME T_EVENT [WINDOW_S]: "GAP_MS LOST SENT" for the traffic of NAME (stopped)
# around the event at Unix time T_EVENT (seconds with fraction): the longest silence between two
# answers that starts within WINDOW_S (default 3) after (or 0.5 s before) the event (up to the
# stop when no answer came after it), and, from ping's own summary, the echo requests that got
# no answer and the requests sent.
lab_drill_gap() {
	local log=$LAB_DIR/ping-$1.log end
	end=$(cat "$LAB_DIR/ping-$1.stop" 2>/dev/null || date +%s.%N)
	awk -v k="$2" -v w="${3:-3}" -v end="$end" '
		/bytes from/ {
			t = substr($1, 2, length($1) - 2) + 0
			if (p && p > k - 0.5 && p < k + w && (t - p) * 1000 > g) g = (t - p) * 1000
			p = t
		}
		/packets transmitted/ { sent = $1; recv = $4 }
		END {
			if (p && p > k - 0.5 && p < k + w && (end - p) * 1000 > g) g = (end - p) * 1000
			printf "%d %d %d\n", g, sent - recv, sent
		}' "$log"
}
