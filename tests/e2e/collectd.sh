#!/bin/bash
# The real collectd (Debian collectd-core 5.12) loads ctscope.so, reads a
# namespace this test filled, and the stock rrdtool and write_graphite
# plugins store what it dispatches: RRD files, and whisper files of a real
# carbon-cache (Debian graphite-carbon) listening on a test port. Checks the
# RRD against the kernel's count, that Graphite got tcp_state established
# and the hot destination under their documented names, and that collectd
# accepts the example config.
source "$(dirname "$0")/../lib.sh" || exit 1
source "$CTSCOPE_SRC/tests/e2e/collectd_lib.sh" || exit 1
ct_need_root
cd_require rrdtool carbon-cache whisper-fetch
cd_workdir collectd

ct_netns collectd
cd_fill "$CT_NS"
count=$(ct_count "$CT_NS")
established=$(ip netns exec "$CT_NS" conntrack -L -p tcp --state ESTABLISHED 2>/dev/null | wc -l)
hot=$(ip netns exec "$CT_NS" conntrack -L -p tcp -d 192.0.2.80 --dport 8443 2>/dev/null | wc -l)
ct_log "namespace $CT_NS: $count entries, $established established, $hot to tcp 192.0.2.80:8443"
[ "$count" -gt 3000 ] && [ "$hot" -eq 2500 ] || ct_fail "the namespace was not filled as asked"

# ---- carbon-cache on its own ports and storage ---------------------------
line_port=$(cd_free_port) pickle_port=$(cd_free_port) query_port=$(cd_free_port)
mkdir -p "$W/carbon/conf" "$W/carbon/storage/whisper" "$W/carbon/log" "$W/carbon/run"
cat >"$W/carbon/conf/carbon.conf" <<EOF
[cache]
STORAGE_DIR = $W/carbon/storage/
LOCAL_DATA_DIR = $W/carbon/storage/whisper/
WHITELISTS_DIR = $W/carbon/storage/lists/
CONF_DIR = $W/carbon/conf/
LOG_DIR = $W/carbon/log/
PID_DIR = $W/carbon/run/
DATABASE = whisper
ENABLE_LOGROTATION = False
ENABLE_TAGS = False
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $line_port
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = $pickle_port
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = $query_port
WHISPER_AUTOFLUSH = True
LOG_CREATES = True
EOF
printf '[all]\npattern = .*\nretentions = 2s:1h\n' >"$W/carbon/conf/storage-schemas.conf"
carbon-cache --config="$W/carbon/conf/carbon.conf" --pidfile="$W/carbon/run/carbon.pid" \
	--logdir="$W/carbon/log" --nodaemon start >"$W/carbon.out" 2>&1 &
carbon_pid=$!
ct_on_exit "kill $carbon_pid; wait $carbon_pid"
for ((i = 0; i < 60; i++)); do
	cd_listening "$line_port" && break
	kill -0 $carbon_pid 2>/dev/null || { tail "$W/carbon.out"; ct_fail "carbon-cache exited"; }
	sleep 0.5
done
cd_listening "$line_port" || { tail "$W/carbon.out"; ct_fail "carbon-cache does not listen on 127.0.0.1:$line_port after 30 s"; }
ct_log "carbon-cache listens on 127.0.0.1:$line_port"

# ---- collectd -------------------------------------------------------------
cd_plugindir rrdtool write_graphite logfile
{
	cd_conf_head 2
	cat <<EOF
LoadPlugin rrdtool
<Plugin rrdtool>
	DataDir "$W/rrd"
</Plugin>
LoadPlugin write_graphite
<Plugin write_graphite>
	<Node "carbon">
		Host "127.0.0.1"
		Port "$line_port"
		Protocol "tcp"
		EscapeCharacter "_"
		SeparateInstances false
		AlwaysAppendDS false
	</Node>
</Plugin>
LoadPlugin ctscope
<Plugin ctscope>
	NetNS "$CT_NS"
	TopN 5
</Plugin>
EOF
} >"$W/collectd.conf"
cd_start

# The namespace name is already safe, so its label is the name itself.
rrd=$W/rrd/$CD_HOST/ctscope-$CT_NS/conntrack.rrd
rrd_last() { rrdtool lastupdate "$rrd" 2>/dev/null | awk -F': ' 'NF == 2 { v = $2 } END { print v }'; }
cd_wait 20 "RRD file $rrd" 'test -f "$rrd"'
cd_wait 10 "value in $rrd" 'test -n "$(rrd_last)"'
got=$(rrd_last)
cd_same "$got" "$count" ||
	ct_fail "$rrd holds $got, conntrack -C in $CT_NS says $count"
ct_log "rrd: $rrd last value $got = conntrack -C $count"
ls "$W/rrd/$CD_HOST/ctscope-$CT_NS-top_destination/conntrack-tcp-192_0_2_80-8443.rrd" >/dev/null ||
	ct_fail "no RRD file for the hot destination: $(ls "$W/rrd/$CD_HOST/ctscope-$CT_NS-top_destination" 2>&1)"

# ---- Graphite ------------------------------------------------------------
wsp=$W/carbon/storage/whisper/$CD_HOST
wsp_last() {
	whisper-fetch --from=$(($(date +%s) - 300)) "$1" 2>/dev/null | awk '$2 != "None" { v = $2 } END { print v }'
}
check_series() { # FILE WANT NAME
	local f=$wsp/$1.wsp
	want=$2
	cd_wait 20 "Graphite series $1" 'test -f "$f"'
	cd_wait 10 "value $2 in Graphite series $1" 'cd_same "$(wsp_last "$f")" "$want"'
	ct_log "graphite: $CD_HOST.$(echo "$1" | tr / .) = $(wsp_last "$f")"
}
check_series "ctscope-$CT_NS-tcp_state/conntrack-established" "$established"
check_series "ctscope-$CT_NS-top_destination/conntrack-tcp-192_0_2_80-8443" "$hot"
check_series "ctscope-$CT_NS-top_destination/conntrack-tcp-2001_db8__bc-5228" 300
check_series "ctscope-$CT_NS/conntrack" "$count"

# ---- hints as notifications (collectd's logfile plugin prints them) ------
note="Notification: severity = WARNING, host = $CD_HOST, plugin = ctscope, plugin_instance = $CT_NS, type = conntrack, type_instance = top_destination, message = tcp 192.0.2.80:8443 holds"
cd_wait 10 "the top-destination hint as a warning notification" 'grep -qF "$note" "$W/collectd.log"'
[ "$(grep -cF "type_instance = top_destination" "$W/collectd.log")" -eq 1 ] ||
	{ cd_show_logs; ct_fail "the top-destination hint was notified more than once while it stayed"; }
ip netns exec "$CT_NS" conntrack -D -p tcp -d 192.0.2.80 --dport 8443 >/dev/null 2>&1
okay="Notification: severity = OKAY, host = $CD_HOST, plugin = ctscope, plugin_instance = $CT_NS, type = conntrack, type_instance = top_destination, message = No longer: tcp 192.0.2.80:8443 holds"
cd_wait 10 "an okay notification once the hot destination is gone" 'grep -qF "$okay" "$W/collectd.log"'
count=$(ct_count "$CT_NS") # 2,500 fewer, for the example config below
ct_log "notifications from ctscope, the top-destination hint raised and cleared:"
grep -F 'Notification: ' "$W/collectd.log" | grep -F 'plugin = ctscope'


errors=$(grep -c '\[\(error\|warning\)\] ctscope' "$W/collectd.log")
[ "$errors" -eq 0 ] || { cd_show_logs; ct_fail "ctscope logged $errors problems on a healthy namespace"; }
cd_stop
grep -q 'Exiting normally' "$W/collectd.log" || { cd_show_logs; ct_fail "collectd did not shut down cleanly"; }

# ---- the example config ----------------------------------------------------
# collectd -t parses only; -T also runs init and every read once. Run inside
# the test namespace, the example's default (collectd's own namespace, no
# NetNS) reads the test's table, under the plain names of the stock plugin.
{
	cd_conf_head 2
	cat <<EOF
LoadPlugin csv
<Plugin csv>
	DataDir "$W/csv"
</Plugin>
Include "$CTSCOPE_SRC/collectd-plugin/ctscope.conf"
EOF
} >"$W/example.conf"
cp "$CD_STOCK_PLUGINS/csv.so" "$W/plugins/"
cd_collectd -t -C "$W/example.conf" >"$W/example.out" 2>&1 || { cat "$W/example.out"; ct_fail "collectd -t rejects the example config"; }
ip netns exec "$CT_NS" "${CD_ENV[@]}" collectd -T -C "$W/example.conf" >>"$W/example.out" 2>&1 ||
	{ cat "$W/example.out"; cd_show_logs; ct_fail "collectd -T fails with the example config"; }
csv=$(ls "$W/csv/$CD_HOST/ctscope/"conntrack-2* 2>/dev/null | head -n 1)
[ -n "$csv" ] || { cd_show_logs; ct_fail "collectd -T with the example config wrote no ctscope/conntrack values"; }
got=$(tail -n 1 "$csv" | cut -d, -f2)
cd_same "$got" "$count" || ct_fail "example config: ctscope/conntrack = $got, conntrack -C = $count"
ct_log "example config: collectd -t accepts it; -T in the namespace gives ctscope/conntrack = $got"
echo "PASS"
