#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Monitoring (issue 8, docs/monitoring.md) with one tandem node and the real strongSwan
# branch, on test_routes_cost.sh's topology (Tun-1 cost 5 preferred, Tun-2 cost 10 backup):
#  - `metrics listen` serves the Prometheus text format; `promtool check metrics` passes on
#    a scrape; a real Prometheus server (Debian's `prometheus`, in gw1's namespace, its
#    configuration and data in $LAB_DIR) scrapes the node and the test reads the tunnels'
#    state and the engine restart back through its HTTP query API (/api/v1/query);
#  - `hactl monitor` (text and --json) sees the events of an engine kill: engine down/up and
#    the prefix moving to the backup tunnel and back, with the reason; the log has the same;
#  - `hactl show redundancy` names the preferred and backup tunnels, the carrier and why the
#    last switch happened.
# Every process is started with lab_spawn and stopped by PID. Exit 0 pass, 1 fail, 77 when
# not root or when promtool/prometheus are missing (scripts/deps.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/lab.sh
source "$here/lib/lab.sh"
[[ $(id -u) -eq 0 ]] || exit 77
command -v promtool >/dev/null && command -v prometheus >/dev/null || {
	echo "SKIP: promtool/prometheus missing (Debian package prometheus)" >&2
	exit 77
}

# shellcheck source=lib/lab-check.sh
source "$here/lib/lab-check.sh"
# shellcheck source=lib/lab-seed16.sh
source "$here/lib/lab-seed16.sh"

lab_init
lab_topology_up 1
CONF=$LAB_DIR/gw1.conf
SW=$LAB_DIR/br/swanctl
LOG=$(lab_node_dir gw1)/tandemd.log
PSK=tandem-lab-psk-0123456789
MPORT=9531
PPORT=9090

# --- tandem and the branch: seed 004 Example 16 with the lab's addresses (lib/lab-seed16.sh)
lab_seed16_conf "$CONF" "$PSK" "metrics listen 127.0.0.1:$MPORT"
lab_seed16_branch "$SW" "$PSK"

lab_charon_start br "$SW"

HACTL=$(lab__hactl)
CTL=$(lab_tandemd_ctl gw1)
tandem() { "$HACTL" --ctl "$CTL" "$@"; }
scrape() { lab_exec_plain gw1 curl -sf --max-time 5 "http://127.0.0.1:$MPORT/metrics"; }
metric() { # metric 'NAME{LABELS}': its value in a fresh scrape
	scrape | awk -v m="$1" '$1 == m { print $2 }'
}

lab_tandemd_start gw1 "$CONF" --log-level debug
# the event stream from the start: text and JSON, bounded by `for`
lab_spawn mon-text gw1 "$LAB_DIR/monitor.txt" "$HACTL" --ctl "$CTL" monitor for 120
lab_spawn mon-json gw1 "$LAB_DIR/monitor.json" "$HACTL" --ctl "$CTL" --json monitor for 120

scrape_ok() { scrape >/dev/null; }
check "the endpoint answers on 127.0.0.1:$MPORT" lab_wait_until 5 scrape_ok
check "log: endpoint started" grep -q "metrics endpoint: http://127.0.0.1:$MPORT/metrics" "$LOG"

lab_swanctl br --initiate --child tun1 >/dev/null 2>&1 || true
lab_swanctl br --initiate --child tun2 >/dev/null 2>&1 || true
both_up() { [[ $(metric 'tandem_tunnel_up{tunnel="Tun-1"}') == 1 && $(metric 'tandem_tunnel_up{tunnel="Tun-2"}') == 1 ]]; }
check "both tunnels up (tandem_tunnel_up)" lab_wait_until 20 both_up
both_installed() {
	[[ $(metric 'tandem_route_carrier{prefix="'"$LAB_BLAN_NET"'",context="C1",interface="TI-1",tunnel="Tun-1"}') == 1 ]]
}
check "Tun-1 carries $LAB_BLAN_NET (tandem_route_carrier)" lab_wait_until 10 both_installed
lab_exec_plain hc ping -q -c 5 -i 0.1 -W 2 "$LAB_HB_ADDR" >/dev/null || true
sleep 1.5 # the engines report SA counters every second
scrape >"$LAB_DIR/metrics-1.txt"
check "promtool check metrics passes on a scrape" promtool check metrics <"$LAB_DIR/metrics-1.txt"
has() { grep -qE "$1" "$LAB_DIR/metrics-1.txt"; }
check "metrics: node role and quorum" has '^tandem_node_role\{role="standalone"\} 1$'
check "metrics: configuration-digest agreement" has '^tandem_cluster_config_digest_match 1$'
check "metrics: Tun-1 preferred and Tun-2 backup for one prefix each" \
	bash -c "grep -q '^tandem_tunnel_prefixes{tunnel=\"Tun-1\",role=\"preferred\"} 1$' '$LAB_DIR/metrics-1.txt' && grep -q '^tandem_tunnel_prefixes{tunnel=\"Tun-2\",role=\"backup\"} 1$' '$LAB_DIR/metrics-1.txt'"
check "metrics: route costs 5 and 10" \
	bash -c "grep -q '^tandem_route_cost{.*tunnel=\"Tun-1\"} 5$' '$LAB_DIR/metrics-1.txt' && grep -q '^tandem_route_cost{.*tunnel=\"Tun-2\"} 10$' '$LAB_DIR/metrics-1.txt'"
check "metrics: 2 established IKE SAs" has '^tandem_ike_sas\{state="established"\} 2$'
check "metrics: ESP packets per SA and direction, Tun-1 outbound > 0" \
	bash -c "awk '/^tandem_esp_packets_total\\{tunnel=\"Tun-1\".*direction=\"out\"/ && \$2 > 0 { f = 1 } END { exit !f }' '$LAB_DIR/metrics-1.txt'"
check "metrics: drops by reason (replay, auth, ...)" has '^tandem_esp_dropped_packets_total\{group="G1",reason="[a-z_]+"\} [0-9]+$'
check "metrics: sequence lease of Tun-1's outbound SA" has '^tandem_esp_sequence_lease_limit\{tunnel="Tun-1",spi="[0-9a-f]{8}"\} [1-9][0-9]*$'
check "metrics: engine restarts" has '^tandem_engine_restarts_total\{group="G1"\} 0$'

# --- a real Prometheus server scrapes the node -----------------------------------------------
PROM=$LAB_DIR/prometheus
mkdir -p "$PROM/data"
cat >"$PROM/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tandem
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
        labels: {node: gw1}
YML
check "promtool check config" promtool check config "$PROM/prometheus.yml" >/dev/null
lab_spawn prometheus gw1 "$PROM/prometheus.log" prometheus --config.file="$PROM/prometheus.yml" \
	--storage.tsdb.path="$PROM/data" --web.listen-address="127.0.0.1:$PPORT" \
	--storage.tsdb.retention.time=1h
promq() { # promq QUERY: the first result's value, via Prometheus's HTTP API
	lab_exec_plain gw1 curl -sf --max-time 3 -G "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'
}
prom_is() { [[ $(promq "$1") == "$2" ]]; }
check "Prometheus: target tandem is up" lab_wait_until 30 prom_is 'up{job="tandem"}' 1
check "Prometheus: tandem_tunnel_up{tunnel=\"Tun-1\"} is 1" \
	lab_wait_until 10 prom_is 'tandem_tunnel_up{job="tandem",tunnel="Tun-1"}' 1
check "Prometheus: carrier of $LAB_BLAN_NET is Tun-1" \
	lab_wait_until 5 prom_is 'sum by (tunnel) (tandem_route_carrier{prefix="'"$LAB_BLAN_NET"'",tunnel="Tun-1"})' 1

# --- clear Tun-2's IKE SA (backup tunnel): SA and tunnel events while the monitors watch ------
tandem clear ike sa tunnel Tun-2 >/dev/null
sleep 0.5
check "Tun-2 renegotiated after clear ike sa" lab_wait_until 20 both_up

# --- kill -9 of G1's engine: events, redundancy, metrics --------------------------------------
g1pid=$(tandem --json show engines | jq -r '.groups[] | select(.group == "G1") | .pid')
kill -9 "$g1pid"
g1_back() {
	tandem --json show engines | jq -e --argjson old "$g1pid" '.groups[] | select(.group == "G1") | .state == "up" and .pid != $old' >/dev/null
}
check "G1's engine restarted" lab_wait_until 5 g1_back
check "Tun-1's route is back" lab_wait_until 5 both_installed
check "Prometheus: tandem_engine_restarts_total{group=\"G1\"} is 1" \
	lab_wait_until 10 prom_is 'tandem_engine_restarts_total{job="tandem",group="G1"}' 1
sleep 1
scrape >"$LAB_DIR/metrics-2.txt"
check "promtool check metrics passes after the kill" promtool check metrics <"$LAB_DIR/metrics-2.txt"
check "metrics: engine and route events counted" \
	bash -c "grep -qE '^tandem_events_total\\{kind=\"engine\"\\} [2-9]' '$LAB_DIR/metrics-2.txt' && grep -qE '^tandem_events_total\\{kind=\"route\"\\} [2-9]' '$LAB_DIR/metrics-2.txt'"

ev() { jq -e -s "$1" "$LAB_DIR/monitor.json" >/dev/null 2>&1; }
check "monitor --json: subscribed" ev 'any(.[]; .kind == "subscribed")'
check "monitor --json: tunnel Tun-2 down, then up" \
	ev '[.[] | select(.kind == "tunnel" and .subject == "Tun-2") | .state] | index("down") != null and (last == "up")'
check "monitor --json: Tun-2's IKE SA deleted and established again" \
	ev '[.[] | select(.kind == "ike-sa" and .subject == "Tun-2") | .state] | index("deleted") != null and (last == "established")'
check "monitor --json: engine G1 down (exited)" ev 'any(.[]; .kind == "engine" and .subject == "G1" and .state == "down" and (.reason | startswith("exited")))'
check "monitor --json: engine G1 up again (restarted)" ev 'any(.[]; .kind == "engine" and .subject == "G1" and .state == "up" and .reason == "restarted")'
check "monitor --json: $LAB_BLAN_NET moved to the backup with the reason" \
	ev 'any(.[]; .kind == "route" and .subject == "'"$LAB_BLAN_NET"'" and .state == "backup" and .detail == "from Tun-1 to Tun-2" and (.reason | test("engine G1 is down")))'
check "monitor --json: $LAB_BLAN_NET back on the preferred tunnel" \
	ev '[.[] | select(.kind == "route" and .subject == "'"$LAB_BLAN_NET"'")] | last | .state == "preferred" and .detail == "from Tun-2 to Tun-1"'
check "monitor --json: sequence numbers increase" ev '[.[] | select(.kind != "subscribed") | .seq] | . == sort and length > 3'
check "monitor (text): the engine events" \
	bash -c "grep -q 'engine   G1 down' '$LAB_DIR/monitor.txt' && grep -q 'engine   G1 up' '$LAB_DIR/monitor.txt'"
check "log: the same events" \
	bash -c "grep -q 'event: engine G1 down' '$LOG' && grep -q 'event: route $LAB_BLAN_NET backup (from Tun-1 to Tun-2)' '$LOG'"

tandem --json show redundancy >"$LAB_DIR/redundancy.json"
tandem show redundancy >"$LAB_DIR/redundancy.txt"
check "show redundancy: Tun-1 preferred, Tun-2 backup, Tun-1 carries" \
	jq -e '.prefixes[0] | .preferred == "Tun-1" and .backups == ["Tun-2"] and .carrier == "Tun-1" and (.on_backup | not) and .since_unix > 0' "$LAB_DIR/redundancy.json" >/dev/null
check "show redundancy: why the last switch happened (engine G1 up)" \
	jq -e '.prefixes[0].last_switch_reason | test("engine G1 up")' "$LAB_DIR/redundancy.json" >/dev/null
sed 's/^/    /' "$LAB_DIR/redundancy.txt" >&3

lab_stop prometheus
lab_stop mon-text
lab_stop mon-json
if ((fails)); then
	printf '%d check(s) failed; state in %s\n' "$fails" "$LAB_DIR" >&3
	exit 1
fi
printf 'all checks passed\n' >&3
