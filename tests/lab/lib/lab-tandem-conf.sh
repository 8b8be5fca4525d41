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
