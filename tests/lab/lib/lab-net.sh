# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Lab topology: namespaces, a switch namespace holding every bridge, veth links, addresses,
# routes, and link faults (cut/heal, loss, rate, netem). Sourced by lab.sh.
# Nothing is created in the host's network namespace.

# Bridges inside the switch namespace "<prefix>-sw", one per network.
LAB_BRIDGE_WAN=wan
LAB_BRIDGE_LAN=lan
LAB_BRIDGE_BLAN=blan
LAB_BRIDGE_SYNC=sync
LAB_BRIDGE_ARB=arb

# lab_addr NODE NET: the address (no prefix length) of NODE on NET (wan|lan|sync|arb|blan).
lab_addr() {
	local node=$1 net=$2 k
	case "$node" in
	gw[1-9])
		k=${node#gw}
		case "$net" in
		wan) printf '192.0.2.1%s\n' "$k" ;;
		lan) printf '10.1.0.1%s\n' "$k" ;;
		sync) printf '172.31.3.%s\n' "$k" ;;
		arb) printf '172.31.4.%s\n' "$k" ;;
		*)
			lab_err "gateway $node has no $net address"
			return 1
			;;
		esac
		;;
	br)
		case "$net" in
		wan) printf '%s\n' "$LAB_BR_WAN" ;;
		lan | blan) printf '%s\n' "$LAB_BR_LAN" ;;
		*)
			lab_err "br has no $net address"
			return 1
			;;
		esac
		;;
	hc) printf '%s\n' "$LAB_HC_ADDR" ;;
	hb) printf '%s\n' "$LAB_HB_ADDR" ;;
	arb) printf '%s\n' "$LAB_ARB_ADDR" ;;
	*)
		lab_err "unknown lab node '$node'"
		return 1
		;;
	esac
}

# lab_gateways: the gateway node names of the current topology, one per line.
lab_gateways() {
	local k
	for ((k = 1; k <= ${LAB_NODES:-0}; k++)); do
		printf 'gw%s\n' "$k"
	done
}

lab__ns_add() {
	local node=$1 ns
	ns=$(lab_ns "$node")
	ip netns add "$ns" || return 1
	mkdir -p "$(lab_node_dir "$node")/run" || return 1
	ip -n "$ns" link set lo up || return 1
}

lab__sysctl() {
	ip netns exec "$(lab_ns "$1")" sysctl -qw "$2"
}

lab__bridge_add() {
	local sw
	sw=$(lab_ns sw)
	ip -n "$sw" link add name "$1" type bridge || return 1
	# No STP: a port forwards as soon as it is up; lab_link_cut uses the port state.
	ip -n "$sw" link set "$1" type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$sw" link set "$1" up || return 1
}

# lab__plug NODE IFACE BRIDGE ADDR/LEN: a veth from the switch (port NODE-IFACE) to the node.
lab__plug() {
	local node=$1 ifname=$2 bridge=$3 addr=$4 sw ns port
	sw=$(lab_ns sw)
	ns=$(lab_ns "$node")
	port=$node-$ifname
	ip -n "$sw" link add name "$port" type veth peer name "$ifname" netns "$ns" || return 1
	ip -n "$sw" link set "$port" master "$bridge" || return 1
	ip -n "$sw" link set "$port" up || return 1
	ip -n "$ns" addr add "$addr" dev "$ifname" || return 1
	ip -n "$ns" link set "$ifname" up || return 1
}

# lab_topology_up N: build the lab for N gateways (1..9; tests use 2 and 3). With LAB_ARBITER=1
# also the arbiter network and the "arb" namespace. Exports LAB_NODES, LAB_ARBITER.
lab_topology_up() {
	local n=${1:-2} k node t0
	lab__require_init || return 1
	if [[ ! "$n" =~ ^[1-9]$ ]]; then
		lab_err "lab_topology_up: N must be 1..9, got '$n'"
		return 1
	fi
	if lab__node_exists sw; then
		lab_err "a topology with prefix $LAB_PREFIX is already up"
		return 1
	fi
	t0=$(lab_now_ms)
	LAB_NODES=$n
	LAB_ARBITER=${LAB_ARBITER:-0}
	export LAB_NODES LAB_ARBITER

	lab__ns_add sw || return 1
	# The switch is layer 2 only: no IPv6 addresses or router solicitations on its ports.
	lab__sysctl sw net.ipv6.conf.all.disable_ipv6=1 || return 1
	lab__sysctl sw net.ipv6.conf.default.disable_ipv6=1 || return 1
	lab__bridge_add "$LAB_BRIDGE_WAN" || return 1
	lab__bridge_add "$LAB_BRIDGE_LAN" || return 1
	lab__bridge_add "$LAB_BRIDGE_BLAN" || return 1
	lab__bridge_add "$LAB_BRIDGE_SYNC" || return 1
	if [[ "$LAB_ARBITER" == 1 ]]; then
		lab__bridge_add "$LAB_BRIDGE_ARB" || return 1
	fi

	for ((k = 1; k <= n; k++)); do
		node=gw$k
		lab__ns_add "$node" || return 1
		lab__plug "$node" wan0 "$LAB_BRIDGE_WAN" "$(lab_addr "$node" wan)/24" || return 1
		lab__plug "$node" lan0 "$LAB_BRIDGE_LAN" "$(lab_addr "$node" lan)/24" || return 1
		lab__plug "$node" sync0 "$LAB_BRIDGE_SYNC" "$(lab_addr "$node" sync)/24" || return 1
		if [[ "$LAB_ARBITER" == 1 ]]; then
			lab__plug "$node" arb0 "$LAB_BRIDGE_ARB" "$(lab_addr "$node" arb)/24" || return 1
		fi
		lab__sysctl "$node" net.ipv4.ip_forward=1 || return 1
	done

	lab__ns_add br || return 1
	lab__plug br wan0 "$LAB_BRIDGE_WAN" "$LAB_BR_WAN/24" || return 1
	lab__plug br lan0 "$LAB_BRIDGE_BLAN" "$LAB_BR_LAN/24" || return 1
	lab__sysctl br net.ipv4.ip_forward=1 || return 1

	lab__ns_add hc || return 1
	lab__plug hc lan0 "$LAB_BRIDGE_LAN" "$LAB_HC_ADDR/24" || return 1
	ip -n "$(lab_ns hc)" route add default via "$LAB_LAN_VIP" || return 1

	lab__ns_add hb || return 1
	lab__plug hb lan0 "$LAB_BRIDGE_BLAN" "$LAB_HB_ADDR/24" || return 1
	ip -n "$(lab_ns hb)" route add default via "$LAB_BR_LAN" || return 1

	if [[ "$LAB_ARBITER" == 1 ]]; then
		lab__ns_add arb || return 1
		lab__plug arb arb0 "$LAB_BRIDGE_ARB" "$LAB_ARB_ADDR/24" || return 1
	fi

	lab__write_env || return 1
	LAB_UP_MS=$(($(lab_now_ms) - t0))
	export LAB_UP_MS
	lab_log "topology up: $n gateways$([[ "$LAB_ARBITER" == 1 ]] && echo ' + arbiter') in ${LAB_UP_MS} ms"
}

# $LAB_DIR/lab.env lets another shell (a debugging session) source the lab's coordinates.
lab__write_env() {
	{
		printf 'LAB_PREFIX=%q\n' "$LAB_PREFIX"
		printf 'LAB_DIR=%q\n' "$LAB_DIR"
		printf 'LAB_PIDS=%q\n' "$LAB_PIDS"
		printf 'LAB_NODES=%q\n' "$LAB_NODES"
		printf 'LAB_ARBITER=%q\n' "$LAB_ARBITER"
	} >"$LAB_DIR/lab.env"
}

# lab_set_route NODE ROUTE...: `ip route replace ROUTE...` inside NODE,
# e.g. lab_set_route hc default via 10.1.0.11.
lab_set_route() {
	local node=$1
	shift
	lab__require_node "$node" || return 1
	ip -n "$(lab_ns "$node")" route replace "$@"
}

# lab_ping NODE DEST [COUNT]: quiet ping from NODE, 0.2 s apart, 1 s reply timeout.
lab_ping() {
	local node=$1 dest=$2 count=${3:-1}
	lab_exec_plain "$node" ping -n -q -c "$count" -i 0.2 -W 1 "$dest" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Link faults. NODE IFACE names the node's interface (gw1 sync0); the fault is applied at its
# switch port "NODE-IFACE" in the switch namespace, so the node's own stack sees no local error
# (a drop at the sender's own egress would be reported to the sending socket).

lab__port() {
	local node=$1 ifname=$2 port
	port=$node-$ifname
	if ! ip -n "$(lab_ns sw)" link show dev "$port" >/dev/null 2>&1; then
		lab_err "no switch port $port (node $node, interface $ifname)"
		return 1
	fi
	printf '%s\n' "$port"
}

# lab_link_cut NODE IFACE [--carrier]: silently drop everything to and from NODE's IFACE by
# disabling its bridge port (carrier stays up, like a failure beyond the switch). With
# --carrier the switch port goes down instead, so the node sees NO-CARRIER.
lab_link_cut() {
	local port
	port=$(lab__port "$1" "$2") || return 1
	if [[ "${3:-}" == --carrier ]]; then
		ip -n "$(lab_ns sw)" link set "$port" down
	else
		ip netns exec "$(lab_ns sw)" bridge link set dev "$port" state 0
	fi
}

# lab_link_heal NODE IFACE: undo lab_link_cut (either kind).
lab_link_heal() {
	local port
	port=$(lab__port "$1" "$2") || return 1
	ip -n "$(lab_ns sw)" link set "$port" up
	ip netns exec "$(lab_ns sw)" bridge link set dev "$port" state 3
}

# lab_link_loss NODE IFACE PERCENT [in|out|both]: drop PERCENT (0..100, decimals allowed) of the
# packets NODE sends (out), receives (in) or both (default), at random. PERCENT 0 or "off"
# removes it. The kernel here has no netem; this uses a tc-bpf program compiled with clang.
lab_link_loss() {
	local node=$1 ifname=$2 pct=$3 dir=${4:-both} port sw obj
	port=$(lab__port "$node" "$ifname") || return 1
	sw=$(lab_ns sw)
	ip netns exec "$sw" tc qdisc del dev "$port" clsact 2>/dev/null || true
	if [[ "$pct" == off || "$pct" == 0 ]]; then
		return 0
	fi
	obj=$(lab__loss_obj "$pct") || return 2
	ip netns exec "$sw" tc qdisc add dev "$port" clsact
	# The port's ingress is what the node sends; its egress is what the node receives.
	if [[ "$dir" == out || "$dir" == both ]]; then
		ip netns exec "$sw" tc filter add dev "$port" ingress bpf da obj "$obj" sec tc
	fi
	if [[ "$dir" == in || "$dir" == both ]]; then
		ip netns exec "$sw" tc filter add dev "$port" egress bpf da obj "$obj" sec tc
	fi
}

# lab__loss_obj PERCENT: path of a compiled drop program for PERCENT (cached in LAB_DIR).
lab__loss_obj() {
	local pct=$1 frac src obj
	if [[ ! "$pct" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		lab_err "loss percentage '$pct' is not a number"
		return 1
	fi
	if ! command -v clang >/dev/null; then
		lab_err "lab_link_loss needs clang (tc-bpf) on this kernel"
		return 1
	fi
	frac=$(awk -v p="$pct" 'BEGIN { if (p > 100) p = 100; printf "%.0f", p / 100 * 4294967296 }')
	obj=$LAB_DIR/bpf/loss-$frac.o
	[[ -s "$obj" ]] && {
		printf '%s\n' "$obj"
		return 0
	}
	mkdir -p "$LAB_DIR/bpf"
	src=$LAB_DIR/bpf/loss.c
	cat >"$src" <<'EOF'
/* Drop a packet with probability LOSS_FRAC / 2^32 (tc clsact, direct action). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
static unsigned int (*lab_prandom_u32)(void) = (void *)BPF_FUNC_get_prandom_u32;
__attribute__((section("tc"), used)) int lab_loss(struct __sk_buff *skb)
{
	(void)skb;
	return (unsigned long long)lab_prandom_u32() < LOSS_FRAC ? TC_ACT_SHOT : TC_ACT_OK;
}
char _license[] __attribute__((section("license"), used)) = "GPL";
EOF
	if ! clang -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" \
		-DLOSS_FRAC="${frac}ULL" -c "$src" -o "$obj.tmp"; then
		lab_err "could not compile the loss program"
		return 1
	fi
	mv "$obj.tmp" "$obj"
	printf '%s\n' "$obj"
}

# lab_link_rate NODE IFACE RATE|off: limit what NODE receives on IFACE to RATE (tc tbf units,
# e.g. 10mbit), at its switch port.
lab_link_rate() {
	local port sw
	port=$(lab__port "$1" "$2") || return 1
	sw=$(lab_ns sw)
	if [[ "$3" == off ]]; then
		ip netns exec "$sw" tc qdisc del dev "$port" root 2>/dev/null || true
		return 0
	fi
	ip netns exec "$sw" tc qdisc replace dev "$port" root tbf rate "$3" burst 32kbit latency 100ms
}

# lab_netem_available: does this kernel have sch_netem?
lab_netem_available() {
	local sw port
	sw=$(lab_ns sw)
	if [[ -z "${LAB_NETEM_OK:-}" ]]; then
		LAB_NETEM_OK=0
		port=$(ip -n "$sw" -o link show type veth 2>/dev/null | awk -F': ' 'NR == 1 { sub(/@.*/, "", $2); print $2 }')
		if [[ -n "$port" ]] && ip netns exec "$sw" tc qdisc add dev "$port" root netem delay 0ms 2>/dev/null; then
			ip netns exec "$sw" tc qdisc del dev "$port" root 2>/dev/null || true
			LAB_NETEM_OK=1
		fi
	fi
	[[ "$LAB_NETEM_OK" == 1 ]]
}

# lab_link_netem NODE IFACE ARGS...|off: netem on the switch port towards NODE (what NODE
# receives), e.g. `delay 20ms 5ms loss 1%`. Without sch_netem in the kernel, only "loss P%"
# (tc-bpf, both directions) and "rate R" (tbf) are emulated; anything else returns 2.
lab_link_netem() {
	local node=$1 ifname=$2 port sw
	shift 2
	port=$(lab__port "$node" "$ifname") || return 1
	sw=$(lab_ns sw)
	if [[ "${1:-}" == off ]]; then
		ip netns exec "$sw" tc qdisc del dev "$port" root 2>/dev/null || true
		lab_link_loss "$node" "$ifname" off
		return 0
	fi
	if lab_netem_available; then
		ip netns exec "$sw" tc qdisc replace dev "$port" root netem "$@"
		return
	fi
	lab__netem_emulate "$node" "$ifname" "$@"
}

lab__netem_emulate() {
	local node=$1 ifname=$2
	shift 2
	while (($#)); do
		case "$1" in
		loss)
			[[ $# -ge 2 ]] || break
			lab_link_loss "$node" "$ifname" "${2%\%}" both || return 2
			shift 2
			;;
		rate)
			[[ $# -ge 2 ]] || break
			lab_link_rate "$node" "$ifname" "$2" || return 2
			shift 2
			;;
		*)
			lab_log "netem '$1' is not available: this kernel has no sch_netem (only loss, rate emulated)"
			return 2
			;;
		esac
	done
	if (($#)); then
		lab_log "netem: '$1' needs an argument"
		return 2
	fi
}
