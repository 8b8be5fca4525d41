# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared by the replication lab tests (test_sync_*.sh): a cluster configuration whose tunnel
# to the strongSwan branch runs from the WAN VIP, checks that print ok/FAIL, and the state
# comparison across nodes (hactl --json, keys compared by digest only, never printed).

# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"

# sync_conf FILE NODES: the configuration every node loads: lab_tandem_gw_conf's tunnel, from
# the WAN VIP, responder-only (the branch initiates), and a cluster block gw1..gwNODES.
sync_conf() {
	local file=$1 n=$2 k
	lab_tandem_gw_conf "$file.tmp" --node gw1 --conn-type responder-only || return 1
	sed "s/$(lab_addr gw1 wan)/$LAB_WAN_VIP/g" "$file.tmp" >"$file" || return 1
	rm -f "$file.tmp"
	{
		printf 'cluster sync-lab\n'
		for ((k = 1; k <= n; k++)); do
			printf '  node gw%d id %d priority %d address %s\n' "$k" "$k" $((200 - 10 * k)) \
				"$(lab_addr "gw$k" sync)"
		done
		# required by a cluster; the HA layer (not this test) owns it; the WAN VIP the tunnel
		# uses is added by hand on the active node
		printf '  virtual-address %s/24 interface lan0\n' "$LAB_LAN_VIP"
	} >>"$file"
}

hj() { # hj NODE ARGS...: hactl --json on NODE
	local node=$1
	shift
	lab_hactl "$node" --json "$@" 2>/dev/null
}
role_of() { hj "$1" status | jq -r '.role // "down"' 2>/dev/null || echo down; }
role_is() { [[ "$(role_of "$1")" == "$2" ]]; }
in_sync() { [[ "$(hj "$1" show replication | jq -r '.in_sync')" == true ]]; }
standby_ready() { role_is "$1" standby && in_sync "$1"; }

# The replicated state as a standby must hold it: IKE SAs and Child SAs with their SPIs,
# identities, algorithms, message IDs, lease limits, and the keys' digest; no state/times.
ike_view() {
	hj "$1" show ike-sa | jq -S '[.ike_sa[] | {tunnel, spi_i, spi_r, initiator, local, remote,
		nat_local, nat_remote, id_local, id_remote, encryption, integrity, prf, dh_group,
		msgid_next_send, msgid_next_recv, peer_msgid_sync, peer_replay_sync, ipsec_sas,
		keys_digest}] | sort_by(.spi_i)'
}
ipsec_view() {
	hj "$1" show ipsec-sa | jq -S '[.ipsec_sa[] | {tunnel, ike_spi_i, ike_spi_r, spi_in,
		spi_out, encryption, integrity, pfs_group, esn, udp_encap, ts_local, ts_remote,
		replay_window, out_lease_limit}] | sort_by(.spi_in)'
}
store_digest() { hj "$1" show replication | jq -r '.store_digest'; }
ike_count() { hj "$1" show ike-sa | jq '.ike_sa | length'; }
ike_states() { hj "$1" show ike-sa | jq -r '[.ike_sa[].state] | unique | join(",")'; }
ipsec_standby() { hj "$1" show ipsec-sa | jq -r '[.ipsec_sa[].standby] | unique | join(",")'; }

# same_state ACTIVE STANDBY: the standby holds what the active holds.
same_state() {
	local a=$1 s=$2
	[[ "$(ike_count "$a")" -gt 0 ]] || return 1
	[[ "$(ike_view "$a")" == "$(ike_view "$s")" ]] || return 1
	[[ "$(ipsec_view "$a")" == "$(ipsec_view "$s")" ]] || return 1
	[[ "$(store_digest "$a")" == "$(store_digest "$s")" ]] || return 1
}
# explain ACTIVE STANDBY: what differs (field names and SPIs only; keys appear as digests)
explain() {
	diff <(ike_view "$1") <(ike_view "$2") | head -20 >&3 || true
	diff <(ipsec_view "$1") <(ipsec_view "$2") | head -20 >&3 || true
}
# marked_standby NODE: every IKE SA is in the standby state, every Child SA marked standby
marked_standby() {
	[[ "$(ike_states "$1")" == standby && "$(ipsec_standby "$1")" == true ]]
}

established_both() { # established_both ACTIVE
	[[ "$(hj "$1" show ike-sa | jq -r '.ike_sa[0].state // "none"')" == established ]] &&
		[[ "$(lab_ike_state br tandem 2>/dev/null)" == ESTABLISHED ]] &&
		[[ "$(lab_child_field br tandem state 2>/dev/null)" == INSTALLED ]]
}
child_spis() { hj "$1" show ipsec-sa | jq -r '[.ipsec_sa[] | .spi_in] | sort | join(",")'; }
ike_spis() { hj "$1" show ike-sa | jq -r '[.ike_sa[] | .spi_i + "/" + .spi_r] | sort | join(",")'; }
# refused NODE: what NODE refused, by reason, and the first log lines about it (no secrets)
refused() {
	local r
	r=$(hj "$1" show replication | jq -c '[.rejected[] | select(.reason != "stale" and .count > 0)]')
	[[ "$r" == "[]" ]] && return 0
	printf '  %s refused: %s\n' "$1" "$r" >&3
	grep -h "refused a replication" "$(lab_node_dir "$1")/tandemd.log" | head -5 >&3 || true
}
