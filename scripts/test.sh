#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test of tandem and ends with one line: "N passed, N failed[, N skipped]".
# Installs dependencies, builds (normal and ASan/UBSan+libFuzzer), then runs: formatting
# check, unit and integration tests in both builds, a bounded fuzz run of every target, and
# the network-namespace lab tests (real corosync, real strongSwan) and the deploy tests (the
# .deb onto systemd-nspawn nodes by Ansible). Exit 0 only if nothing
# failed. As root a skipped lab test counts as failed.
#   TANDEM_FUZZ_SECONDS  seconds per fuzz target (default 20)
#   TANDEM_TEST_FILTER   run only lab tests whose file name matches this regex
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
results=$(mktemp /tmp/tandem-test-results.XXXXXX)
trap 'rm -f "$results"' EXIT
start=$SECONDS

# failed_log LOG: what a failed lab or deploy test printed, for a run that may only fail on
# another machine (CI keeps nothing else): its failed checks, then its last 200 lines (the
# fault tests end with each node's roles and sync events when they fail).
failed_log() {
	grep -E '^FAIL' "$1"
	printf '  --- the last 200 lines of %s\n' "$1"
	tail -n 200 "$1"
}

record() { # record pass|fail|skip NAME [detail]
	printf '%s %s\n' "$1" "$2" >>"$results"
	case $1 in
	pass) printf '  PASS  %s %s\n' "$2" "${3:-}" ;;
	fail) printf '  FAIL  %s %s\n' "$2" "${3:-}" ;;
	skip) printf '  SKIP  %s %s\n' "$2" "${3:-}" ;;
	esac
}

section() { printf '\n== %s\n' "$*"; }

# Runs ctest in a build directory and records each test by name.
run_ctest() { # run_ctest BUILD_DIR PREFIX ctest-args...
	local dir=$1 prefix=$2 log
	shift 2
	log=$(mktemp /tmp/tandem-ctest.XXXXXX)
	(cd "$dir" && ctest --output-on-failure "$@") >"$log" 2>&1
	grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$log" | while read -r line; do
		name=$(sed -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) .*/\1/' <<<"$line")
		secs=$(grep -oE '[0-9.]+ sec' <<<"$line" || true)
		if grep -q ' Passed ' <<<"$line"; then
			record pass "$prefix$name" "($secs)"
		elif grep -q 'Skipped' <<<"$line"; then
			record skip "$prefix$name" "(skipped by the test itself)"
		else
			record fail "$prefix$name" "($(sed -E 's/.*\*\*\*//' <<<"$line"))"
		fi
	done
	if grep -qE '\*\*\*(Failed|Timeout|Exception)|Not Run' "$log"; then
		sed -n '/The following tests FAILED/,$p;/Output from these tests/q' "$log" | head -5
		grep -B2 -A30 -E 'FAIL|Error|ERROR|runtime error|AddressSanitizer' "$log" | head -120
	fi
	rm -f "$log"
}

section "dependencies"
if ! ./scripts/deps.sh; then
	echo "0 passed, 1 failed (dependency installation failed)"
	exit 1
fi

section "build (normal and sanitizer)"
if ! ./scripts/build.sh all; then
	echo "0 passed, 1 failed (build failed)"
	exit 1
fi

section "formatting (clang-format)"
bad=$(git ls-files '*.c' '*.h' | grep -v '\.pb-c\.' | while read -r f; do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -z "$bad" ]; then record pass format; else record fail format "$(echo $bad)"; fi

section "unit and integration tests (gcc build)"
run_ctest build "" -L 'unit|integ' -j 2
section "unit and integration tests (clang ASan/UBSan build)"
run_ctest build-san "san:" -L 'unit|integ' -j 2
section "fuzz smoke (${TANDEM_FUZZ_SECONDS:-20} s per target)"
TANDEM_FUZZ_SECONDS=${TANDEM_FUZZ_SECONDS:-20} run_ctest build-san "" -L fuzz-smoke

section "lab tests (network namespaces, real corosync and strongSwan)"
for t in tests/lab/test_*.sh; do
	[ -e "$t" ] || continue
	name=lab:$(basename "$t" .sh)
	if [ -n "${TANDEM_TEST_FILTER:-}" ] && ! grep -qE "$TANDEM_TEST_FILTER" <<<"$t"; then
		continue
	fi
	t0=$SECONDS
	timeout --kill-after=10 900 "$t" >"/tmp/tandem-$(basename "$t").log" 2>&1
	rc=$?
	dt=$((SECONDS - t0))
	if [ $rc -eq 0 ]; then
		record pass "$name" "(${dt} s)"
	elif [ $rc -eq 77 ] && [ "$(id -u)" -ne 0 ]; then
		record skip "$name" "(needs root)"
	else
		record fail "$name" "(exit $rc after ${dt} s; log below)"
		failed_log "/tmp/tandem-$(basename "$t").log"
	fi
done

section "deploy tests (the .deb, systemd-nspawn nodes, Ansible; docs/deploy.md)"
for t in tests/deploy/test_*.sh; do
	[ -e "$t" ] || continue
	name=deploy:$(basename "$t" .sh)
	if [ -n "${TANDEM_TEST_FILTER:-}" ] && ! grep -qE "$TANDEM_TEST_FILTER" <<<"$t"; then
		continue
	fi
	t0=$SECONDS
	TANDEM_BUILD_DIR=$root/build timeout --kill-after=10 900 "$t" \
		>"/tmp/tandem-deploy-$(basename "$t").log" 2>&1
	rc=$?
	dt=$((SECONDS - t0))
	if [ $rc -eq 0 ]; then
		record pass "$name" "(${dt} s)"
	elif [ $rc -eq 77 ] && [ "$(id -u)" -ne 0 ]; then
		record skip "$name" "(needs root)"
	else
		record fail "$name" "(exit $rc after ${dt} s; log below)"
		failed_log "/tmp/tandem-deploy-$(basename "$t").log"
	fi
done

passed=$(grep -c '^pass ' "$results")
failed=$(grep -c '^fail ' "$results")
skipped=$(grep -c '^skip ' "$results")
printf '\n== summary (%d s)\n' $((SECONDS - start))
if [ "$failed" -gt 0 ]; then
	echo "failed:"
	sed -n 's/^fail /  /p' "$results"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
