#!/bin/bash
# collectd-plugin/graph.sh — makes collectd-plugin/graph.png for the README
# from a real run: collectd with ctscope.so (Interval 2, TopN 2) and the
# stock rrdtool plugin reads a throwaway namespace for ~4 minutes while a
# scripted table fills and drains, then `rrdtool graph` draws the RRDs.
#
#   sudo BUILD=build collectd-plugin/graph.sh [OUT.png]
#
# The entries are injected (tests/tools/ctinject), not real traffic; the
# graph shows how the collectd values behave, not a real firewall's night.
source "$(dirname "$0")/../tests/lib.sh" || exit 1
source "$CTSCOPE_SRC/tests/e2e/collectd_lib.sh" || exit 1
OUT=${1:-$CTSCOPE_SRC/collectd-plugin/graph.png}
ct_need_root
cd_require rrdtool
cd_workdir graph
cd_plugindir rrdtool logfile
CD_HOST=ctscope-demo

ct_netns graph
{
	cd_conf_head 2
	cat <<EOF
LoadPlugin rrdtool
<Plugin rrdtool>
	DataDir "$W/rrd"
</Plugin>
LoadPlugin ctscope
<Plugin ctscope>
	NetNS "$CT_NS"
	TopN 2
</Plugin>
EOF
} >"$W/collectd.conf"

inject() { "$CTINJECT" --netns "$CT_NS" -q "$@" || ct_fail "ctinject failed"; }
at() { # SECONDS: sleeps until that many seconds after the start
	local now=$(($(date +%s) - start))
	[ "$1" -le "$now" ] || sleep $(($1 - now))
	ct_log "t=${1}s: $(ct_count "$CT_NS") entries"
}

start=$(date +%s)
inject <<'EOF'
proto=udp src=10.9.0.1 dst=203.0.113.5 sport=1024 dport=53 timeout=60 count=1000 vary=sport
proto=tcp src=10.9.0.2 dst=198.51.100.10 sport=1024 dport=443 state=established timeout=7200 flags=assured,seen_reply count=500 vary=sport
EOF
cd_start
# The hot destination: 1,000 more established entries every 10 s from t=30 s.
for ((i = 0; i < 16; i++)); do
	at $((30 + 10 * i))
	echo "proto=tcp src=10.9.1.1 dst=192.0.2.80 sport=$((1024 + 1000 * i)) dport=8443 state=established timeout=7200 flags=assured,seen_reply count=1000 vary=sport" | inject
	# t=90 s: a burst of TIME_WAIT to one web server, gone after 120 s.
	[ $i -eq 6 ] && echo "proto=tcp src=10.9.2.1 dst=198.51.100.20 sport=1024 dport=80 state=time_wait timeout=120 flags=assured,seen_reply count=3000 vary=sport" | inject
done
at 240
cd_stop
end=$(date +%s)

R=$W/rrd/$CD_HOST
L=$CT_NS
rrdtool graph "$OUT" --imgformat PNG --start "$start" --end "$end" --width 760 --height 280 \
	--title "ctscope in collectd: one namespace, 4 min, Interval 2, TopN 2 (injected entries)" \
	--vertical-label "entries" --lower-limit 0 --rigid \
	"DEF:total=$R/ctscope-$L/conntrack.rrd:value:AVERAGE" \
	"DEF:est=$R/ctscope-$L-tcp_state/conntrack-established.rrd:value:AVERAGE" \
	"DEF:tw=$R/ctscope-$L-tcp_state/conntrack-time_wait.rrd:value:AVERAGE" \
	"DEF:udp=$R/ctscope-$L-protocol/conntrack-udp.rrd:value:AVERAGE" \
	"DEF:hot=$R/ctscope-$L-top_destination/conntrack-tcp-192_0_2_80-8443.rrd:value:AVERAGE" \
	"DEF:web=$R/ctscope-$L-top_destination/conntrack-tcp-198_51_100_20-80.rrd:value:AVERAGE" \
	"DEF:tls=$R/ctscope-$L-top_destination/conntrack-tcp-198_51_100_10-443.rrd:value:AVERAGE" \
	"DEF:dns=$R/ctscope-$L-top_destination/conntrack-udp-203_0_113_5-53.rrd:value:AVERAGE" \
	"AREA:est#9ec9e2:tcp_state established" \
	"AREA:tw#f2c18d:tcp_state time_wait:STACK" \
	"AREA:udp#b8dfa8:protocol udp\n:STACK" \
	"LINE2:total#000000:entries (conntrack)" \
	"LINE2:hot#d62728:top_destination tcp-192_0_2_80-8443\n" \
	"LINE2:web#ff7f0e:top_destination tcp-198_51_100_20-80" \
	"LINE2:tls#1f77b4:top_destination tcp-198_51_100_10-443" \
	"LINE2:dns#2ca02c:top_destination udp-203_0_113_5-53\n" \
	"COMMENT:A top_destination line stops where the destination leaves the top 2 (its RRD keeps its old data)\n" \
	>/dev/null || ct_fail "rrdtool graph failed"
ct_log "wrote $OUT"
ls "$R/ctscope-$L-top_destination/"
