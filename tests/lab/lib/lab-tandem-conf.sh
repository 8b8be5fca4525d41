# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tandem configurations for the lab topology (docs/lab.md): a cluster of the lab's gateway
# nodes facing the strongSwan branch. Sourced by lab.sh.

# lab_tandem_conf FILE [--psk KEY] [--nodes N]: the cluster configuration every gateway
# node loads: one IKEv2 tunnel from the WAN VIP to the branch, routes to the branch LAN over
# it, and a cluster block naming gw1..gwN with the lab's VIPs.
lab_tandem_conf() {
	local file=$1 psk=tandem-lab-psk nodes
	shift
	nodes=$(lab_gateways | wc -w)
	while [[ $# -gt 0 ]]; do
		case $1 in
		--psk) psk=$2; shift 2 ;;
		--nodes) nodes=$2; shift 2 ;;
		*) lab_err "lab_tandem_conf: unknown option $1"; return 1 ;;
		esac
	done
	{
		cat <<CONF
! tandem lab cluster: $nodes gateway node(s) in front of 10.1.0.0/24, one branch office
asp pool P1 service security
  asp 1/1
asp group G1
  pool P1
ike2 proposal ike-gcm
  encryption algorithm aes-128-gcm
  pseudo-random-function hmac-sha2-256
  dh-group 19
ipsec proposal esp-gcm
  esp encryption aes-128-gcm
ipsec policy esp-pol
  seq 10 proposal esp-gcm
context outside
  interface wan-vip loopback
    ip address $LAB_WAN_VIP/32
  asp-group G1 service security
  ike2 policy branch-ike
    identity local $LAB_WAN_VIP
    pre-shared-key $psk
    seq 10 proposal ike-gcm
context inside
  interface TI-1 ipsec
    ip address 169.254.1.1/30
  ipsec access-list branch-acl
    seq 10 $LAB_LAN_NET $LAB_BLAN_NET
  ip route $LAB_BLAN_NET TI-1 cost 5
tunnel ipsec branch
  peer-end-point local $LAB_WAN_VIP remote $LAB_BR_WAN context outside
  bind interface TI-1 inside
  remote-id $LAB_BR_WAN
  ike-policy branch-ike
  seq 10 ipsec-policy esp-pol access-group branch-acl
cluster lab
CONF
		local k
		for ((k = 1; k <= nodes; k++)); do
			printf '  node gw%d id %d priority %d address %s\n' "$k" "$k" \
				$((200 - 10 * k)) "$(lab_addr "gw$k" sync)"
		done
		printf '  virtual-address %s/24 interface wan0\n' "$LAB_WAN_VIP"
		printf '  virtual-address %s/24 interface lan0\n' "$LAB_LAN_VIP"
	} >"$file"
}

# lab__ike_prop NAME STRONGSWAN-PROPOSAL: an ike2 proposal block for a strongSwan proposal
# string such as aes128gcm16-prfsha256-ecp256 or aes256-sha256-modp2048.
lab__ike_prop() {
	local name=$1 p=$2 enc='' integ='' prf='' dh=''
	local IFS=-
	for tok in $p; do
		case $tok in
		aes128gcm16) enc=aes-128-gcm ;;
		aes256gcm16) enc=aes-256-gcm ;;
		chacha20poly1305) enc=chacha20-poly1305 ;;
		aes128) enc=aes-128-cbc ;;
		aes192) enc=aes-192-cbc ;;
		aes256) enc=aes-256-cbc ;;
		3des) enc=3des-cbc ;;
		des) enc=des-cbc ;;
		sha1) integ=hmac-sha1-96 prf=${prf:-hmac-sha1} ;;
		md5) integ=hmac-md5-96 prf=${prf:-hmac-md5} ;;
		sha256) integ=hmac-sha2-256-128 prf=${prf:-hmac-sha2-256} ;;
		sha384) integ=hmac-sha2-384-192 prf=${prf:-hmac-sha2-384} ;;
		sha512) integ=hmac-sha2-512-256 prf=${prf:-hmac-sha2-512} ;;
		aesxcbc) integ=aes-xcbc-96 prf=${prf:-aes-128-xcbc} ;;
		prfsha1) prf=hmac-sha1 ;;
		prfsha256) prf=hmac-sha2-256 ;;
		prfsha384) prf=hmac-sha2-384 ;;
		prfsha512) prf=hmac-sha2-512 ;;
		prfmd5) prf=hmac-md5 ;;
		modp768) dh=1 ;;
		modp1024) dh=2 ;;
		modp1536) dh=5 ;;
		modp2048) dh=14 ;;
		modp3072) dh=15 ;;
		modp4096) dh=16 ;;
		ecp256) dh=19 ;;
		ecp384) dh=20 ;;
		ecp521) dh=21 ;;
		x25519 | curve25519) dh=31 ;;
		*) lab_err "lab_tandem_conf: unknown proposal token '$tok' in $p"; return 1 ;;
		esac
	done
	printf 'ike2 proposal %s\n  encryption algorithm %s\n' "$name" "$enc"
	[[ -n "$integ" && "$enc" != *gcm* && "$enc" != chacha* ]] &&
		printf '  authentication algorithm %s\n' "$integ"
	printf '  pseudo-random-function %s\n  dh-group %s\n' "$prf" "$dh"
}

# lab__esp_prop NAME STRONGSWAN-ESP-PROPOSAL: an ipsec proposal block (aes128gcm16,
# aes256-sha256, aes128-sha1, 3des-md5, chacha20poly1305 …).
lab__esp_prop() {
	local name=$1 p=$2 enc='' integ=''
	local IFS=-
	for tok in $p; do
		case $tok in
		aes128gcm16) enc=aes-128-gcm ;;
		aes256gcm16) enc=aes-256-gcm ;;
		chacha20poly1305) enc=chacha20-poly1305 ;;
		aes128) enc=aes-128-cbc ;;
		aes256) enc=aes-256-cbc ;;
		3des) enc=3des-cbc ;;
		null) enc=null ;;
		sha1) integ=hmac-sha1-96 ;;
		md5) integ=hmac-md5-96 ;;
		sha256) integ=hmac-sha2-256-128 ;;
		sha384) integ=hmac-sha2-384-192 ;;
		sha512) integ=hmac-sha2-512-256 ;;
		*) lab_err "lab_tandem_conf: unknown ESP token '$tok' in $p"; return 1 ;;
		esac
	done
	printf 'ipsec proposal %s\n  esp encryption %s\n' "$name" "$enc"
	[[ -n "$integ" ]] && printf '  esp authentication %s\n' "$integ"
	return 0
}

# lab_tandem_gw_conf FILE [options]: one tandem gateway (no cluster block) facing the branch
# from its own WAN address, with the proposal set given the way strongSwan writes it, so a
# test can use the same strings on both sides. With --side br the configuration is the
# mirror image for a tandem running as the branch office, facing gateway --peer.
#   --node gwK            the gateway (default gw1); its WAN address is the local endpoint
#   --side gw|br          which end this configuration is for (default gw)
#   --peer gwK            with --side br: the gateway it faces (default gw1)
#   --proposals P         IKE proposal (default aes128gcm16-prfsha256-ecp256)
#   --esp-proposals P     ESP proposal (default aes128gcm16)
#   --psk KEY             pre-shared key (default: the lab's)
#   --conn-type T         both | initiator-only | responder-only (default both)
#   --dpd I:R             ike keepalive interval I s, R retries (default: off)
#   --pfs G               perfect-forward-secrecy dh-group G
#   --extra LINE          a top-level statement (repeatable), e.g. "ike cookie-threshold 5"
lab_tandem_gw_conf() {
	local file=$1 node=gw1 side=gw peer=gw1 ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16
	local psk=${LAB_PSK:-tandem-lab-psk-0123456789} conn=both dpd='' pfs=''
	local local_ep remote_ep lnet rnet tiaddr
	local -a extra=()
	shift
	while (($#)); do
		case $1 in
		--node) node=$2 ;;
		--side) side=$2 ;;
		--peer) peer=$2 ;;
		--proposals) ike=$2 ;;
		--esp-proposals) esp=$2 ;;
		--psk) psk=$2 ;;
		--conn-type) conn=$2 ;;
		--dpd) dpd=$2 ;;
		--pfs) pfs=$2 ;;
		--extra) extra+=("$2") ;;
		*) lab_err "lab_tandem_gw_conf: unknown option $1"; return 1 ;;
		esac
		shift 2
	done
	if [[ $side == br ]]; then
		local_ep=$LAB_BR_WAN remote_ep=$(lab_addr "$peer" wan)
		lnet=$LAB_BLAN_NET rnet=$LAB_LAN_NET tiaddr=169.254.1.2/30 node=br
	else
		local_ep=$(lab_addr "$node" wan) remote_ep=$LAB_BR_WAN
		lnet=$LAB_LAN_NET rnet=$LAB_BLAN_NET tiaddr=169.254.1.1/30
	fi
	{
		printf '! tandem lab %s %s facing %s (lab_tandem_gw_conf)\n' "$side" "$node" "$remote_ep"
		for l in "${extra[@]}"; do printf '%s\n' "$l"; done
		printf 'asp pool P1 service security\n  asp 1/1\nasp group G1\n  pool P1\n'
		lab__ike_prop ike-p "$ike" || return 1
		lab__esp_prop esp-p "$esp" || return 1
		printf 'ipsec policy esp-pol\n'
		[[ -n "$pfs" ]] && printf '  perfect-forward-secrecy dh-group %s\n' "$pfs"
		printf '  seq 10 proposal esp-p\n'
		printf 'context outside\n  interface wan-addr loopback\n    ip address %s/32\n' "$local_ep"
		printf '  asp-group G1 service security\n'
		[[ -n "$dpd" ]] && printf '  ike keepalive interval %s retries %s\n' "${dpd%%:*}" "${dpd#*:}"
		printf '  ike2 policy peer-ike\n    connection-type %s\n' "$conn"
		printf '    pre-shared-key "%s"\n    seq 10 proposal ike-p\n' "$psk"
		printf 'context inside\n  interface TI-1 ipsec\n    ip address %s\n' "$tiaddr"
		printf '  ipsec access-list peer-acl\n    seq 10 %s %s\n' "$lnet" "$rnet"
		printf '  ip route %s TI-1 cost 5\n' "$rnet"
		printf 'tunnel ipsec branch\n  peer-end-point local %s remote %s context outside\n' \
			"$local_ep" "$remote_ep"
		printf '  bind interface TI-1 inside\n  remote-id %s\n  ike-policy peer-ike\n' \
			"$remote_ep"
		printf '  seq 10 ipsec-policy esp-pol access-group peer-acl\n'
	} >"$file"
}
