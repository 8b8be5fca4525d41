# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Seed 004 §13 (Example 16) in the lab, for the tests that need it (test_routes_cost.sh,
# test_metrics.sh): one tandem node gw1 with two tunnels to the strongSwan branch, Tun-1
# (engine group G1, from gw1's own WAN address, routes cost 5) and Tun-2 (G2, from the
# cluster VIP, cost 10), and the branch's two matching connections. Sourced after lab.sh.

# lab_seed16_conf FILE PSK [LINE...]: tandem's configuration; each LINE is one more top-level
# statement (e.g. "metrics listen 127.0.0.1:9531").
lab_seed16_conf() {
	local file=$1 psk=$2 gw1 l
	shift 2
	gw1=$(lab_addr gw1 wan)
	{
		printf '! seed 004 §13 (Example 16) in the lab: two tunnels to one branch, routes by cost\n'
		printf 'asp pool P1 service security\n  asp 1/1\nasp pool P2 service security\n  asp 1/2\n'
		printf 'asp group G1\n  pool P1\nasp group G2\n  pool P2\n'
		lab__ike_prop ike-proposal aes128gcm16-prfsha256-ecp256
		lab__esp_prop ipsec-proposal aes128gcm16
		printf 'ipsec policy ipsec-policy\n  seq 10 proposal ipsec-proposal\n'
		cat <<CONF
context C1
  interface TI-1 ipsec
    ip address 192.168.2.1/30
  interface TI-2 ipsec
    ip address 192.168.3.1/30
  ipsec access-list acl-1
    seq 10 $LAB_LAN_NET $LAB_BLAN_NET
  ipsec access-list acl-2
    seq 10 10.1.0.0/25 $LAB_BLAN_NET
  ip route $LAB_BLAN_NET TI-1 cost 5
  ip route $LAB_BLAN_NET TI-2 cost 10
context L1
  interface Tun-1-Local loopback
    ip address $gw1/32
  asp-group G1 service security
  ike2 policy ike-policy1
    pre-shared-key "$psk"
    seq 10 proposal ike-proposal
context L2
  asp-group G2 service security
  ike2 policy ike-policy2
    pre-shared-key "$psk"
    seq 10 proposal ike-proposal
tunnel ipsec Tun-1
  peer-end-point local $gw1 remote $LAB_BR_WAN context L1
  bind interface TI-1 C1
  remote-id $LAB_BR_WAN
  ike-policy ike-policy1
  seq 10 ipsec-policy ipsec-policy access-group acl-1
tunnel ipsec Tun-2
  peer-end-point local $LAB_WAN_VIP remote $LAB_BR_WAN context L2
  bind interface TI-2 C1
  remote-id $LAB_BR_WAN
  ike-policy ike-policy2
  seq 10 ipsec-policy ipsec-policy access-group acl-2
CONF
		for l in "$@"; do printf '%s\n' "$l"; done
		cat <<CONF
cluster lab
  node gw1 id 1 priority 200 address $(lab_addr gw1 sync)
  virtual-address $LAB_WAN_VIP/24 interface wan0
  virtual-address $LAB_LAN_VIP/24 interface lan0
CONF
	} >"$file"
}

lab__seed16_conn() { # NAME REMOTE REMOTE-TS
	cat <<SWAN
	$1 {
		version = 2
		local_addrs = $LAB_BR_WAN
		remote_addrs = $2
		proposals = aes128gcm16-prfsha256-ecp256
		encap = yes
		mobike = no
		local { auth = psk
			id = $LAB_BR_WAN }
		remote { auth = psk
			id = $2 }
		children { $1 { mode = tunnel
			local_ts = $LAB_BLAN_NET
			remote_ts = $3
			esp_proposals = aes128gcm16
			start_action = none } }
	}
SWAN
}

# lab_seed16_branch DIR PSK: the branch's swanctl directory, one connection per tunnel (tun1,
# tun2). Tun-2's child covers only 10.1.0.0/25, so the branch sends its replies to hc
# (10.1.0.100) through Tun-2 whatever happens to Tun-1: the tests measure the cluster's side,
# the direction tandem's routes decide.
lab_seed16_branch() {
	local dir=$1 psk=$2 gw1
	gw1=$(lab_addr gw1 wan)
	lab__swanctl_dirs "$dir" || return 1
	{
		printf 'connections {\n'
		lab__seed16_conn tun1 "$gw1" "$LAB_LAN_NET"
		lab__seed16_conn tun2 "$LAB_WAN_VIP" 10.1.0.0/25
		printf '}\nsecrets {\n'
		printf '\tike-1 { id-1 = %s\n\t\tid-2 = %s\n\t\tid-3 = %s\n\t\tsecret = "%s" }\n}\n' \
			"$LAB_BR_WAN" "$gw1" "$LAB_WAN_VIP" "$psk"
	} >"$dir/swanctl.conf"
}
