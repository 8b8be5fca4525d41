#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Routes by cost and virtual addresses (issue 6, seed 004 §13) with one tandem node and the
# real strongSwan branch. Two tunnels to the branch: Tun-1 (engine group G1, from gw1's own
# WAN address, routes cost 5) and Tun-2 (G2, from the cluster VIP 192.0.2.10, cost 10). Pings
# at 200/s from hc to hb; kill -9 of G1's engine, then a hang of it (SIGSTOP), moves the
# traffic to Tun-2 and the restarted engine brings it back (each within 100 ms). Also: tandemd
# adds the VIPs (single-node cluster = active by itself) and announces them (gratuitous ARP
# seen on the branch's WAN interface).
# Exit 0 pass, 1 fail, 77 when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
[[ $(id -u) -eq 0 ]] || exit 77

# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"
# shellcheck source=lib/lab-seed16.sh
source "$here/lib/lab-seed16.sh"

lab_init
lab_topology_up 1
CONF=$LAB_DIR/gw1.conf
SW=$LAB_DIR/br/swanctl
LOG=$(lab_node_dir gw1)/tandemd.log
PSK=tandem-lab-psk-0123456789

# --- tandem and the branch: seed 004 Example 16 with the lab's addresses (lib/lab-seed16.sh)
lab_seed16_conf "$CONF" "$PSK"
lab_seed16_branch "$SW" "$PSK"

# the announcements, seen from the branch's side of the WAN
lab_spawn tcpdump-br br "$LAB_DIR/tcpdump.log" tcpdump -i wan0 -U -n -w "$LAB_DIR/vip.pcap" \
	'arp or icmp6'
sleep 0.5

tandem() { lab_hactl gw1 "$@"; }
routes() { tandem --json show routes; }
lab_tandemd_start gw1 "$CONF" --log-level debug

# --- virtual addresses ---------------------------------------------------------------------
check "single-node cluster: tandemd is active by itself" \
	lab_wait_until 5 bash -c "'$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show routes | jq -e '.active == true' >/dev/null"
check "VIP $LAB_WAN_VIP/24 is on gw1's wan0" \
	bash -c "ip -n $(lab_ns gw1) -4 addr show dev wan0 | grep -q ' $LAB_WAN_VIP/24 '"
check "VIP $LAB_LAN_VIP/24 is on gw1's lan0" \
	bash -c "ip -n $(lab_ns gw1) -4 addr show dev lan0 | grep -q ' $LAB_LAN_VIP/24 '"
check "hactl show routes: both VIPs held" \
	bash -c "'$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show routes | jq -e '[.vips[] | select(.held)] | length == 2' >/dev/null"
check "the VIPs were logged as events" bash -c "grep -c 'ha event: VIP .* added' '$LOG' | grep -qx 2"

# --- both tunnels up -----------------------------------------------------------------------
lab_charon_start br "$SW"
lab_swanctl br --initiate --child tun1 >/dev/null 2>&1 || true
lab_swanctl br --initiate --child tun2 >/dev/null 2>&1 || true
both_installed() {
	routes | jq -e '[.routes[] | select(.installed)] | length == 2' >/dev/null
}
check "both tunnels up: both routes installed" lab_wait_until 15 both_installed
routes >"$LAB_DIR/routes-before.json"
check "Tun-1 (metric 5) carries $LAB_BLAN_NET" \
	jq -e '.routes[] | select(.tunnel == "Tun-1") | .carrier and .metric == 5' "$LAB_DIR/routes-before.json" >/dev/null
check "kernel: $LAB_BLAN_NET metric 5 dev TI-1 and metric 10 dev TI-2" \
	bash -c "r=\$(ip -n $(lab_ns gw1) route show $LAB_BLAN_NET); grep -q 'dev TI-1.*metric 5' <<<\"\$r\" && grep -q 'dev TI-2.*metric 10' <<<\"\$r\""
check "hc reaches hb through the tunnels" lab_exec_plain hc ping -q -c 3 -i 0.2 -W 2 "$LAB_HB_ADDR" >/dev/null
check "gratuitous ARP for $LAB_WAN_VIP seen at the branch" \
	bash -c "tcpdump -r '$LAB_DIR/vip.pcap' -n 2>/dev/null | grep -q 'Request who-has $LAB_WAN_VIP tell $LAB_WAN_VIP'"
check "the branch's neighbour entry for $LAB_WAN_VIP is gw1's wan0 MAC" \
	bash -c "ip -n $(lab_ns br) neigh show $LAB_WAN_VIP | grep -qi \"\$(ip -n $(lab_ns gw1) -br link show wan0 | awk '{print \$3}')\""

# --- G1's engine killed, then hung, under 200 pings/s ------------------------------------------
sa_out() { # outbound packets of a tunnel's SAs, as the engines last reported
	tandem --json show engines | jq "[.groups[].sas[]? | select(.tunnel == \"$1\" and (.inbound | not)) | .packets] | add // 0"
}
# engine_fault NAME SIGNAL: with pings at 200/s, SIGNAL to G1's engine (KILL: it dies; STOP: it
# hangs until the supervisor's heartbeat check, docs/engine.md, kills and replaces it); the
# prefix must move to Tun-2 at once, come back to Tun-1 after the restart, and the longest
# gap between answers must stay within 100 ms.
engine_fault() {
	local name=$1 sig=$2 ping=$LAB_DIR/ping-$1.log g1pid t2_before t2_after t_fault gap sent n0
	lab_spawn "ping-$name" hc "$ping" ping -D -n -i 0.005 -W 1 "$LAB_HB_ADDR"
	sleep 2
	t2_before=$(sa_out Tun-2)
	n0=$(grep -c "ha event: prefix $LAB_BLAN_NET now carried by tunnel Tun-2" "$LOG" || true)
	g1pid=$(tandem --json show engines | jq -r '.groups[] | select(.group == "G1") | .pid')
	t_fault=$(date +%s.%N)
	kill "-$sig" "$g1pid"
	g1_back() {
		[[ $(tandem --json show engines | jq -r '.groups[] | select(.group == "G1") | .state + " " + (.pid|tostring)') == "up "* ]] &&
			[[ $(tandem --json show engines | jq -r '.groups[] | select(.group == "G1") | .pid') != "$g1pid" ]]
	}
	check "$name: G1's engine replaced by the supervisor" lab_wait_until 5 g1_back
	check "$name: Tun-1's route returned after the restart" lab_wait_until 5 both_installed
	sleep 2
	lab_stop "ping-$name"
	routes >"$LAB_DIR/routes-after-$name.json"
	check "$name: event: Tun-1's route withdrawn when G1's engine went down" \
		grep -qE "ha event: route $LAB_BLAN_NET via TI-1 .* withdrawn: engine G1 is down" "$LOG"
	check "$name: event: $LAB_BLAN_NET carried by Tun-2 after the fault" \
		test "$(grep -c "ha event: prefix $LAB_BLAN_NET now carried by tunnel Tun-2" "$LOG")" -gt "$n0"
	check "$name: event: $LAB_BLAN_NET carried by Tun-1 again after the restart" \
		bash -c "grep 'ha event: prefix $LAB_BLAN_NET now carried' '$LOG' | tail -1 | grep -q 'Tun-1'"
	t2_after=$(sa_out Tun-2)
	check "$name: traffic went through Tun-2 meanwhile (its outbound SA: $t2_before -> $t2_after packets)" \
		test "$t2_after" -gt "$t2_before"
	check "$name: Tun-1 carries the prefix again (hactl show routes)" \
		jq -e '.routes[] | select(.tunnel == "Tun-1") | .carrier and .installed' \
		"$LAB_DIR/routes-after-$name.json" >/dev/null
	check "$name: kernel: the route to hb is TI-1 again" \
		bash -c "ip -n $(lab_ns gw1) route get $LAB_HB_ADDR | grep -q 'dev TI-1'"
	# the gap: the longest silence between two answers around the fault
	gap=$(awk -v k="$t_fault" -F'[][]' '/bytes from/ { t = $2 + 0; if (p && t > k - 1 && p < k + 1 && (t - p) * 1000 > g) g = (t - p) * 1000; p = t } END { printf "%d", g }' "$ping")
	sent=$(grep -c 'bytes from' "$ping" || true)
	pass "$name -> backup tunnel: longest gap between answers $gap ms (pings every 5 ms, $sent answered)"
	check "$name: engine failure to backup route within 100 ms (gap $gap ms)" test "$gap" -le 100
}
engine_fault "engine kill" KILL
sleep 1
engine_fault "engine hang" STOP

# GARP timing from the capture: the announcements for the WAN VIP, relative to the first
garp=$(tcpdump -tt -r "$LAB_DIR/vip.pcap" -n 2>/dev/null |
	awk -v v="$LAB_WAN_VIP" '$0 ~ "Request who-has " v " tell " v { if (!f) f = $1; printf "%s%d", s, ($1 - f) * 1000; s = " " }')
pass "gratuitous ARPs for $LAB_WAN_VIP at +ms: $garp"
check "4 gratuitous ARPs for $LAB_WAN_VIP" test "$(wc -w <<<"$garp")" -eq 4

printf 'routes by cost: %d failure(s)\n' "$fails" >&3
[[ $fails -eq 0 ]]
