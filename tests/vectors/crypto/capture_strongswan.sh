#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Records IKEv2 key-derivation vectors from real strongSwan: two charons in lab namespaces
# (gw1 initiates, br responds; PSK authentication), logging derived keys at "ike 4", Child SA
# keys at "chd 4" and packets at "net 4". strongswan_extract.py turns the logs into
# tests/vectors/crypto/strongswan-<name>.txt, checked there against ikev2_ref.py and by
# test_ike_crypto_kdf. Needs root. Usage: capture_strongswan.sh NAME IKE_PROPOSAL ESP_PROPOSAL
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=$1 IKE=$2 ESP=$3

# shellcheck source=../../lab/lib/lab.sh
source "$HERE/../../lab/lib/lab.sh"

# Key material is logged only at level 4: a lab-only setting, never for a real gateway.
export LAB_CHARON_LOG="default=1 ike=4 chd=4 net=4 knl=1 cfg=1 enc=1 esp=1"
export LAB_CHARON_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints \
pubkey curve25519 gcm chapoly aes des xcbc md5 sha1 sha2 hmac kdf kernel-libipsec \
kernel-netlink socket-default updown vici"

OUT=$(mktemp -d)
lab_init
lab_topology_up 1
lab_branch_conf "$LAB_DIR/br/swanctl" --remote "$(lab_addr gw1 wan)" --proposals "$IKE" \
	--esp-proposals "$ESP"
lab_cluster_conf "$LAB_DIR/gw1/swanctl" --local "$(lab_addr gw1 wan)" --proposals "$IKE" \
	--esp-proposals "$ESP"
lab_charon_start br "$LAB_DIR/br/swanctl"
lab_charon_start gw1 "$LAB_DIR/gw1/swanctl"
lab_ike_initiate gw1 tandem 10
lab_sa_raw gw1 >"$OUT/sa.txt"
cp "$(lab_charon_log gw1)" "$OUT/initiator.log"
cp "$(lab_charon_log br)" "$OUT/responder.log"
python3 "$HERE/strongswan_extract.py" --name "$NAME" --ike "$IKE" --esp "$ESP" \
	--psk "${LAB_PSK:-tandem-lab-psk-0123456789}" \
	--id-i "$(lab_addr gw1 wan)" --id-r "$LAB_BR_WAN" \
	--version "$(/usr/lib/ipsec/charon --version 2>/dev/null || echo unknown)" \
	"$OUT/initiator.log" "$OUT/responder.log" "$OUT/sa.txt" >"$HERE/strongswan-$NAME.txt"
rm -rf "$OUT"
echo "wrote $HERE/strongswan-$NAME.txt"
