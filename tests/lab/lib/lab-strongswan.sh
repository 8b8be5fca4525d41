# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Real strongSwan charon (5.9, kernel-libipsec: userspace ESP in UDP 4500 over a TUN device,
# because this kernel has no ESP) per namespace, each with its own strongswan.conf, vici
# socket, /run and log file; swanctl.conf generators for PSK connections. Sourced by lab.sh.

LAB_CHARON=${LAB_CHARON:-/usr/lib/ipsec/charon}
LAB_SWANCTL=${LAB_SWANCTL:-swanctl}
# kernel-libipsec must come before kernel-netlink (it then provides the IPsec part and
# kernel-netlink only the networking part).
LAB_CHARON_PLUGINS=${LAB_CHARON_PLUGINS:-random nonce openssl pem pkcs1 pkcs8 x509 revocation \
constraints pubkey curve25519 gcm aes sha1 sha2 hmac kdf kernel-libipsec kernel-netlink \
socket-default updown vici}
LAB_CHARON_DOS_PROTECTION=${LAB_CHARON_DOS_PROTECTION:-yes}
# Log levels of the charon file log; esp 2 shows libipsec's ICV/replay failures.
LAB_CHARON_LOG=${LAB_CHARON_LOG:-default=1 ike=2 knl=1 esp=2 cfg=1 net=1 enc=0}
# Extra lines for the charon { } section, e.g. $'init_limit_half_open = 5000\n'.
LAB_CHARON_EXTRA=${LAB_CHARON_EXTRA:-}
LAB_CHARON_START_TIMEOUT=${LAB_CHARON_START_TIMEOUT:-10}

lab__charon_dir() {
	printf '%s/strongswan\n' "$(lab_node_dir "$1")"
}

# lab_charon_vici NODE: the vici URI of NODE's charon.
lab_charon_vici() {
	printf 'unix://%s/charon.vici\n' "$(lab__charon_dir "$1")"
}

# lab_charon_conf NODE: write NODE's strongswan.conf and print its path.
lab_charon_conf() {
	local node=$1 dir conf kv
	local -a levels
	read -r -a levels <<<"$LAB_CHARON_LOG"
	dir=$(lab__charon_dir "$node")
	conf=$dir/strongswan.conf
	mkdir -p "$dir" || return 1
	{
		printf '# written by the tandem lab (tests/lab/lib/lab-strongswan.sh)\n'
		printf 'charon {\n'
		printf '\tload_modular = no\n'
		printf '\tload = %s\n' "$LAB_CHARON_PLUGINS"
		printf '\tdos_protection = %s\n' "$LAB_CHARON_DOS_PROTECTION"
		printf '\tinstall_routes = yes\n'
		if [[ -n "$LAB_CHARON_EXTRA" ]]; then
			printf '%s\n' "$LAB_CHARON_EXTRA"
		fi
		printf '\tplugins {\n'
		printf '\t\tvici {\n\t\t\tsocket = %s\n\t\t}\n' "$(lab_charon_vici "$node")"
		printf '\t}\n'
		printf '\tfilelog {\n\t\tlab {\n'
		printf '\t\t\tpath = %s/charon.log\n' "$dir"
		printf '\t\t\ttime_format = %%H:%%M:%%S\n\t\t\ttime_add_ms = yes\n'
		printf '\t\t\tappend = yes\n\t\t\tflush_line = yes\n\t\t\tike_name = yes\n'
		for kv in "${levels[@]}"; do
			printf '\t\t\t%s = %s\n' "${kv%%=*}" "${kv#*=}"
		done
		printf '\t\t}\n\t}\n'
		printf '\tsyslog {\n\t\tdaemon {\n\t\t\tdefault = -1\n\t\t}\n\t}\n'
		printf '}\n'
	} >"$conf.tmp" || return 1
	mv "$conf.tmp" "$conf" || return 1
	printf '%s\n' "$conf"
}

# lab_charon_start NODE [CONF_DIR]: start charon in NODE; once its vici socket answers, load
# CONF_DIR/swanctl.conf (if given) with swanctl --load-all --file.
lab_charon_start() {
	local node=$1 confdir=${2:-} conf dir
	lab__require_node "$node" || return 1
	if lab_pid "charon-$node" >/dev/null; then
		lab_err "charon already runs on $node"
		return 1
	fi
	conf=$(lab_charon_conf "$node") || return 1
	dir=$(lab__charon_dir "$node")
	rm -f "$dir/charon.vici"
	lab_spawn "charon-$node" "$node" "$dir/stdout.log" \
		env STRONGSWAN_CONF="$conf" "$LAB_CHARON" || return 1
	lab_log "charon on $node: pid $LAB_SPAWN_PID"
	if ! lab_wait_until "$LAB_CHARON_START_TIMEOUT" lab__charon_answers "$node"; then
		lab_err "charon on $node does not answer on $(lab_charon_vici "$node"); log:"
		tail -n 20 "$dir/charon.log" >&2 || true
		tail -n 20 "$dir/stdout.log" >&2 || true
		return 1
	fi
	if [[ -n "$confdir" ]]; then
		lab_charon_load "$node" "$confdir" || return 1
	fi
}

lab__charon_answers() {
	lab_pid "charon-$1" >/dev/null || return 255
	[[ -S "$(lab__charon_dir "$1")/charon.vici" ]] || return 1
	lab_swanctl "$1" --stats >/dev/null 2>&1
}

# lab_charon_load NODE CONF_DIR: (re)load CONF_DIR/swanctl.conf into NODE's charon.
lab_charon_load() {
	local node=$1 confdir=$2 out
	if ! out=$(lab_swanctl "$node" --load-all --file "$confdir/swanctl.conf" 2>&1); then
		lab_err "swanctl --load-all failed on $node:"
		printf '%s\n' "$out" >&2
		return 1
	fi
}

# lab_charon_stop NODE: SIGTERM charon (it deletes its SAs), bounded wait, then SIGKILL.
lab_charon_stop() {
	lab_stop "charon-$1"
}

# lab_charon_kill NODE: SIGKILL charon (no DELETE sent to the peer).
lab_charon_kill() {
	lab_kill "charon-$1"
}

# lab_swanctl NODE ARGS...: swanctl against NODE's charon, inside NODE (the command first,
# --uri appended, as swanctl wants).
lab_swanctl() {
	local node=$1 conf
	shift
	conf=$(lab__charon_dir "$node")/strongswan.conf
	lab_exec_plain "$node" env STRONGSWAN_CONF="$conf" "$LAB_SWANCTL" "$@" \
		--uri "$(lab_charon_vici "$node")"
}

# lab_charon_log NODE: path of NODE's charon log.
lab_charon_log() {
	printf '%s/charon.log\n' "$(lab__charon_dir "$1")"
}

# ---------------------------------------------------------------------------------------------
# swanctl.conf generators

lab__conf_value_ok() {
	if [[ "$1" == *[$'\n'\"{}]* ]]; then
		lab_err "value '$1' may not contain newlines, quotes or braces"
		return 1
	fi
}

# lab_swanctl_conf DIR [options]: write DIR/swanctl.conf with one IKEv2 PSK connection (one
# tunnel-mode child), plus the credential folders swanctl expects next to it. Options:
#   --name N            connection and child name (default tandem)
#   --local A           local IKE address            --remote A   remote IKE address
#   --local-id ID       default: the local address   --remote-id ID  default: the remote address
#   --local-ts NETS     local traffic selectors      --remote-ts NETS remote traffic selectors
#   --proposals P       IKE proposals (default aes128gcm16-prfsha256-ecp256)
#   --esp-proposals P   ESP proposals (default aes128gcm16)
#   --psk SECRET        pre-shared key (default $LAB_PSK or a fixed lab secret)
#   --encap yes|no      force UDP encapsulation (default yes; libipsec needs ESP-in-UDP)
#   --start-action A    none|trap|start (default none)
#   --conn-opt K=V      extra line in the connection (repeatable), e.g. dpd_delay=2s
#   --child-opt K=V     extra line in the child (repeatable), e.g. rekey_time=0
lab_swanctl_conf() {
	local dir=$1
	shift
	local name=tandem local='' remote='' lid='' rid='' lts='' rts=''
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16 psk=${LAB_PSK:-tandem-lab-psk-0123456789}
	local encap=yes start=none v
	local -a copts=() chopts=()
	while (($#)); do
		[[ $# -ge 2 ]] || {
			lab_err "lab_swanctl_conf: $1 needs a value"
			return 1
		}
		v=$2
		lab__conf_value_ok "$v" || return 1
		case "$1" in
		--name) name=$v ;;
		--local) local=$v ;;
		--remote) remote=$v ;;
		--local-id) lid=$v ;;
		--remote-id) rid=$v ;;
		--local-ts) lts=$v ;;
		--remote-ts) rts=$v ;;
		--proposals) ike=$v ;;
		--esp-proposals) esp=$v ;;
		--psk) psk=$v ;;
		--encap) encap=$v ;;
		--start-action) start=$v ;;
		--conn-opt) copts+=("$v") ;;
		--child-opt) chopts+=("$v") ;;
		*)
			lab_err "lab_swanctl_conf: unknown option $1"
			return 1
			;;
		esac
		shift 2
	done
	if [[ -z "$local" || -z "$remote" || -z "$lts" || -z "$rts" ]]; then
		lab_err "lab_swanctl_conf: --local, --remote, --local-ts and --remote-ts are required"
		return 1
	fi
	lid=${lid:-$local}
	rid=${rid:-$remote}
	lab__swanctl_dirs "$dir" || return 1
	{
		printf '# written by the tandem lab (tests/lab/lib/lab-strongswan.sh)\n'
		printf 'connections {\n\t%s {\n' "$name"
		printf '\t\tversion = 2\n'
		printf '\t\tlocal_addrs = %s\n\t\tremote_addrs = %s\n' "$local" "$remote"
		printf '\t\tproposals = %s\n' "$ike"
		printf '\t\tencap = %s\n\t\tmobike = no\n' "$encap"
		for v in "${copts[@]}"; do
			printf '\t\t%s = %s\n' "${v%%=*}" "${v#*=}"
		done
		printf '\t\tlocal {\n\t\t\tauth = psk\n\t\t\tid = %s\n\t\t}\n' "$lid"
		printf '\t\tremote {\n\t\t\tauth = psk\n\t\t\tid = %s\n\t\t}\n' "$rid"
		printf '\t\tchildren {\n\t\t\t%s {\n' "$name"
		printf '\t\t\t\tmode = tunnel\n'
		printf '\t\t\t\tlocal_ts = %s\n\t\t\t\tremote_ts = %s\n' "$lts" "$rts"
		printf '\t\t\t\tesp_proposals = %s\n' "$esp"
		printf '\t\t\t\tstart_action = %s\n' "$start"
		for v in "${chopts[@]}"; do
			printf '\t\t\t\t%s = %s\n' "${v%%=*}" "${v#*=}"
		done
		printf '\t\t\t}\n\t\t}\n\t}\n}\n'
		printf 'secrets {\n\tike-%s {\n' "$name"
		printf '\t\tid-local = %s\n\t\tid-remote = %s\n' "$lid" "$rid"
		printf '\t\tsecret = "%s"\n\t}\n}\n' "$psk"
	} >"$dir/swanctl.conf.tmp" || return 1
	mv "$dir/swanctl.conf.tmp" "$dir/swanctl.conf" || return 1
}

# swanctl --load-all --file F reads credentials from folders next to F; create them.
lab__swanctl_dirs() {
	local d
	for d in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 \
		pkcs12 conf.d; do
		mkdir -p "$1/$d" || return 1
	done
}

# lab_branch_conf DIR [options]: lab_swanctl_conf with the branch office's defaults: local
# 192.0.2.2, remote the cluster VIP 192.0.2.10, local_ts 10.2.0.0/24, remote_ts 10.1.0.0/24.
# Any option of lab_swanctl_conf overrides them (later options win).
lab_branch_conf() {
	local dir=$1
	shift
	lab_swanctl_conf "$dir" --local "$LAB_BR_WAN" --remote "$LAB_WAN_VIP" \
		--local-ts "$LAB_BLAN_NET" --remote-ts "$LAB_LAN_NET" "$@"
}

# lab_cluster_conf DIR [options]: the mirror image for a strongSwan stand-in on a gateway:
# local the VIP 192.0.2.10, remote 192.0.2.2, local_ts 10.1.0.0/24, remote_ts 10.2.0.0/24.
lab_cluster_conf() {
	local dir=$1
	shift
	lab_swanctl_conf "$dir" --local "$LAB_WAN_VIP" --remote "$LAB_BR_WAN" \
		--local-ts "$LAB_LAN_NET" --remote-ts "$LAB_BLAN_NET" "$@"
}

# ---------------------------------------------------------------------------------------------
# SA inspection (swanctl --list-sas --raw)

# lab_sa_raw NODE [IKE_NAME]: raw vici dump of the SAs.
lab_sa_raw() {
	local node=$1
	shift
	if (($#)); then
		lab_swanctl "$node" --list-sas --raw --ike "$1"
	else
		lab_swanctl "$node" --list-sas --raw
	fi
}

# lab_ike_state NODE IKE_NAME: the IKE_SA state (ESTABLISHED, CONNECTING, …) or nothing.
lab_ike_state() {
	local raw
	raw=$(lab_sa_raw "$1" "$2") || return 1
	[[ "$raw" =~ \ state=([A-Z_]+) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# lab_child_field NODE IKE_NAME FIELD: FIELD of the first CHILD_SA (state, bytes-in,
# bytes-out, packets-in, packets-out, spi-in, spi-out, …).
lab_child_field() {
	local raw child
	raw=$(lab_sa_raw "$1" "$2") || return 1
	[[ "$raw" == *"child-sas {"* ]] || return 1
	child=${raw#*child-sas \{}
	[[ " $child" =~ [\ \{]$3=([^ }]*) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# lab_ike_initiate NODE CHILD [TIMEOUT_S]: initiate CHILD (and its IKE_SA) and wait for the
# result. Sets LAB_IKE_MS to the time swanctl took.
lab_ike_initiate() {
	local node=$1 child=$2 timeout=${3:-10} t0 out
	t0=$(lab_now_ms)
	if ! out=$(lab_swanctl "$node" --initiate --child "$child" --timeout "$timeout" 2>&1); then
		LAB_IKE_MS=$(($(lab_now_ms) - t0))
		lab_err "initiate $child on $node failed:"
		printf '%s\n' "$out" | tail -n 15 >&2
		return 1
	fi
	LAB_IKE_MS=$(($(lab_now_ms) - t0))
}
