#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The lab demo (README's first command runs it through scripts/demo.sh): builds the lab on
# this machine — two tandem gateway nodes, a strongSwan branch office and a host behind each
# side, all in network namespaces — runs real corosync (encrypted) on the gateways, a real
# strongSwan charon on the branch, tandemd on both gateways, shows `hactl status` from each,
# says plainly what is not built yet, and tears everything down.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step() { printf '   %s\n' "$*"; }

t0=$(lab_now_ms)
lab_init
say "1. topology: 2 gateway nodes, a branch office, a host behind each side"
lab_topology_up 2
step "namespaces ${LAB_PREFIX}-{sw,gw1,gw2,br,hc,hb} up in ${LAB_UP_MS} ms"
step "WAN $LAB_WAN_NET (cluster VIP $LAB_WAN_VIP, branch $LAB_BR_WAN)"
step "cluster LAN $LAB_LAN_NET (host $LAB_HC_ADDR)  branch LAN $LAB_BLAN_NET (host $LAB_HB_ADDR)"
step "sync network $LAB_SYNC_NET"

say "2. corosync on gw1 and gw2 (knet, aes256 + sha256, shared authkey)"
lab_corosync_start gw1 gw2
lab_corosync_wait_members gw1 2 15
step "both nodes in one membership after ${LAB_WAIT_MS} ms"
for n in gw1 gw2; do
	step "$n: $(lab_corosync_members "$n") members, crypto $(lab_corosync_value "$n" totem.crypto_cipher)/$(lab_corosync_value "$n" totem.crypto_hash), token $(lab_corosync_value "$n" runtime.config.totem.token) ms"
done

say "3. strongSwan branch office (charon 5.9.8, kernel-libipsec)"
lab_branch_conf "$LAB_DIR/br/swanctl" --psk tandem-lab-psk
lab_charon_start br "$LAB_DIR/br/swanctl"
step "charon on br listens on UDP 500/4500 with connection 'branch' to $LAB_WAN_VIP:"
lab_swanctl br --list-conns | sed 's/^/     /'

say "4. tandemd on gw1 and gw2 (one configuration, one master key)"
lab_tandem_conf "$LAB_DIR/tandem.conf" --psk tandem-lab-psk
for n in gw1 gw2; do
	lab_tandemd_start "$n" "$LAB_DIR/tandem.conf"
	step "$n: tandemd pid $(lab_pid "tandemd-$n"), control socket $(lab_tandemd_ctl "$n")"
done

say "5. hactl status from each node"
for n in gw1 gw2; do
	printf '\n   --- %s ---\n' "$n"
	lab_hactl "$n" status | sed 's/^/   /'
done
d1=$(lab_hactl gw1 --json status | jq -r .config_digest)
d2=$(lab_hactl gw2 --json status | jq -r .config_digest)
if [[ "$d1" == "$d2" ]]; then
	step "configuration digests agree: ${d1:0:16}…"
else
	step "configuration digests DIFFER: gw1 ${d1:0:16}…  gw2 ${d2:0:16}…"
fi

say "6. what this demo did not do, because it is not built yet"
lab_hactl gw1 --json status | jq -r '.not_built[]' | sed 's/^/   - /'
step "so no IKE negotiation with the branch, no traffic through a tunnel and no failover"
step "drill yet; later layers grow this demo into the drill (kill the active mid-traffic)."

say "7. teardown"
lab_down
step "all processes stopped by PID, namespaces deleted"
printf '\ndemo finished in %d ms\n' $(($(lab_now_ms) - t0))
