#!/bin/sh
# SPDX-License-Identifier: MIT
# Throughput of tandem-engine: two engines (engine_lab) in two network namespaces joined by
# a veth pair, a TUN device on each side, iperf3 TCP through the tunnel. Needs root,
# /dev/net/tun and iperf3. Prints one line: the settings and the receiver's Mbit/s.
# Usage: engine_lab.sh BUILD_DIR   (settings from the environment, defaults below)
#   WORKERS=1 QUEUES=1 VNET=1 GRO=1 GSO=1 TSO=1 TUNGRO=1 ENCR=aes-128-gcm INTEG=none SECS=10
#   STREAMS=1 BIDIR=0 (1: both directions at once, the sum is reported)
#   MODE=esp (esp: through the engines; veth: plain veth, for reference)
set -eu
build=$1
lab=$build/tests/unit/engine/engine_lab
engine=$build/node/engine/tandem-engine
WORKERS=${WORKERS:-1} QUEUES=${QUEUES:-1} VNET=${VNET:-1} GRO=${GRO:-1} GSO=${GSO:-1}
TSO=${TSO:-1} TUNGRO=${TUNGRO:-1}
ENCR=${ENCR:-aes-128-gcm} INTEG=${INTEG:-none} SECS=${SECS:-10} STREAMS=${STREAMS:-1}
MODE=${MODE:-esp} BIDIR=${BIDIR:-0}
bidir=""
[ "$BIDIR" = 1 ] && bidir="--bidir"
A=tdmespA B=tdmespB
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add $A
ip netns add $B
ip link add tdmespa type veth peer name tdmespb
ip link set tdmespa netns $A
ip link set tdmespb netns $B
ip -n $A addr add 192.168.77.1/24 dev tdmespa
ip -n $B addr add 192.168.77.2/24 dev tdmespb
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set tdmespa up
ip -n $B link set tdmespb up

target=192.168.77.2
if [ "$MODE" = esp ]; then
	opts="--engine $engine --workers $WORKERS --queues $QUEUES --encr $ENCR --integ $INTEG"
	[ "$VNET" = 1 ] && opts="$opts --vnet"
	[ "$GRO" = 0 ] && opts="$opts --no-gro"
	[ "$GSO" = 0 ] && opts="$opts --no-gso"
	[ "$TSO" = 0 ] && opts="$opts --no-tso"
	[ "$TUNGRO" = 0 ] && opts="$opts --no-tun-gro"
	# shellcheck disable=SC2086
	ip netns exec $A "$lab" $opts --local 192.168.77.1 --remote 192.168.77.2 --tun tdm0 \
		--tun-addr 10.200.0.1 --spi-out 0x1100 --spi-in 0x2200 >/tmp/tdmesp-a.out 2>/tmp/tdmesp-a.log &
	pids="$pids $!"
	# shellcheck disable=SC2086
	ip netns exec $B "$lab" $opts --local 192.168.77.2 --remote 192.168.77.1 --tun tdm0 \
		--tun-addr 10.200.0.2 --spi-out 0x2200 --spi-in 0x1100 >/tmp/tdmesp-b.out 2>/tmp/tdmesp-b.log &
	pids="$pids $!"
	for i in $(seq 50); do
		if grep -q ready /tmp/tdmesp-a.out 2>/dev/null && grep -q ready /tmp/tdmesp-b.out 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	grep -q ready /tmp/tdmesp-a.out && grep -q ready /tmp/tdmesp-b.out
	target=10.200.0.2
fi
ip netns exec $B iperf3 -s -1 >/dev/null 2>&1 &
pids="$pids $!"
sleep 0.3
# shellcheck disable=SC2086
mbps=$(ip netns exec $A timeout $((SECS + 15)) iperf3 -c $target -t "$SECS" -P "$STREAMS" $bidir -J |
	python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]
print("%.0f" % ((e["sum_received"]["bits_per_second"] +
                 e.get("sum_received_bidir_reverse", {}).get("bits_per_second", 0)) / 1e6))')
cpu=""
if [ "$MODE" = esp ]; then
	# stop the engines, then read their CPU time (user + system, both sides)
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	pids=""
	cpu=$(cat /tmp/tdmesp-a.out /tmp/tdmesp-b.out | awk -v s="$SECS" -v m="$mbps" \
		'/^cpu/ { t += $2 + $3 } /^hbgap/ { if ($2 > g) g = $2 }
		 END { printf " engines %.1f CPU-s, %.2f CPU-s per Gbit, heartbeat gap max %d ms", t, t / (m * s / 1000), g }')
fi
echo "mode=$MODE bidir=$BIDIR workers=$WORKERS queues=$QUEUES vnet=$VNET gro=$GRO gso=$GSO tso=$TSO tungro=$TUNGRO encr=$ENCR integ=$INTEG streams=$STREAMS secs=$SECS: $mbps Mbit/s$cpu"
