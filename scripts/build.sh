#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configure and build tandem. Usage: scripts/build.sh [normal|san|all]   (default: all)
#   normal  build/      gcc, RelWithDebInfo, -Werror: what the demo and benchmarks run
#   san     build-san/  clang, ASan+UBSan, libFuzzer targets: what the tests run as well
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
jobs=${TANDEM_JOBS:-2}

build_normal() {
	cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$root/build" -j "$jobs"
}

build_san() {
	CC=clang cmake -S "$root" -B "$root/build-san" -DCMAKE_BUILD_TYPE=Debug \
		-DTANDEM_SANITIZE=address,undefined -DTANDEM_FUZZ=ON >/dev/null
	cmake --build "$root/build-san" -j "$jobs"
}

case "$what" in
normal) build_normal ;;
san) build_san ;;
all) build_normal && build_san ;;
*)
	echo "usage: $0 [normal|san|all]" >&2
	exit 2
	;;
esac
# clangd and clang-tidy read the normal build's compile database from the top of the tree
ln -sf build/compile_commands.json "$root/compile_commands.json"
