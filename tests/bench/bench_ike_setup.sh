#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# IKE setup-rate benchmark (issue "IKEv2 engine"): a strongSwan 5.9.8 initiator on the branch
# sets up N distinct IKE_SA+CHILD_SA pairs (aes128gcm16-prfsha256-ecp256, PSK) towards
# tandemd on gw1, and in the same run towards a strongSwan responder on gw1 with the same
# proposal; the two responders take turns ROUNDS times. Prints each round, the medians, the
# ratio of setups/s and of responder CPU per setup, and the responders' memory per
# established IKE SA; docs/benchmarks.md records it. The build tree is TANDEM_BUILD (lab.sh).
#
# Method: charon's vici `initiate` with a negative timeout queues the initiation and returns
# at once (a blocking initiate holds one of charon's 16 worker threads until the SA is up,
# which throttles the initiator, not the responder); reuse_ikesa = no makes every initiate a
# new IKE SA; the clock stops when the initiator counts N IKE SAs, none half-open. DoS
# protection is off on both strongSwans and tandem's cookie threshold is above N, so the
# figure measures the responder (TESTBED.md). Both responders share the 2 cores with the
# initiator, as they would in any single-machine comparison.
#   usage: bench_ike_setup.sh [N] [ROUNDS]        (default 1000 and 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lab/lib/lab.sh
source "$here/../lab/lib/lab.sh"
N=${1:-1000}
ROUNDS=${2:-3}
PROPOSAL=aes128gcm16-prfsha256-ecp256
ESP=aes128gcm16
export LAB_CHARON_DOS_PROTECTION=no
export LAB_CHARON_LOG="default=0 ike=0 knl=0 esp=0 cfg=0 net=0 enc=0"
INITIATOR_EXTRA="	reuse_ikesa = no"

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU time (user + system) of a process and its threads, in milliseconds
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# Counts the initiator's IKE SAs until N are up and none is half-open; prints milliseconds.
wait_established() {
	local t0=$1 deadline=$(($(lab_now_ms) + 120000)) s
	while :; do
		s=$(lab_swanctl br --stats | grep -oE 'IKE_SAs: [0-9]+ total, [0-9]+ half-open' || true)
		if [[ "$s" == "IKE_SAs: $N total, 0 half-open" ]]; then
			echo $(($(lab_now_ms) - t0))
			return 0
		fi
		if (($(lab_now_ms) > deadline)); then
			lab_err "initiator stuck at: $s"
			return 1
		fi
		sleep 0.02
	done
}

# One round against whichever responder runs on gw1: a fresh initiator, N initiations.
# Runs in the main shell (the lab starts and stops daemons only from there) and leaves the
# result in ROUND_MS and ROUND_KIB.
round() { # round RESPONDER_PID...
	local before=0 after=0 cpu0=0 cpu1=0 icpu0 pid t0 ipid
	LAB_CHARON_EXTRA=$INITIATOR_EXTRA lab_charon_start br "$LAB_DIR/br/swanctl"
	ipid=$(lab_pid charon-br)
	ROUND_SPLIT0=""
	for pid in "$@"; do
		before=$((before + $(rss_kb "$pid")))
		cpu0=$((cpu0 + $(cpu_ms "$pid")))
		ROUND_SPLIT0+="$(rss_kb "$pid") "
	done
	icpu0=$(cpu_ms "$ipid")
	t0=$(lab_now_ms)
	lab_exec_plain br python3 "$here/vici_initiate.py" "$(lab_charon_vici br | sed 's|unix://||')" \
		tandem "$N" 16 -1 >/dev/null
	ROUND_MS=$(wait_established "$t0")
	ROUND_SPLIT=""
	for pid in "$@"; do
		after=$((after + $(rss_kb "$pid")))
		cpu1=$((cpu1 + $(cpu_ms "$pid")))
		ROUND_SPLIT+="$(rss_kb "$pid") "
	done
	ROUND_KIB=$((after - before))
	ROUND_CPU=$((cpu1 - cpu0))
	ROUND_ICPU=$(($(cpu_ms "$ipid") - icpu0))
	lab_charon_kill br
	lab_wait_until 10 bash -c "! kill -0 $(lab_pid charon-br 2>/dev/null || echo 0) 2>/dev/null" || true
}

lab_init
lab_topology_up 1
GW=$(lab_addr gw1 wan)
lab_branch_conf "$LAB_DIR/br/swanctl" --remote "$GW" --proposals "$PROPOSAL" \
	--esp-proposals "$ESP" --conn-opt unique=never
lab_tandem_gw_conf "$LAB_DIR/gw1.conf" --conn-type responder-only --proposals "$PROPOSAL" \
	--esp-proposals "$ESP" --extra "ike cookie-threshold 100000"
lab_cluster_conf "$LAB_DIR/gw1/swanctl" --local "$GW" --proposals "$PROPOSAL" \
	--esp-proposals "$ESP" --conn-opt unique=never

tandem_ms=() sswan_ms=() tandem_mem=() sswan_mem=() tandem_cpu=() sswan_cpu=()
for ((r = 1; r <= ROUNDS; r++)); do
	lab_tandemd_start gw1 "$LAB_DIR/gw1.conf" --log-level warning
	# this tandemd's own engine (a child of it): other labs may run engines too
	tpid=$(lab_pid tandemd-gw1)
	lab_wait_until 10 pgrep -P "$tpid" -f tandem-engine >/dev/null
	round "$tpid" "$(pgrep -P "$tpid" -f tandem-engine | head -n 1)"
	ms=$ROUND_MS mem=$ROUND_KIB
	lab_tandemd_stop gw1
	tandem_ms+=("$ms")
	tandem_mem+=("$mem")
	tandem_cpu+=("$ROUND_CPU")
	read -r t0kib e0kib <<<"$ROUND_SPLIT0"
	read -r t1kib e1kib <<<"$ROUND_SPLIT"
	printf 'round %d: tandem     %5d ms for %d IKE SAs = %6.0f setups/s; responder CPU %5d ms (%.0f us/setup), initiator CPU %5d ms; +%d KiB RSS (tandemd +%d, engine +%d)\n' \
		"$r" "$ms" "$N" "$(bc -l <<<"$N * 1000 / $ms")" "$ROUND_CPU" \
		"$(bc -l <<<"$ROUND_CPU * 1000 / $N")" "$ROUND_ICPU" "$mem" $((t1kib - t0kib)) \
		$((e1kib - e0kib))

	lab_charon_start gw1 "$LAB_DIR/gw1/swanctl"
	round "$(lab_pid charon-gw1)"
	ms=$ROUND_MS mem=$ROUND_KIB
	lab_charon_stop gw1
	sswan_ms+=("$ms")
	sswan_mem+=("$mem")
	sswan_cpu+=("$ROUND_CPU")
	printf 'round %d: strongSwan %5d ms for %d IKE SAs = %6.0f setups/s; responder CPU %5d ms (%.0f us/setup), initiator CPU %5d ms; +%d KiB RSS (charon)\n' \
		"$r" "$ms" "$N" "$(bc -l <<<"$N * 1000 / $ms")" "$ROUND_CPU" \
		"$(bc -l <<<"$ROUND_CPU * 1000 / $N")" "$ROUND_ICPU" "$mem"
done

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
tm=$(median "${tandem_ms[@]}")
sm=$(median "${sswan_ms[@]}")
trate=$(bc -l <<<"$N * 1000 / $tm")
srate=$(bc -l <<<"$N * 1000 / $sm")
tper=$(bc -l <<<"$(median "${tandem_mem[@]}") * 1024 / $N")
sper=$(bc -l <<<"$(median "${sswan_mem[@]}") * 1024 / $N")
tcpu=$(bc -l <<<"$(median "${tandem_cpu[@]}") * 1000 / $N")
scpu=$(bc -l <<<"$(median "${sswan_cpu[@]}") * 1000 / $N")
printf '\nIKE_SA+CHILD_SA setup rate, %d SAs, %s, median of %d rounds:\n' "$N" "$PROPOSAL" "$ROUNDS"
printf '  tandem      %6.0f setups/s\n  strongSwan  %6.0f setups/s\n  ratio       %6.2f (goal >= 2)\n' \
	"$trate" "$srate" "$(bc -l <<<"$trate / $srate")"
# a round that lost a datagram waits for the initiator's 4 s retransmission: the best round
# of each responder is the other robust figure
best() { printf '%s\n' "$@" | sort -n | head -n 1; }
tb=$(best "${tandem_ms[@]}")
sb=$(best "${sswan_ms[@]}")
printf '  best round: tandem %.0f, strongSwan %.0f setups/s, ratio %.2f\n' \
	"$(bc -l <<<"$N * 1000 / $tb")" "$(bc -l <<<"$N * 1000 / $sb")" "$(bc -l <<<"$sb / $tb")"
printf 'responder CPU per setup (user+system): tandem %.0f us (tandemd+engine), strongSwan %.0f us; ratio %.2f\n' \
	"$tcpu" "$scpu" "$(bc -l <<<"$scpu / $tcpu")"
printf 'memory per established IKE SA (RSS growth / N): tandem %.0f bytes, strongSwan %.0f bytes\n' \
	"$tper" "$sper"
printf '{"bench":"ike_setup","n":%d,"rounds":%d,"tandem_per_s":%.1f,"strongswan_per_s":%.1f,"ratio":%.2f,"tandem_cpu_us":%.0f,"strongswan_cpu_us":%.0f,"cpu_ratio":%.2f,"tandem_bytes_per_sa":%.0f,"strongswan_bytes_per_sa":%.0f}\n' \
	"$N" "$ROUNDS" "$trate" "$srate" "$(bc -l <<<"$trate / $srate")" "$tcpu" "$scpu" \
	"$(bc -l <<<"$scpu / $tcpu")" "$tper" "$sper"
