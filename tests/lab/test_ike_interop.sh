#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# IKEv2 interop with a real strongSwan 5.9.8 (issue "IKEv2 engine"): tandemd on gw1, charon on
# the branch. Each proposal of the matrix in both roles; Child SA and IKE SA rekeys started by
# each side; deletes from each side; DPD when the branch vanishes; a wrong pre-shared key and
# a proposal mismatch, each with tandem's specific log line; and every IKE message tandem
# sent, decoded by tshark without a malformed-packet or error warning.
# Exit 0 pass, 1 fail, 77 when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
[[ $(id -u) -eq 0 ]] || exit 77

# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"

# the branch logs its IKE keys (ike 4) so tshark can decrypt what tandem sent (see the end)
export LAB_CHARON_LOG="default=1 ike=4 knl=1 esp=2 cfg=1 net=1 enc=0"
lab_init
lab_topology_up 1
GW=$(lab_addr gw1 wan)
CONF=$LAB_DIR/gw1.conf
SW=$LAB_DIR/br/swanctl
LOG=$(lab_node_dir gw1)/tandemd.log

# Every IKE datagram on the WAN, for the tshark check at the end.
lab_spawn tcpdump-br br "$LAB_DIR/tcpdump.log" tcpdump -i wan0 -U -n -w "$LAB_DIR/ike.pcap" \
	'udp port 500 or udp port 4500'
sleep 0.5

# --- helpers ---------------------------------------------------------------------------------
tandem() { lab_hactl gw1 "$@"; }
ike_state() { tandem --json show ike-sa tunnel branch | jq -r '.ike_sa[0].state // "none"'; }
ike_count() { tandem --json show ike-sa tunnel branch | jq '.ike_sa | length'; }
child_spis() { tandem --json show ipsec-sa tunnel branch | jq -r '[.ipsec_sa[] | .spi_in] | sort | join(",")'; }
ike_spis() { tandem --json show ike-sa tunnel branch | jq -r '[.ike_sa[] | .spi_i + "/" + .spi_r] | sort | join(",")'; }
br_ike_state() { lab_ike_state br tandem 2>/dev/null || echo none; }
established_both() {
	[[ "$(ike_state)" == established && "$(br_ike_state)" == ESTABLISHED ]] &&
		[[ "$(lab_child_field br tandem state 2>/dev/null)" == INSTALLED ]]
}
reload_seq() { tandem --json status | jq -r '.last_reload.seq // 0'; }
tandem_reload() { # tandem_reload CONF-ARGS…: rewrite the config, SIGHUP, wait for this reload
	local seq
	seq=$(reload_seq)
	lab_tandem_gw_conf "$CONF" "$@"
	kill -HUP "$(lab_pid tandemd-gw1)"
	lab_wait_until 5 bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json status | jq -r '.last_reload.seq') -gt $seq ]]" || true
	if ! tandem --json status | jq -e '.last_reload.ok == true' >/dev/null; then
		fail "reload with $*: $(tandem --json status | jq -r .last_reload.detail)"
		return 1
	fi
}
branch_load() { # branch_load SWANCTL-ARGS…: rewrite the branch config and reload it
	lab_branch_conf "$SW" --remote "$GW" "$@"
	lab_charon_load br "$SW" >/dev/null
}
log_has() { grep -qE "$1" "$LOG"; }
clear_all() {
	tandem clear ike sa tunnel branch >/dev/null 2>&1 || true
	lab_swanctl br --terminate --ike tandem >/dev/null 2>&1 || true
	lab_wait_until 5 bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa | jq '.ike_sa | length') == 0 ]]" || true
}

# --- start ---------------------------------------------------------------------------------
lab_tandem_gw_conf "$CONF" --conn-type responder-only
lab_tandemd_start gw1 "$CONF" --log-level debug
lab_branch_conf "$SW" --remote "$GW"
lab_charon_start br "$SW"

# chacha20poly1305 and x25519 only if this strongSwan build offers them
algs=$(lab_swanctl br --list-algs)
cases=(
	"aes128gcm16-prfsha256-ecp256 aes128gcm16"
	"aes256-sha256-modp2048 aes256-sha256"
	"aes128-sha1-modp1024 aes128-sha1"
	"3des-md5-modp1024 aes128-sha1"
)
if grep -q CHACHA20_POLY1305 <<<"$algs" && grep -q CURVE_25519 <<<"$algs"; then
	cases+=("chacha20poly1305-prfsha256-x25519 aes128gcm16")
else
	pass "chacha20poly1305-prfsha256-x25519 skipped: this strongSwan build does not offer it"
fi

# --- the proposal matrix, each side initiating ----------------------------------------------
for c in "${cases[@]}"; do
	read -r ike esp <<<"$c"
	# the branch initiates; tandem only responds
	tandem_reload --conn-type responder-only --proposals "$ike" --esp-proposals "$esp"
	branch_load --proposals "$ike" --esp-proposals "$esp"
	t0=$(lab_now_ms)
	lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
	check "$ike / $esp: branch initiates, both ends establish ($(($(lab_now_ms) - t0)) ms)" \
		lab_wait_until 10 established_both
	check "$ike / $esp: tandem and the branch agree on the SPIs" \
		test "$(tandem --json show ike-sa | jq -r '.ike_sa[0].spi_i')" = \
		"$(lab_swanctl br --list-sas --raw | grep -oE 'initiator-spi=[0-9a-f]+' | head -1 | cut -d= -f2)"
	clear_all
	# tandem initiates; the branch waits
	t0=$(lab_now_ms)
	tandem_reload --conn-type initiator-only --proposals "$ike" --esp-proposals "$esp"
	check "$ike / $esp: tandem initiates, both ends establish ($(($(lab_now_ms) - t0)) ms)" \
		lab_wait_until 15 established_both
	clear_all
done

# --- rekeys from each side ------------------------------------------------------------------
tandem_reload --conn-type responder-only
branch_load
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
lab_wait_until 10 established_both || fail "rekey setup: not established"
old=$(child_spis)
lab_swanctl br --rekey --child tandem >/dev/null
check "Child SA rekey started by the branch: new SPIs, still established" \
	lab_wait_until 10 bash -c "[[ \"\$(jq -r '[.ipsec_sa[] | .spi_in] | sort | join(\",\")' <<<\"\$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ipsec-sa)\")\" != '$old' ]]"
old=$(child_spis)
tandem rekey ipsec-sa tunnel branch >/dev/null
check "Child SA rekey started by tandem: new SPIs" \
	lab_wait_until 10 bash -c "[[ \"\$(jq -r '[.ipsec_sa[] | .spi_in] | sort | join(\",\")' <<<\"\$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ipsec-sa)\")\" != '$old' ]]"
old=$(ike_spis)
lab_swanctl br --rekey --ike tandem >/dev/null
check "IKE SA rekey started by the branch: new IKE SPIs, one IKE SA left" \
	lab_wait_until 10 bash -c "s=\$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa); [[ \$(jq '.ike_sa | length' <<<\"\$s\") == 1 && \$(jq -r '.ike_sa[0].spi_i + \"/\" + .ike_sa[0].spi_r' <<<\"\$s\") != '$old' ]]"
old=$(ike_spis)
tandem rekey ike-sa tunnel branch >/dev/null
check "IKE SA rekey started by tandem: new IKE SPIs, one IKE SA left" \
	lab_wait_until 10 bash -c "s=\$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa); [[ \$(jq '.ike_sa | length' <<<\"\$s\") == 1 && \$(jq -r '.ike_sa[0].spi_i + \"/\" + .ike_sa[0].spi_r' <<<\"\$s\") != '$old' ]]"
check "after four rekeys both ends are still established" lab_wait_until 5 established_both

# --- deletes from each side -----------------------------------------------------------------
lab_swanctl br --terminate --ike tandem >/dev/null 2>&1 || true
check "delete by the branch: tandem removes the IKE SA" \
	lab_wait_until 5 bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa | jq '.ike_sa | length') == 0 ]]"
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
lab_wait_until 10 established_both || fail "delete setup: not established"
tandem clear ike sa tunnel branch >/dev/null
check "delete by tandem (clear ike sa): the branch removes the IKE SA" \
	lab_wait_until 5 bash -c "[[ \"\$(lab_ike_state br tandem 2>/dev/null || echo none)\" != ESTABLISHED ]]"

# --- a wrong pre-shared key and a proposal mismatch -----------------------------------------
branch_load --psk wrong-key-wrong-key-wrong
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
check "wrong pre-shared key: tandem logs AUTHENTICATION_FAILED for the peer" \
	lab_wait_until 5 log_has "AUTHENTICATION_FAILED.*192\.0\.2\.2"
branch_load --proposals aes128-sha1-modp1024
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
check "proposal mismatch: tandem logs what it received and what is configured" \
	lab_wait_until 5 log_has "(NO_PROPOSAL_CHOSEN|no proposal chosen).*received.*configured"
check "hactl show statistics counts both rejections" \
	bash -c "'$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show statistics | jq -e '[.ike_rejected[] | select(.value > 0)] | length >= 2' >/dev/null"

# --- DPD: the branch disappears -------------------------------------------------------------
tandem_reload --conn-type responder-only --dpd 2:2
branch_load
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
lab_wait_until 10 established_both || fail "DPD setup: not established"
t0=$(lab_now_ms)
lab_charon_kill br
check "DPD: tandem declares the vanished branch dead and removes its SAs" \
	lab_wait_until 20 bash -c "[[ \$('$(lab__hactl)' --ctl '$(lab_tandemd_ctl gw1)' --json show ike-sa | jq '.ike_sa | length') == 0 ]]"
pass "DPD detection took $(($(lab_now_ms) - t0)) ms (interval 2 s, 2 retries)"
check "DPD: the tunnel is reported down in the log" log_has "tunnel branch down"

# --- tshark: every message tandem sent decodes cleanly, decrypted where tshark can --------
lab_stop tcpdump-br
export WIRESHARK_CONFIG_DIR=$LAB_DIR/wireshark
mkdir -p "$WIRESHARK_CONFIG_DIR"
pairing=$("$here/lib/ike-keys-uat.py" "$(lab_charon_log br)" "$LAB_DIR/ike.pcap" \
	"$WIRESHARK_CONFIG_DIR/ikev2_decryption_table")
pass "tshark key table from the branch's log: $pairing"
ts() { # number of tandem's IKE messages matching a further display filter
	tshark -r "$LAB_DIR/ike.pcap" -Y "ip.src == $GW && isakmp $1" -T fields -e frame.number 2>/dev/null | wc -l
}
sent=$(ts "")
encrypted=$(ts "&& isakmp.enc.data")
decrypted=$(ts "&& isakmp.enc.decrypted")
bad_icv=$(ts "&& isakmp.ikev2.integrity_checksum")
bad=$(ts "&& (_ws.malformed || _ws.expert.severity >= error)")
check "tshark: all $sent IKE messages tandem sent decode without a malformed/error warning ($bad bad)" \
	test "$sent" -gt 0 -a "$bad" -eq 0
check "tshark: $decrypted of tandem's $encrypted encrypted messages decrypted and parsed, $bad_icv with a bad ICV (ChaCha20-Poly1305 is beyond tshark 4.0)" \
	test "$decrypted" -gt $((encrypted / 2)) -a "$bad_icv" -eq 0

printf 'ike interop: %d failure(s)\n' "$fails" >&3
[[ $fails -eq 0 ]]
