# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# What the deploy tests (test_deploy.sh: a pair and its arbiter; test_deploy_three.sh: three
# nodes) share: the lab's libraries and the nspawn nodes (sourced here), the package, the
# playbook runner, and the cluster's state read from inside the nodes with hactl --json and
# corosync's tools. The test sets root (the repository) before sourcing it, NODES (its
# gateway containers) after.
deploy__lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../lab/lib/lab.sh
source "$deploy__lib/../../lab/lib/lab.sh"
# shellcheck source=../../lab/lib/lab-drill.sh
source "$deploy__lib/../../lab/lib/lab-drill.sh"
# shellcheck source=../../lab/lib/lab-check.sh
source "$deploy__lib/../../lab/lib/lab-check.sh"
# shellcheck source=deploy-nspawn.sh
source "$deploy__lib/deploy-nspawn.sh"

die() {
	fail "$*"
	printf '%d failure(s)\n' "$fails" >&3
	exit 1
}

# deploy_package: DEB = TANDEM_DEB, or a package built by cpack in TANDEM_BUILD_DIR (build/).
deploy_package() {
	DEB=${TANDEM_DEB:-}
	if [[ -z "$DEB" ]]; then
		local bld=${TANDEM_BUILD_DIR:-$root/build}
		(cd "$bld" && cpack -G DEB >"$bld/cpack.log" 2>&1) || die "cpack -G DEB in $bld"
		DEB=$(ls -t "$bld"/tandem_*_*.deb | head -1)
	fi
	[[ -r "$DEB" ]] || die "no package $DEB"
	export TANDEM_DEB=$DEB
}

# deploy_boot NODES...: prepare and boot each container.
deploy_boot() {
	local n t=$SECONDS
	for n in "$@"; do
		deploy_node_prepare "$n" || die "prepare $n"
		deploy_node_boot "$n" || die "boot $n"
	done
	pass "$# containers ($*) booted their systemd in $((SECONDS - t)) s"
}

# play NAME PLAYBOOK [args]: run the playbook against $INV/hosts.yml, log it to
# $LAB_DIR/play-NAME.log, set CHANGED to the recap's changed= total; its exit status.
play() {
	local name=$1 pb=$2
	shift 2
	ANSIBLE_CONFIG=$root/ansible/ansible.cfg ANSIBLE_NOCOLOR=1 \
		ansible-playbook -i "$INV/hosts.yml" "$root/ansible/$pb" "$@" \
		>"$LAB_DIR/play-$name.log" 2>&1
	local rc=$?
	CHANGED=$(awk '/PLAY RECAP/ {r = 1} r && /changed=/ {sub(/.*changed=/, ""); s += $1} END {print s + 0}' \
		"$LAB_DIR/play-$name.log")
	if ((rc != 0)); then
		tail -30 "$LAB_DIR/play-$name.log" >&3
	fi
	return $rc
}

# play_idempotent NAME: the run NAME changed nothing; otherwise says which tasks changed on which
# host (from its log), so a failure tells what was not idempotent.
play_idempotent() {
	((CHANGED == 0)) && return 0
	awk '/^TASK \[|^RUNNING HANDLER \[/ {t = $0; sub(/ \*+$/, "", t)}
		/^changed: \[/ {h = $0; sub(/^changed: /, "", h); sub(/\].*/, "]", h); print "    " t ": " h}' "$LAB_DIR/play-$1.log" >&3
	return 1
}

# members NODE COUNT: NODE's corosync counts COUNT joined members.
members() {
	[[ $(deploy_exec "$1" corosync-cmapctl -b runtime.members 2>/dev/null |
		grep -c 'status (str) = joined') -eq $2 ]]
}
crypto() {
	deploy_exec "$1" corosync-cmapctl -g totem.crypto_cipher 2>/dev/null | grep -q aes256 &&
		deploy_exec "$1" corosync-cmapctl -g totem.crypto_hash 2>/dev/null | grep -q sha256
}

hj() { deploy_exec "$1" hactl --json "${@:2}" 2>/dev/null; }
role() { hj "$1" status | jq -r '.role // "down"' 2>/dev/null || echo down; }
# active / vips: the nodes (of NODES) that are active / hold the WAN VIP, comma-separated.
active() {
	local n out=''
	for n in "${NODES[@]}"; do [[ $(role "$n") == active ]] && out+=${out:+,}$n; done
	printf '%s\n' "$out"
}
vips() {
	local n out=''
	for n in "${NODES[@]}"; do
		deploy_exec "$n" ip -4 -o addr show dev wan0 2>/dev/null | grep -q " $LAB_WAN_VIP/" &&
			out+=${out:+,}$n
	done
	printf '%s\n' "$out"
}
one_active() { [[ $(active) =~ ^gw[0-9]$ && $(vips) == "$(active)" ]]; }
mainpids() {
	local n
	for n in "${NODES[@]}"; do deploy_exec "$n" systemctl show -P MainPID tandemd; done | tr '\n' ' '
}

deploy__established() { lab_drill_branch_spis >/dev/null; }

# deploy_branch_up: the branch initiates its tunnel to the cluster; SPIS0 = its SPIs.
deploy_branch_up() {
	lab_drill_branch || die "branch"
	lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
	check "the branch establishes its tunnel to the cluster" lab_wait_until 20 deploy__established
	SPIS0=$(lab_drill_branch_spis)
	check "hc reaches hb through the tunnel" lab_exec_plain hc ping -q -c 3 -i 0.2 -W 2 "$LAB_HB_ADDR"
}

# deploy_kill_active [node|tandemd]: with pings flowing, kill the active node's container
# PID 1 (the whole node: corosync, tandemd and engines at once; NODES loses it) or only its
# tandemd (SIGKILL; systemd restarts it, it comes back as a standby); check that another node
# takes the role and the VIP, traffic flows again and the branch keeps its SPIs. KILLED = the
# node whose active went.
deploy_kill_active() {
	local what=${1:-node} tk gap lost sent n rest=()
	KILLED=$(active)
	lab_drill_traffic_start kill
	sleep 1
	tk=$(date +%s.%N)
	if [[ $what == node ]]; then
		deploy_node_kill "$KILLED"
		for n in "${NODES[@]}"; do [[ $n == "$KILLED" ]] || rest+=("$n"); done
		NODES=("${rest[@]}")
	else
		deploy_exec "$KILLED" systemctl kill -s KILL tandemd
	fi
	sleep 4
	lab_drill_traffic_stop kill
	read -r gap lost sent < <(lab_drill_gap kill "$tk" 10)
	check "$what on $KILLED killed: $(active) is active and alone holds the VIP" one_active
	check "$what on $KILLED killed: the active moved" test "$(active)" != "$KILLED"
	check "traffic flows again through $(active)" \
		lab_exec_plain hc ping -q -c 3 -i 0.2 -W 2 "$LAB_HB_ADDR"
	check "the branch kept its SPIs" test "$(lab_drill_branch_spis)" = "$SPIS0"
	pass "$what loss on $KILLED: traffic gap ${gap} ms, ${lost}/${sent} lost"
}
