# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The lab tests' checks, one definition for all of them: `check "what" CMD...` runs CMD and
# prints "ok   - what" or "FAIL - what" on the test's standard output (fd 3, so a check whose
# command's output is redirected still reports), `pass`/`fail` print a line directly, and
# $fails counts the failures (the test ends with `[[ $fails -eq 0 ]]`). Source it once, after
# lab.sh.

exec 3>&1
fails=0
pass() { printf 'ok   - %s\n' "$*" >&3; }
fail() {
	printf 'FAIL - %s\n' "$*" >&3
	fails=$((fails + 1))
}
check() { # check "what" cmd...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
