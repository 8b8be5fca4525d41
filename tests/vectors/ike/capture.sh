#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Captures the golden IKEv2 packets in this directory from two real strongSwan 5.9.8 charons
# in the lab (tests/lab/lib/lab.sh): br initiates to gw1, gw1 first asks for a COOKIE and then
# for another DH group (INVALID_KE_PAYLOAD), then IKE_AUTH, a Child SA and an IKE SA rekey
# (CREATE_CHILD_SA), and a delete (INFORMATIONAL). tcpdump runs in gw1; extract.py writes one
# .bin per IKE message (UDP payload, non-ESP marker stripped). Needs root. Usage:
#   capture.sh [OUTDIR]   (default: this directory)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE}
REPO=$(cd "$HERE/../../.." && pwd)

if ((EUID != 0)); then
	echo "SKIP: the lab needs root"
	exit 77
fi
# shellcheck source=../../lab/lib/lab.sh
source "$REPO/tests/lab/lib/lab.sh"

lab_init
lab_topology_up 1
GW=$(lab_addr gw1 wan)

# br offers two proposals (AEAD first, then CBC with Key Length attributes) and ecp256 first;
# gw1 only takes curve25519, so it answers the KE with INVALID_KE_PAYLOAD.
lab_branch_conf "$LAB_DIR/br/swanctl" --remote "$GW" \
	--proposals "aes256gcm16-aes128gcm16-prfsha256-prfsha384-ecp256-curve25519-modp2048,aes256-aes128-sha256-sha1-prfsha256-modp2048" \
	--esp-proposals "aes128gcm16-esn-noesn,aes256-sha256"
lab_cluster_conf "$LAB_DIR/gw1/swanctl" --local "$GW" \
	--proposals "aes128gcm16-prfsha256-curve25519" --esp-proposals "aes128gcm16"

lab_spawn tcpdump-gw1 gw1 "$LAB_DIR/gw1/tcpdump.log" \
	tcpdump -U -n -s 0 -i wan0 -w "$LAB_DIR/gw1/ike.pcap" udp
sleep 1
# Both send their vendor IDs ("strongSwan" and the capabilities).
LAB_CHARON_EXTRA=$'\tsend_vendor_id = yes' lab_charon_start br "$LAB_DIR/br/swanctl"
# cookie_threshold 1: gw1 demands a COOKIE (RFC 7296 §2.6) while one IKE SA is half open,
# and halfopen.py leaves one there before br initiates.
LAB_CHARON_EXTRA=$'\tsend_vendor_id = yes\n\tcookie_threshold = 1\n\tblock_threshold = 100' \
	lab_charon_start gw1 "$LAB_DIR/gw1/swanctl"
lab_exec_plain br python3 "$HERE/halfopen.py" "$GW"

lab_ike_initiate br tandem 10
lab_swanctl br --rekey --ike tandem
sleep 1
lab_swanctl br --terminate --ike tandem --timeout 5 || true
sleep 1
lab_stop tcpdump-gw1
python3 "$HERE/extract.py" "$LAB_DIR/gw1/ike.pcap" "$OUT"
lab_down
