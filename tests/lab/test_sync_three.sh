#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replication among three tandem nodes over real corosync 3 (votequorum, crypto on) with the
# real strongSwan branch (issue 5): gw1 active, gw2 standby; gw3's tandemd starts only after
# the branch's SAs exist and receives everything by snapshot; both standbys follow a Child SA
# rekey started by tandem and a delete; gw3's tandemd is killed and restarted and resyncs.
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
lab_topology_up 3
CONF=$LAB_DIR/cluster.conf
SW=$LAB_DIR/br/swanctl
sync_conf "$CONF" 3

lab_corosync_start gw1 gw2 gw3
check "corosync: three nodes in one membership" lab_corosync_wait_members gw1 3 15
lab_tandemd_start gw1 "$CONF" --log-level debug
check "gw1 becomes active" lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$CONF" --log-level debug
check "gw2 becomes standby" lab_wait_until 15 standby_ready gw2
lab_exec gw1 ip addr add "$LAB_WAN_VIP/24" dev wan0

lab_branch_conf "$SW" --remote "$LAB_WAN_VIP"
lab_charon_start br "$SW"
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
check "the branch and gw1 establish" lab_wait_until 15 established_both gw1
check "gw2 holds the same SAs" lab_wait_until 5 same_state gw1 gw2 || explain gw1 gw2
lab_hactl gw1 rekey ipsec-sa tunnel branch >/dev/null
lab_wait_until 5 same_state gw1 gw2 || true

# --- a node started late receives everything -----------------------------------------------
t0=$(lab_now_ms)
lab_tandemd_start gw3 "$CONF" --log-level debug
check "gw3 (started late) becomes standby with the store in sync" \
	lab_wait_until 15 standby_ready gw3
pass "gw3 in sync $(($(lab_now_ms) - t0)) ms after its tandemd started"
check "gw3 holds the same SAs as gw1 (received by snapshot)" \
	lab_wait_until 5 same_state gw1 gw3 || explain gw1 gw3
check "on gw3 they are marked standby" marked_standby gw3
check "gw3 got them by a snapshot" \
	test "$(hj gw3 show replication | jq -r '.snapshots_received')" -ge 1
check "hactl show cluster on gw3: three members, gw1 elected, digests match" \
	bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw3)' --json show cluster |
		jq -r '[.members, .elected, .config_mismatch] | join(\",\")') == '3,1,false' ]]"

# --- both standbys follow a rekey and a delete -----------------------------------------------
old=$(child_spis gw1)
lab_hactl gw1 rekey ipsec-sa tunnel branch >/dev/null
check "Child SA rekey (tandem): new SPIs on gw1" \
	lab_wait_until 10 bash -c "[[ \"\$(jq -r '[.ipsec_sa[] | .spi_in] | sort | join(\",\")' <<<\"\$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ipsec-sa)\")\" != '$old' ]]"
check "gw2 follows the rekey" lab_wait_until 5 same_state gw1 gw2 || explain gw1 gw2
check "gw3 follows the rekey" lab_wait_until 5 same_state gw1 gw3 || explain gw1 gw3

# --- a standby's tandemd killed and restarted: it resyncs ------------------------------------
lab_tandemd_kill gw3
lab_swanctl br --rekey --child tandem >/dev/null # a change gw3 misses
lab_wait_until 5 same_state gw1 gw2 || true
t0=$(lab_now_ms)
lab_tandemd_start gw3 "$CONF" --log-level debug
check "gw3's restarted tandemd resyncs" lab_wait_until 15 standby_ready gw3
pass "gw3 in sync again $(($(lab_now_ms) - t0)) ms after its restart"
check "gw3 holds what it missed" lab_wait_until 5 same_state gw1 gw3 || explain gw1 gw3

lab_swanctl br --terminate --ike tandem >/dev/null 2>&1 || true
check "delete: gw1 removes the IKE SA" lab_wait_until 5 bash -c \
	"[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa | jq '.ike_sa | length') == 0 ]]"
for n in gw2 gw3; do
	check "$n follows the delete" lab_wait_until 5 bash -c \
		"[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl $n)' --json show ike-sa | jq '.ike_sa | length') == 0 ]]"
done
check "three equal stores" bash -c "[[ \$(for n in gw1 gw2 gw3; do '$(lab__hactl)' --ctl \$(dirname '$(lab_tandemd_ctl gw1)')/../\$n/ctl.sock --json show replication | jq -r .store_digest; done | sort -u | wc -l) == 1 ]]"
for n in gw2 gw3; do
	check "no message refused on $n except stale copies" \
		test "$(hj $n show replication | jq '[.rejected[] | select(.reason != "stale") | .count] | add')" = 0
	refused $n
done

lab_down
pass "lab down; the whole test took $(($(lab_now_ms) - T0)) ms"
((fails == 0))
