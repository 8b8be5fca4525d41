#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one libFuzzer target for $TANDEM_FUZZ_SECONDS (default 20) over its corpus; new
# inputs go to a scratch directory, the committed corpus is only read. Usage:
#   smoke.sh FUZZER SCRATCH_DIR CORPUS_DIR [libFuzzer flags...]
set -eu
fuzzer=$1 scratch=$2 corpus=$3
shift 3
mkdir -p "$scratch"
exec "$fuzzer" -max_total_time="${TANDEM_FUZZ_SECONDS:-20}" "$@" "$scratch" "$corpus"
