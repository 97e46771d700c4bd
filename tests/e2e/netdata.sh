#!/bin/bash
# The real netdata (Debian netdata-core 1.37) runs the built ctscope.plugin,
# put into its plugins.d by `make install-netdata` (DESTDIR), as user netdata, with
# `command options = --netns NS`, NS a namespace this test filled: 2,500 of
# ~3,400 entries to one destination. Through netdata's HTTP API the test
# checks that ctscope_NS.entries equals conntrack -C, that top_destinations
# has the hot destination (and an IPv6 one, spelled [addr]:port), that the
# ctscope alarms are attached to the ctscope charts, that the one-destination
# alarm is raised and the fill alarm is not; then that netdata's stop ends
# the plugin (no process left, no zombie) with no error spam in error.log.
# A second namespace, SMALL, holds 40 entries all to one destination: its
# own charts, and its one-destination alarm stays clear (the alarm reads
# each namespace's own entry count, and 40 is below its 1,000 minimum).
# A third, LONG, sets nf_conntrack_tcp_timeout_established to 432000 and
# holds 2,000 ESTABLISHED entries with more than a day left, each to its own
# destination, and 1,000 UDP entries that never saw a reply: its hints chart
# says long_established and udp_unreplied, and the alarms on both are raised.
source "$(dirname "$0")/../lib.sh" || exit 1
source "$CTSCOPE_SRC/tests/e2e/netdata_lib.sh" || exit 1
ct_need_root
nd_require
nd_workdir netdata
started=$(date +%s)

ct_netns nd
"$CTINJECT" --netns "$CT_NS" -q <<'EOF' || ct_fail "ctinject could not fill namespace $CT_NS"
proto=tcp src=10.1.0.1 dst=192.0.2.80 sport=1024 dport=8443 state=established timeout=7200 flags=assured,seen_reply count=2500 vary=sport
proto=tcp src=10.1.0.2 dst=198.51.100.1 sport=40000 dport=80 state=time_wait timeout=7200 flags=assured,seen_reply count=400 vary=dst
proto=udp src=10.1.0.3 dst=203.0.113.1 sport=5353 dport=53 timeout=7200 count=200 vary=dst
proto=tcp src=2001:db8::1 dst=2001:db8::bc sport=2000 dport=5228 state=established timeout=7200 flags=assured,seen_reply count=300 vary=sport
EOF
count=$(ct_count "$CT_NS")
[ "$count" -eq 3400 ] || ct_fail "namespace $CT_NS holds $count entries after injecting 3,400"
ct_log "namespace $CT_NS: $count entries, 2,500 to tcp 192.0.2.80:8443, 300 to tcp [2001:db8::bc]:5228"

big=$CT_NS
ct_netns ndsmall
small=$CT_NS CT_NS=$big
"$CTINJECT" --netns "$small" -q <<<'proto=udp src=10.5.0.1 dst=192.0.2.53 sport=1000 dport=53 timeout=7200 count=40 vary=sport' ||
	ct_fail "ctinject could not fill namespace $small"

ct_netns ndlong
long=$CT_NS CT_NS=$big
ip netns exec "$long" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=432000 ||
	ct_fail "cannot set nf_conntrack_tcp_timeout_established in $long"
"$CTINJECT" --netns "$long" -q <<<'proto=tcp src=10.6.0.1 dst=198.51.100.0 sport=40000 dport=443 state=established flags=assured,seen_reply timeout=200000 count=2000 vary=dst' ||
	ct_fail "ctinject could not fill namespace $long"
# a third of the table UDP never answered: the udp_unreplied hint (>= 25%, >= 1,000)
"$CTINJECT" --netns "$long" -q <<<'proto=udp src=10.6.0.2 dst=203.0.113.0 sport=5000 dport=5060 timeout=7200 count=1000 vary=dst' ||
	ct_fail "ctinject could not add UDP entries to namespace $long"

nd_make_install
nd_conf "$(nd_free_port)" "--netns $CT_NS --netns $small --netns $long --top 5"
nd_start
ct_log "netdata $(netdata -V 2>&1 | head -n 1) answers on 127.0.0.1:$ND_PORT"

type=ctscope_$CT_NS # the name is already a safe label
nd_wait 20 "chart $type.entries in netdata" 'nd_api "/api/v1/chart?chart=$type.entries" >/dev/null'
run_as=$(ps -o user= -p "$(nd_plugin_pids | head -n 1)" 2>/dev/null)
[ "$run_as" = netdata ] || ct_fail "the plugin runs as '$run_as', not as user netdata"

# ---- the numbers ----------------------------------------------------------
nd_wait 10 "entries = $count in $type.entries" '[ "$(nd_last_value "$type.entries" entries)" = "$count" ]'
ct_log "$type.entries: entries = $(nd_last_value "$type.entries" entries), conntrack -C = $count"

dims() {
	nd_api "/api/v1/chart?chart=$type.top_destinations" |
		python3 -c 'import json, sys; [print(k, v["name"]) for k, v in json.load(sys.stdin)["dimensions"].items()]'
}
nd_wait 10 "hot destination in $type.top_destinations" 'dims | grep -x "tcp_192_0_2_80_8443 tcp 192.0.2.80:8443" >/dev/null'
dims | grep -x "tcp_2001_db8__bc_5228 tcp \[2001:db8::bc\]:5228" >/dev/null ||
	ct_fail "no IPv6 destination dimension named 'tcp [2001:db8::bc]:5228': $(dims | tr '\n' ';')"
hot=$(nd_last_value "$type.top_destinations" tcp_192_0_2_80_8443)
[ "$hot" = 2500 ] || ct_fail "top_destinations says $hot entries to tcp 192.0.2.80:8443, injected 2500"
# the hints: one destination holds 2,500 of 3,400 entries, nothing else applies
nd_wait 10 "top_destination = 1 in $type.hints" '[ "$(nd_last_value "$type.hints" top_destination)" = 1 ]'
for k in fill long_established udp_unreplied insert_failed drop early_drop; do
	v=$(nd_last_value "$type.hints" "$k")
	[ "$v" = 0 ] || ct_fail "$type.hints says $k = '$v' in a quiet, 1%-full namespace"
done
ct_log "$type.hints: top_destination = 1, the others 0"
ct_log "$type.top_destinations: $(dims | wc -l) dimensions, tcp 192.0.2.80:8443 = $hot"
state=$(nd_last_value "$type.tcp_states" established)
[ "$state" = 2800 ] || ct_fail "tcp_states says $state established, injected 2,800"

# A new destination enters the top 5: it gets a dimension, the one it
# pushed out is made obsolete, which netdata leaves out of the chart's
# dimension list, so the chart keeps 5.
before=$(dims | cut -d' ' -f1 | sort)
"$CTINJECT" --netns "$CT_NS" -q <<<'proto=tcp src=10.1.0.9 dst=192.0.2.90 sport=3000 dport=9000 state=established timeout=7200 flags=assured,seen_reply count=100 vary=sport' ||
	ct_fail "ctinject could not add the new destination"
count=$((count + 100))
nd_wait 10 "dimension for the new destination tcp 192.0.2.90:9000" 'dims | grep -x "tcp_192_0_2_90_9000 tcp 192.0.2.90:9000" >/dev/null'
nd_wait 5 "5 live dimensions in top_destinations" '[ "$(dims | wc -l)" -eq 5 ]'
gone=$(comm -23 <(echo "$before") <(dims | cut -d' ' -f1 | sort))
[ "$(echo "$gone" | wc -w)" -eq 1 ] || ct_fail "expected one destination to leave the top 5, left: '$gone'"
ct_log "churn: tcp 192.0.2.90:9000 entered the top 5, $gone left it (obsolete)"

# ---- alarms ---------------------------------------------------------------
# netdata links templates to a new chart about 10 s after it appears, and an
# alarm stays UNINITIALIZED until its lookup window has data.
alarm_status() { # CHART ALARM: the alarm's status, "" when not attached
	nd_api "/api/v1/alarms?all" | python3 -c '
import json, sys
a = json.load(sys.stdin)["alarms"].get(sys.argv[1] + "." + sys.argv[2])
print(a["status"] if a else "")' "$1" "$2"
}
for pair in fill:ctscope_conntrack_fill stats:ctscope_conntrack_insert_failed stats:ctscope_conntrack_drop \
	top_share:ctscope_conntrack_top_destination hints:ctscope_conntrack_long_established \
	hints:ctscope_conntrack_udp_unreplied hints:ctscope_conntrack_buckets; do
	chart=$type.${pair%%:*} alarm=${pair#*:}
	nd_wait 30 "alarm $alarm on $chart" '[ -n "$(alarm_status "$chart" "$alarm")" ]'
done
ct_log "alarms attached: $(nd_api "/api/v1/alarms?all" | python3 -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin)["alarms"])))')"
nd_wait 50 "WARNING or CRITICAL from ctscope_conntrack_top_destination (2,500 of 3,400 entries to one destination)" \
	'case $(alarm_status "$type.top_share" ctscope_conntrack_top_destination) in WARNING | CRITICAL) true ;; *) false ;; esac'
ct_log "$type.top_share.ctscope_conntrack_top_destination: $(alarm_status "$type.top_share" ctscope_conntrack_top_destination)"
small_share=$(alarm_status "ctscope_$small.top_share" ctscope_conntrack_top_destination)
[ "$small_share" = CLEAR ] ||
	ct_fail "ctscope_conntrack_top_destination is '$small_share' on $small, 40 entries (below the 1,000 minimum)"
small_entries=$(nd_last_value "ctscope_$small.entries" entries)
[ "$small_entries" = 40 ] || ct_fail "ctscope_$small.entries says '$small_entries', injected 40"
ct_log "ctscope_$small: entries = 40, one destination holds all of them, ctscope_conntrack_top_destination CLEAR"
nd_wait 10 "long_established = 1 in ctscope_$long.hints" '[ "$(nd_last_value "ctscope_$long.hints" long_established)" = 1 ]'
nd_wait 50 "WARNING from ctscope_conntrack_long_established on $long (2,000 entries, all with days left)" \
	'[ "$(alarm_status "ctscope_$long.hints" ctscope_conntrack_long_established)" = WARNING ]'
ct_log "ctscope_$long.hints.ctscope_conntrack_long_established: WARNING"
nd_wait 10 "udp_unreplied = 1 in ctscope_$long.hints" '[ "$(nd_last_value "ctscope_$long.hints" udp_unreplied)" = 1 ]'
nd_wait 50 "WARNING from ctscope_conntrack_udp_unreplied on $long (1,000 of 3,000 entries UDP never answered)" \
	'[ "$(alarm_status "ctscope_$long.hints" ctscope_conntrack_udp_unreplied)" = WARNING ]'
ct_log "ctscope_$long.hints.ctscope_conntrack_udp_unreplied: WARNING"
fill=$(alarm_status "$type.fill" ctscope_conntrack_fill)
[ "$fill" = CLEAR ] || ct_fail "ctscope_conntrack_fill is '$fill' on a table at $(nd_last_value "$type.fill" used) %"
for a in stats:insert_failed stats:drop hints:long_established hints:udp_unreplied; do
	s=$(alarm_status "$type.${a%%:*}" "ctscope_conntrack_${a#*:}")
	case $s in CLEAR | UNINITIALIZED) ;; *) ct_fail "ctscope_conntrack_${a#*:} is '$s' in a quiet namespace" ;; esac
done

# ---- shutdown -------------------------------------------------------------
pids=$(nd_plugin_pids)
[ "$(echo "$pids" | wc -w)" -eq 1 ] || ct_fail "expected one plugin process, found: $pids"
nd_stop
for ((i = 0; i < 20; i++)); do
	[ -d "/proc/$pids" ] || break
	sleep 0.1
done
if [ -d "/proc/$pids" ]; then
	ct_fail "the plugin (pid $pids) is still there after netdata stopped: $(grep State "/proc/$pids/status")"
fi
grep -E 'Sanitizer|runtime error:' "$W/log/error.log" && ct_fail "a sanitizer report from the plugin in error.log"
grep 'ctscope\.conf' "$W/log/error.log" && ct_fail "netdata complained about the alarms file (above)"
errors=$(grep -c 'ctscope\.plugin:' "$W/log/error.log")
[ "$errors" -eq 0 ] || { nd_show_logs; ct_fail "the plugin wrote $errors lines to error.log on a healthy namespace"; }
if grep -E 'PLUGINSD\[ctscope\].*(Disabling|disabled|exited with error)' "$W/log/error.log"; then
	ct_fail "netdata disabled the plugin or saw it fail"
fi
ct_log "netdata stopped; plugin pid $pids gone; error.log has no ctscope.plugin lines"
nd_make_uninstall
ct_log "make uninstall-netdata removed both files ($(($(date +%s) - started)) s in all)"
echo "PASS"
