#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Monitoring of a pair (issue 8, docs/monitoring.md): two tandem nodes over real corosync
# with the real strongSwan branch (the failover drill's topology, lib/lab-drill.sh), each
# with `metrics listen`. A `hactl --json monitor` on each node follows (a) a planned
# switchover gw1 -> gw2 and (b) kill -9 of the active tandemd (gw2): the node that takes over
# reports the role change and a failover event with its class (switchover, active_left) and
# the measured takeover time; its metrics count the failover by reason and give the last
# takeover time; both nodes report quorum, members and configuration-digest agreement, and
# `promtool check metrics` passes on the standby and on the active.
# Exit 0 pass, 1 fail, 77 when not root or without promtool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
# shellcheck source=lib/lab-drill.sh
source "$here/lib/lab-drill.sh"
[[ $(id -u) -eq 0 ]] || exit 77
command -v promtool >/dev/null || exit 77

# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"
MPORT=9531

lab_init
lab_topology_up 2
CONF=$LAB_DIR/cluster.conf
lab_drill_conf "$CONF" 2
# the same line on both nodes (it is part of the configuration digest); each node listens in
# its own namespace
printf 'metrics listen 0.0.0.0:%s\n' "$MPORT" >>"$CONF"
lab_corosync_start gw1 gw2
check "corosync: both nodes in one membership" lab_corosync_wait_members gw1 2 15
HACTL=$(lab__hactl)
role_is() { [[ "$(lab_drill_role "$1")" == "$2" ]]; }
in_sync() { [[ "$(lab_drill_hj "$1" show replication | jq -r '.in_sync')" == true ]]; }
standby_ready() { role_is "$1" standby && in_sync "$1"; }
scrape() { lab_exec_plain "$1" curl -sf --max-time 5 "http://127.0.0.1:$MPORT/metrics"; }
metric() { scrape "$1" | awk -v m="$2" '$1 == m { print $2 }'; }
metric_is() { [[ "$(metric "$1" "$2")" == "$3" ]]; }
monitor() { # monitor NODE: a JSON event stream of NODE into $LAB_DIR/monitor-NODE.json
	lab_spawn "mon-$1" "$1" "$LAB_DIR/monitor-$1.json" "$HACTL" --ctl "$(lab_tandemd_ctl "$1")" \
		--json monitor for 300
}
ev() { jq -e -s "$2" "$LAB_DIR/monitor-$1.json" >/dev/null 2>&1; }

lab_tandemd_start gw1 "$CONF"
monitor gw1
check "gw1 becomes active" lab_wait_until 15 role_is gw1 active
lab_tandemd_start gw2 "$CONF"
monitor gw2
check "gw2 becomes standby, in sync" lab_wait_until 15 standby_ready gw2
lab_drill_branch
lab_swanctl br --initiate --child tandem >/dev/null 2>&1 || true
established() { lab_drill_branch_spis >/dev/null; }
check "the branch establishes its SAs with the cluster" lab_wait_until 15 established

gw1_active_view() {
	metric_is gw1 'tandem_node_role{role="active"}' 1 && metric_is gw1 tandem_cluster_members 2 &&
		metric_is gw1 tandem_cluster_quorate 1 && metric_is gw1 tandem_cluster_config_digest_match 1
}
gw2_standby_view() {
	metric_is gw2 'tandem_node_role{role="standby"}' 1 && metric_is gw2 'tandem_ike_sas{state="standby"}' 1
}
check "gw1 metrics: role active, 2 members, quorate, digests agree" lab_wait_until 5 gw1_active_view
check "gw2 metrics: role standby, an IKE SA held in standby" lab_wait_until 5 gw2_standby_view
scrape gw2 >"$LAB_DIR/metrics-gw2-standby.txt"
check "promtool check metrics on the standby" promtool check metrics <"$LAB_DIR/metrics-gw2-standby.txt"

# --- (a) planned switchover gw1 -> gw2 --------------------------------------------------------
lab_hactl gw1 switchover --to gw2 >/dev/null
check "switchover: gw2 active" lab_wait_until 10 role_is gw2 active
check "switchover: gw1 stands by, in sync" lab_wait_until 10 standby_ready gw1
sleep 0.5
check "gw2 monitor: role standby -> active" \
	ev gw2 'any(.[]; .kind == "role" and .subject == "gw2" and .state == "active" and .detail == "standby -> active")'
check "gw2 monitor: failover of class switchover, with its takeover time" \
	ev gw2 'any(.[]; .kind == "failover" and .subject == "gw2" and .state == "switchover" and (.reason | test("switchover")))'
check "gw1 monitor: role active -> standby" \
	ev gw1 'any(.[]; .kind == "role" and .subject == "gw1" and .state == "standby" and .detail == "active -> standby")'
check "gw2 metrics: tandem_failovers_total{reason=\"switchover\"} 1" \
	metric_is gw2 'tandem_failovers_total{reason="switchover"}' 1
takeover_set() { [[ $(metric gw2 tandem_last_takeover_time_seconds | awk '{ print ($1 > 0) }') == 1 ]]; }
check "gw2 metrics: the last takeover time is set" takeover_set

# --- (b) kill -9 of the active tandemd (gw2); gw1 takes over -----------------------------------
lab_tandemd_kill gw2
check "kill -9 of gw2's tandemd: gw1 active" lab_wait_until 10 role_is gw1 active
sleep 0.5
check "gw1 monitor: failover of class active_left naming gw2, with its takeover time" \
	ev gw1 'any(.[]; .kind == "failover" and .subject == "gw1" and .state == "active_left" and (.reason | test("gw2")) and .duration_ms >= 0)'
check "gw1 log: the same failover event" grep -q 'event: failover gw1 active_left in [0-9]* ms' "$(lab_node_dir gw1)/tandemd.log"
scrape gw1 >"$LAB_DIR/metrics-gw1-after.txt"
check "gw1 metrics: tandem_failovers_total{reason=\"active_left\"} 1" \
	grep -q '^tandem_failovers_total{reason="active_left"} 1$' "$LAB_DIR/metrics-gw1-after.txt"
check "gw1 metrics: 1 member left" grep -q '^tandem_cluster_members 1$' "$LAB_DIR/metrics-gw1-after.txt"
check "promtool check metrics on the new active" promtool check metrics <"$LAB_DIR/metrics-gw1-after.txt"
jq -c -s '.[] | select(.kind == "role" or .kind == "failover") | {kind, subject, state, detail, duration_ms, reason}' \
	"$LAB_DIR/monitor-gw1.json" | sed 's/^/    gw1: /' >&3

lab_stop mon-gw1
lab_down
printf 'monitor failover: %d failure(s)\n' "$fails" >&3
[[ $fails -eq 0 ]]
