#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install every Debian 12 package tandem needs to build, test and run its lab.
# Idempotent: packages already present are skipped by apt; a second run changes nothing.
set -euo pipefail

PKGS=(
	# build
	build-essential cmake pkg-config git clang clang-format clang-tidy libclang-rt-14-dev lld
	# libraries (see docs/dependencies.md for why each one)
	libssl-dev libevent-dev libmnl-dev libprotobuf-c-dev protobuf-c-compiler
	libcpg-dev libquorum-dev libcorosync-common-dev libcmap-dev libcfg-dev
	libsystemd-dev libcmocka-dev
	# cluster and peers for the lab
	corosync corosync-qdevice corosync-qnetd
	strongswan-charon strongswan-swanctl libcharon-extra-plugins
	libstrongswan-extra-plugins libstrongswan-standard-plugins
	# lab tools
	iproute2 iputils-ping iperf3 tcpdump tshark procps psmisc util-linux jq python3 curl
	# monitoring (docs/monitoring.md): promtool and the Prometheus server of the scrape test
	prometheus
	# packaging and deployment (docs/deploy.md): man pages, cpack -G DEB, Ansible, nspawn nodes.
	# The test's nodes boot an overlay of this machine's root and have no mirror: what Ansible
	# needs on a target (python3-apt for its apt module) and what the test runs there (man)
	# must be installed here (a fresh machine has neither; the fresh-machine check found it).
	scdoc dpkg-dev file ansible ansible-lint systemd-container python3-apt man-db
)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (it installs Debian packages with apt-get)" >&2
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps.sh: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "deps.sh: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages such as corosync and corosync-qnetd start a service from their postinst; the lab
# runs its own daemons in network namespaces and needs none of them, so block starts
# during installation (policy-rc.d is the Debian mechanism for exactly this).
cleanup_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	cleanup_policy=1
fi
trap '[ "$cleanup_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps.sh: done"
