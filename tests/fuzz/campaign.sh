#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fuzzing campaign (issue 9; not part of CI): every libFuzzer target of a build made with
# -DTANDEM_FUZZ=ON (sanitizers recommended) runs over the in-tree corpus for a time or a number
# of executions, with its .options (max_len, dict); new inputs are merged back into
# tests/fuzz/corpus/<target>/ (libFuzzer -merge=1: only inputs that add coverage), crashes are
# kept, and a summary table (executions, coverage, features, corpus growth, crashes) is written.
#
#   tests/fuzz/campaign.sh BUILD_DIR [-t SECONDS_PER_TARGET | -r RUNS_PER_TARGET] [-j JOBS]
#                          [-o OUT_DIR] [-n] [TARGET...]
#
#   -t  time per target (default 600 s); -r executions per target instead (e.g. 10000000)
#   -j  libFuzzer workers per target (default 1: the machine is shared)
#   -o  where logs, crashes and the summary go (default /tmp/tandem-fuzz-campaign)
#   -n  do not merge into the in-tree corpora (a dry run)
# Exit 0 when no target crashed, 1 otherwise, 2 on usage errors.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
(($# >= 1)) || usage
build=$(cd "$1" && pwd) || usage # absolute: each target runs in its own directory
shift
secs=600 runs='' jobs=1 out=/tmp/tandem-fuzz-campaign merge=1
while getopts 't:r:j:o:n' o; do
	case "$o" in
	t) secs=$OPTARG ;;
	r) runs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	o) out=$OPTARG ;;
	n) merge=0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))

mapfile -t all < <(find "$build" -type f -perm -u+x -name 'fuzz_*' ! -name '*.so' | sort)
((${#all[@]})) || {
	echo "no fuzz_* binaries under $build (configure with -DTANDEM_FUZZ=ON)" >&2
	exit 2
}
targets=()
for f in "${all[@]}"; do
	t=$(basename "$f")
	[[ -d "$here/corpus/$t" ]] || continue
	# without TANDEM_FUZZ the fuzz_* programs only replay their corpus (replay_main.c)
	help=$("$f" -help=1 2>&1 || true)
	if [[ "$help" != *-max_total_time* ]]; then
		echo "$f is not a libFuzzer binary (configure with -DTANDEM_FUZZ=ON, clang)" >&2
		exit 2
	fi
	if (($#)) && [[ " $* " != *" $t "* ]]; then
		continue
	fi
	targets+=("$f")
done

mkdir -p "$out"
summary=$out/summary.md
{
	printf '# fuzzing campaign %s\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
	printf 'build %s, %s per target, %s job(s), commit %s\n\n' "$build" \
		"$([[ -n "$runs" ]] && echo "$runs runs" || echo "$secs s")" "$jobs" \
		"$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
	printf '| target | executions | exec/s | coverage (cov) | features (ft) | corpus before | corpus after | crashes |\n'
	printf '|---|---|---|---|---|---|---|---|\n'
} >"$summary"

crashed=0
for f in "${targets[@]}"; do
	t=$(basename "$f")
	corpus=$here/corpus/$t
	scratch=$out/$t/new
	art=$out/$t/crashes/
	log=$out/$t/fuzz.log
	rm -rf "${out:?}/${t:?}"
	mkdir -p "$scratch" "$art"
	opts=()
	if [[ -f "$here/$t.options" ]]; then
		while IFS='=' read -r k v; do
			k=${k// /} v=${v// /}
			[[ -z "$k" || "$k" == \[* ]] && continue
			[[ "$k" == dict ]] && v=$here/$v
			opts+=("-$k=$v")
		done <"$here/$t.options"
	fi
	before=$(find "$corpus" -type f | wc -l)
	limit=("-max_total_time=$secs")
	[[ -n "$runs" ]] && limit=("-runs=$runs")
	echo "== $t: ${limit[*]} ${opts[*]}" >&2
	rc=0
	par=()
	((jobs > 1)) && par=(-jobs="$jobs" -workers="$jobs")
	(cd "$out/$t" && "$f" "${opts[@]}" "${limit[@]}" "${par[@]}" -print_final_stats=1 \
		-artifact_prefix="$art" "$scratch" "$corpus") >"$log" 2>&1 || rc=$?
	stats=$log
	if ((jobs > 1)); then
		# each worker logs to fuzz-N.log in the directory it was started in
		stats=$out/$t/workers.log
		cat "$out/$t"/fuzz-*.log >"$stats" 2>/dev/null || : >"$stats"
	fi
	execs=$(awk '/stat::number_of_executed_units:/ { s += $2 } END { print s + 0 }' "$stats")
	eps=$(awk '/stat::average_exec_per_sec:/ { s += $2 } END { print s + 0 }' "$stats")
	last=$(grep -E '^#[0-9]+' "$stats" | tail -n 1 || true)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
	ncrash=$(find "$art" -type f | wc -l)
	if ((merge)); then
		"$f" "${opts[@]}" -merge=1 "$corpus" "$scratch" >>"$log" 2>&1 || true
	fi
	after=$(find "$corpus" -type f | wc -l)
	if ((rc != 0 || ncrash > 0)); then
		crashed=1
	fi
	status=$ncrash
	((rc != 0)) && status+=" (exit $rc)"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$execs" "$eps" "${cov:-?}" \
		"${ft:-?}" "$before" "$after" "$status" >>"$summary"
done
printf '\nLogs and crashes: %s/<target>/. Each crash becomes a vector and a unit test.\n' \
	"$out" >>"$summary"
cat "$summary"
exit "$crashed"
