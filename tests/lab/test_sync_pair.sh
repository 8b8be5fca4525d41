#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replication between two tandem nodes over real corosync 3 (knet, aes256/sha256, authkey)
# with the real strongSwan branch (issue 5). gw1 is elected active, gw2 standby; the WAN VIP
# is put on gw1 by hand (VIP management is the HA layer's). The branch's IKE SA and Child SA
# appear on gw2 marked standby with the same SPIs, identities, algorithms, message IDs, lease
# limits and key digests; gw2 follows a Child SA rekey, an IKE SA rekey and a delete; gw2's
# corosync is killed and restarted and gw2 resyncs; hactl shows cluster, digest and figures.
# Exit 0 pass, 1 fail, 77 when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
# shellcheck source=sync-common.sh
source "$here/sync-common.sh"
[[ $(id -u) -eq 0 ]] || exit 77

T0=$(lab_now_ms)
lab_init
lab_topology_up 2
CONF=$LAB_DIR/cluster.conf
SW=$LAB_DIR/br/swanctl
sync_conf "$CONF" 2

# --- cluster up ------------------------------------------------------------------------------
lab_corosync_start gw1 gw2
check "corosync: both nodes in one membership" lab_corosync_wait_members gw1 2 15
check "corosync runs with crypto_cipher aes256 / crypto_hash sha256 and an authkey" \
	grep -q 'crypto_cipher: aes256' "$(lab_node_dir gw1)/corosync/corosync.conf"
lab_tandemd_start gw1 "$CONF" --log-level debug
check "gw1 (first, priority 190) becomes active" lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$CONF" --log-level debug
check "gw2 becomes standby with the store in sync" lab_wait_until 15 standby_ready gw2
check "hactl show cluster on gw2: gw1 elected, digests match" \
	bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw2)' --json show cluster |
		jq -r '[.elected, .config_mismatch, (.nodes|length)] | join(\",\")') == '1,false,2' ]]" 
lab_exec gw1 ip addr add "$LAB_WAN_VIP/24" dev wan0

# --- an IKE SA and its Child SA, established with the branch on the active --------------------
lab_branch_conf "$SW" --remote "$LAB_WAN_VIP"
lab_charon_start br "$SW"
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
check "the branch and gw1 establish" lab_wait_until 15 established_both gw1
check "gw2 holds the same IKE SA and Child SA (SPIs, ids, message IDs, lease limits, key digests)" \
	lab_wait_until 5 same_state gw1 gw2 || explain gw1 gw2
check "on gw2 they are marked standby" marked_standby gw2
check "gw2's IKE engine neither initiated nor answered (no IKE SA of its own)" \
	test "$(grep -c 'IKE SA .* established' "$(lab_node_dir gw2)/tandemd.log" || true)" = 0

# --- message IDs, rekeys, delete -------------------------------------------------------------
old=$(child_spis gw1)
lab_swanctl br --rekey --child tandem >/dev/null
check "Child SA rekey (branch): new SPIs on gw1" \
	lab_wait_until 10 bash -c "[[ \"\$(jq -r '[.ipsec_sa[] | .spi_in] | sort | join(\",\")' <<<\"\$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ipsec-sa)\")\" != '$old' ]]"
check "gw2 follows the Child SA rekey" lab_wait_until 5 same_state gw1 gw2 || explain gw1 gw2
old=$(ike_spis gw1)
lab_hactl gw1 rekey ike-sa tunnel branch >/dev/null
check "IKE SA rekey (tandem): new IKE SPIs on gw1" \
	lab_wait_until 10 bash -c "s=\$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa); [[ \$(jq '.ike_sa | length' <<<\"\$s\") == 1 && \$(jq -r '.ike_sa[0].spi_i + \"/\" + .ike_sa[0].spi_r' <<<\"\$s\") != '$old' ]]"
check "gw2 follows the IKE SA rekey (old SA gone, message IDs equal)" \
	lab_wait_until 5 same_state gw1 gw2 || explain gw1 gw2
check "after the rekeys the branch is still established with gw1" lab_wait_until 5 established_both gw1

# --- corosync killed and restarted on the standby: it resyncs -------------------------------
snaps=$(hj gw2 show replication | jq -r '.snapshots_received')
lab_corosync_kill gw2
check "gw2 without corosync: faulted, never active" lab_wait_until 5 role_is gw2 faulted
check "gw1 stays active" role_is gw1 active
lab_swanctl br --rekey --child tandem >/dev/null # a change gw2 misses
lab_wait_until 5 bash -c "[[ \"\$(jq -r '[.ipsec_sa[] | .spi_in] | sort | join(\",\")' <<<\"\$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ipsec-sa)\")\" != '$(child_spis gw2)' ]]" || true
t0=$(lab_now_ms)
lab_corosync_start gw2
check "gw2 reconnects, gets a snapshot and is standby again" \
	lab_wait_until 20 standby_ready gw2
pass "gw2 back in sync $(($(lab_now_ms) - t0)) ms after its corosync restarted"
check "gw2 received a new snapshot" \
	test "$(hj gw2 show replication | jq -r '.snapshots_received')" -gt "$snaps"
check "gw2 holds the state it missed" lab_wait_until 5 same_state gw1 gw2 || explain gw1 gw2
check "gw2 reconnected to corosync (counted)" \
	test "$(hj gw2 show replication | jq -r '.reconnects')" -ge 1

# --- delete --------------------------------------------------------------------------------
lab_swanctl br --terminate --ike tandem >/dev/null 2>&1 || true
check "delete by the branch: gw1 removes the IKE SA" \
	lab_wait_until 5 bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa | jq '.ike_sa | length') == 0 ]]"
check "gw2 follows the delete" lab_wait_until 5 bash -c \
	"[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw2)' --json show ike-sa | jq '.ike_sa | length') == 0 ]]"
check "stores equal after the delete" \
	bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show replication | jq -r .store_digest) == \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw2)' --json show replication | jq -r .store_digest) ]]"

# --- figures and refusals --------------------------------------------------------------------
rep=$(hj gw1 show replication)
pass "sync-before-send on gw1 (own change -> delivered): p50 $(jq -r .latency_p50_us <<<"$rep") us, p99 $(jq -r .latency_p99_us <<<"$rep") us over $(jq -r .latency_samples <<<"$rep") changes"
check "no message refused on gw2 except stale copies" \
	test "$(hj gw2 show replication | jq '[.rejected[] | select(.reason != "stale") | .count] | add')" = 0
refused gw2
check "hactl status on gw2 names the role and quorum" \
	bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw2)' --json status | jq -r '[.role, .quorate, .config_mismatch] | join(\",\")') == 'standby,true,' ]]"

lab_down
pass "lab down; the whole test took $(($(lab_now_ms) - T0)) ms"
((fails == 0))
