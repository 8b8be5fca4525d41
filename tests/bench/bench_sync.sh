#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replication benchmarks over real corosync 3 (knet, aes256/sha256) between two lab nodes
# (docs/replication.md): (1) latency from "SA published on the active" to "SA applied on the
# standby", p50/p99 over COUNT SAs (default 2000 at 1000/s), and what sync-before-send waits
# (own change -> delivered back); (2) bulk resync of 10,000 and 100,000 synthetic SAs to a
# joining node: time, bytes, memory per SA on the standby (the joiner imports every SA into a
# standby IKE engine as tandemd does; IKE=0: the replicated store only). Needs root and a build tree
# (TANDEM_BUILD, default <repo>/build). Prints the figures; exit 1 if a run failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lab/lib/lab.sh
source "$here/../lab/lib/lab.sh"
[[ $(id -u) -eq 0 ]] || { echo "needs root" >&2; exit 77; }
BENCH=${TANDEM_BUILD:-$here/../../build}/tests/unit/sync_bench
[[ -x "$BENCH" ]] || { echo "not built: $BENCH" >&2; exit 1; }
COUNT=${COUNT:-2000}
RATE=${RATE:-1000}
SIZES=${SIZES:-"10000 100000"}
CHUNK=${CHUNK:-0} # snapshot chunk bytes (0: the default)
IKE=${IKE:-1}     # 1: the joiner imports every SA into a standby IKE engine, as tandemd does

lab_init
lab_topology_up 2
lab_corosync_start gw1 gw2
lab_corosync_wait_members gw1 2 15
D=$LAB_DIR/bench
mkdir -p "$D"

# --- (1) latency ---------------------------------------------------------------------------------
lab_exec gw1 "$BENCH" --node-id 1 --group sb-lat --mode active --count "$COUNT" --rate "$RATE" \
	--out "$D/active.txt" >"$D/active.out" 2>"$D/active.err" &
apid=$!
sleep 1 # the active bootstraps the group first
lab_exec gw2 "$BENCH" --node-id 2 --group sb-lat --mode standby --count "$COUNT" \
	--out "$D/standby.txt" >"$D/standby.out" 2>"$D/standby.err" &
spid=$!
wait "$apid" || true
wait "$spid" || true
cat "$D/active.out" "$D/standby.out"
awk '$1=="A"{pub[$2]=$3} $1=="S"{app[$2]=$3}
	END{for (k in pub) if (app[k] > 0 && pub[k] > 0) printf "%.6f\n", (app[k] - pub[k]) / 1e6}' \
	"$D/active.txt" "$D/standby.txt" | sort -n >"$D/lat.txt"
n=$(wc -l <"$D/lat.txt")
((n > 0)) || { echo "latency: no samples"; exit 1; }
p50=$(sed -n "$(((n - 1) / 2 + 1))p" "$D/lat.txt")
p99=$(sed -n "$(((n * 99 + 99) / 100))p" "$D/lat.txt")
max=$(tail -1 "$D/lat.txt")
printf 'replication latency (published on the active -> applied on the standby): %d SAs at %s/s: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n' \
	"$n" "$RATE" "$p50" "$p99" "$max"

# --- (2) bulk resync -----------------------------------------------------------------------------
for n in $SIZES; do
	lab_spawn "sb-active-$n" gw1 "$D/pre-$n.log" "$BENCH" --node-id 1 --group "sb-$n" \
		--mode active --preload "$n" --linger 120 --chunk-bytes "$CHUNK"
	lab_wait_until 90 grep -q preloaded "$D/pre-$n.log" || { echo "preload of $n failed"; exit 1; }
	grep preloaded "$D/pre-$n.log"
	lab_exec gw2 "$BENCH" --node-id 2 --group "sb-$n" --mode join --timeout 60 --ike "$IKE" \
		2>"$D/join-$n.err" ||
		echo "join of $n failed"
	lab_stop "sb-active-$n" # SIGTERM: it prints its figures
	grep -h "CPU" "$D/pre-$n.log" || true
done
lab_down
