# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The crypto engine in the lab (docs/engine.md): manual-key tunnel configurations for a
# gateway and the branch (both running tandemd, mirror images of each other), the engine
# group's state through `hactl --json show engines`, and the ESP sequence-number check on a
# capture. Sourced by lab.sh.

# Keys of the lab's manual SAs (AES-128-GCM: 16 key bytes + 4 salt bytes, hex).
LAB_MANUAL_KEY_GW=${LAB_MANUAL_KEY_GW:-6c61622d67772d746f2d6272616e63682d6b6579}
LAB_MANUAL_KEY_BR=${LAB_MANUAL_KEY_BR:-6c61622d6272616e63682d746f2d67772d6b6579}
LAB_MANUAL_SPI_GW=${LAB_MANUAL_SPI_GW:-4097} # gateway -> branch
LAB_MANUAL_SPI_BR=${LAB_MANUAL_SPI_BR:-4098} # branch -> gateway

# lab_tandem_manual_conf FILE --side gwK|br [--peer gwK] [--cost N] [--group G]: a tandem
# configuration with one manual-key tunnel `branch` (seed 004 §8.3, §9.4) between gateway gwK
# (its own WAN address, not the VIP) and the branch (192.0.2.2). On gwK: TI-1 169.254.1.1/30
# and a route to the branch LAN via TI-1; on br (--peer names the gateway): TI-1 169.254.1.2/30
# and a route to the cluster LAN. Each side's `out` is the other's `in`.
lab_tandem_manual_conf() {
	local file=$1 side='' peer=gw1 cost=5 group=G1
	shift
	while [[ $# -gt 0 ]]; do
		case $1 in
		--side) side=$2; shift 2 ;;
		--peer) peer=$2; shift 2 ;;
		--cost) cost=$2; shift 2 ;;
		--group) group=$2; shift 2 ;;
		*) lab_err "lab_tandem_manual_conf: unknown option $1"; return 1 ;;
		esac
	done
	local local_a remote_a ti net spi_in spi_out key_in key_out
	case $side in
	br)
		local_a=$LAB_BR_WAN
		remote_a=$(lab_addr "$peer" wan) || return 1
		ti=169.254.1.2/30 net=$LAB_LAN_NET
		spi_in=$LAB_MANUAL_SPI_GW spi_out=$LAB_MANUAL_SPI_BR
		key_in=$LAB_MANUAL_KEY_GW key_out=$LAB_MANUAL_KEY_BR
		;;
	gw[1-9])
		local_a=$(lab_addr "$side" wan) || return 1
		remote_a=$LAB_BR_WAN
		ti=169.254.1.1/30 net=$LAB_BLAN_NET
		spi_in=$LAB_MANUAL_SPI_BR spi_out=$LAB_MANUAL_SPI_GW
		key_in=$LAB_MANUAL_KEY_BR key_out=$LAB_MANUAL_KEY_GW
		;;
	*)
		lab_err "lab_tandem_manual_conf: --side gwK or br"
		return 1
		;;
	esac
	cat >"$file" <<CONF
! tandem lab: manual-key tunnel, $side side
asp pool P1 service security
  asp 1/1
asp group $group
  pool P1
ipsec security-association branch-sa
  in
    esp spi $spi_in
    esp encryption aes-128-gcm key hex $key_in
  out
    esp spi $spi_out
    esp encryption aes-128-gcm key hex $key_out
context local
  asp-group $group service security
  interface wan loopback
    ip address $local_a/32
  interface TI-1 ipsec
    ip address $ti
  ip route $net TI-1 cost $cost
tunnel ipsec branch manual
  peer-end-point local $local_a remote $remote_a
  bind interface TI-1
  seq 10 security-association branch-sa
CONF
}

# lab_engine_json NODE: `hactl --json show engines` on NODE.
lab_engine_json() {
	lab_hactl "$1" --json show engines
}

# lab_engine_field NODE FIELD [GROUP_INDEX]: one field of an engine group (state, pid,
# restarts, last_failure, last_failure_detect_ms, ...).
lab_engine_field() {
	lab_engine_json "$1" | jq -r ".groups[${3:-0}].$2"
}

# lab_engine_pid NODE: pid of NODE's (first) engine; fails when none runs.
lab_engine_pid() {
	local pid
	pid=$(lab_engine_field "$1" pid) || return 1
	[[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
	printf '%s\n' "$pid"
}

lab__engine_is_up() {
	local node=$1 min=$2 j
	j=$(lab_engine_json "$node" 2>/dev/null) || return 1
	jq -e --argjson m "$min" '(.groups | length) > 0 and
		all(.groups[]; .state == "up" and .restarts >= $m)' <<<"$j" >/dev/null
}

# lab_engine_wait_up NODE T [MIN_RESTARTS]: wait (at most T s) until every engine group of
# NODE is up, with at least MIN_RESTARTS restarts behind it. LAB_WAIT_MS = time taken.
lab_engine_wait_up() {
	local node=$1 t=$2 min=${3:-0} t0
	t0=$(lab_now_ms)
	lab_wait_until "$t" lab__engine_is_up "$node" "$min" || return 1
	LAB_WAIT_MS=$(($(lab_now_ms) - t0))
}

# lab_tandemd_log_ms NODE PATTERN: time of day (ms) of the first tandemd log line on NODE
# matching PATTERN (grep -E), from its "HH:MM:SS.mmm" stamp; fails when none matches.
lab_tandemd_log_ms() {
	local line ts h m s ms
	line=$(grep -E -m1 -- "$2" "$(lab_node_dir "$1")/tandemd.log") || return 1
	ts=${line%% *}
	IFS=:. read -r h m s ms <<<"$ts"
	printf '%s\n' $(((10#$h * 3600 + 10#$m * 60 + 10#$s) * 1000 + 10#$ms))
}

# lab_clock_ms_of_day: now, as milliseconds since local midnight (tandemd's log stamps).
lab_clock_ms_of_day() {
	local h m s ns
	IFS=:. read -r h m s ns <<<"$(date +%H:%M:%S.%N)"
	printf '%s\n' $(((10#$h * 3600 + 10#$m * 60 + 10#$s) * 1000 + 10#${ns:0:3}))
}

# lab_esp_seq_check PCAP: reads ESP in UDP 4500 from a capture (tshark) and prints
# "PACKETS SPIS DUPLICATES"; DUPLICATES counts (SPI, sequence number) pairs seen twice.
lab_esp_seq_check() {
	local pcap=$1 pairs
	pairs=$(tshark -r "$pcap" -n -d udp.port==4500,udpencap -Y esp -T fields \
		-e esp.spi -e esp.sequence -e frame.time_relative 2>/dev/null) || return 1
	# the first five pairs sent twice go to stderr (the test's log), with when each was seen
	awk 'NF == 3 { n++; k = $1 " " $2; if (!($1 in spis)) { spis[$1] = 1; s++ }
		if (seen[k]++ == 1) { d++
			if (d <= 5) printf "duplicated (SPI, seq) %s %s: sent at +%s s and again at +%s s\n",
				$1, $2, first[k], $3 > "/dev/stderr" }
		else if (!(k in first)) first[k] = $3 }
		END { printf "%d %d %d\n", n, s, d }' <<<"$pairs"
}
