#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The lab demo: installs dependencies, builds tandem, and runs tests/lab/demo.sh — a cluster
# of tandem gateways with real corosync and a real strongSwan branch office in network
# namespaces on this machine. Needs root (it creates network namespaces).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root: the lab creates network namespaces and installs packages" >&2
	exit 1
fi
"$root/scripts/deps.sh"
"$root/scripts/build.sh" normal
exec "$root/tests/lab/demo.sh"
