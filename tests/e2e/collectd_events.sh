#!/bin/bash
# Mode "events" in the real collectd: after the first read the numbers come
# from conntrack events, so entries added and deleted while collectd runs
# must show up in the dispatched values (entries, tcp_state, the hot
# top_destination) and agree with the kernel again within a few intervals.
# Also checks that the Interval of <Plugin ctscope> overrides collectd's, and
# that Notifications false keeps the hints (a destination holds 66% of the
# table here) out of collectd's notifications.
source "$(dirname "$0")/../lib.sh" || exit 1
source "$CTSCOPE_SRC/tests/e2e/collectd_lib.sh" || exit 1
ct_need_root
cd_require
cd_workdir collectd-events
cd_plugindir csv logfile

ct_netns events
cd_fill "$CT_NS"
{
	cd_conf_head 1
	cat <<EOF
LoadPlugin csv
<Plugin csv>
	DataDir "$W/csv"
</Plugin>
LoadPlugin ctscope
<Plugin ctscope>
	Mode "events"
	NetNS "$CT_NS"
	TopN 3
	Interval 2
	Notifications false
</Plugin>
EOF
} >"$W/collectd.conf"
cd_start

last() { # PLUGIN_INSTANCE TYPE-INSTANCE: the newest value collectd wrote
	local f
	f=$(ls "$W/csv/$CD_HOST/ctscope-$CT_NS$1/$2-"2* 2>/dev/null | head -n 1)
	[ -n "$f" ] && tail -n 1 "$f" | cut -d, -f2
}
kernel() { ip netns exec "$CT_NS" conntrack -L "$@" 2>/dev/null | wc -l; }
agree() { # STEP: waits until entries, established and the hot destination match the kernel
	count=$(ct_count "$CT_NS") est=$(kernel -p tcp --state ESTABLISHED) hot=$(kernel -p tcp -d 192.0.2.80 --dport 8443)
	cd_wait 15 "entries = $count after $1" 'cd_same "$(last "" conntrack)" "$count"'
	cd_wait 5 "established = $est after $1" 'cd_same "$(last -tcp_state conntrack-established)" "$est"'
	cd_wait 5 "hot destination = $hot after $1" 'cd_same "$(last -top_destination conntrack-tcp-192_0_2_80-8443)" "$hot"'
	ct_log "$1: entries $count, established $est, tcp-192_0_2_80-8443 $hot (collectd and kernel agree)"
}

agree "the initial dump"
hot_more="proto=tcp src=10.1.0.9 dst=192.0.2.80 sport=1024 dport=8443 state=established timeout=7200 flags=assured,seen_reply count=1500 vary=sport"
echo "$hot_more" | "$CTINJECT" --netns "$CT_NS" -q || ct_fail "ctinject could not add entries"
agree "adding 1500 to the hot destination"
echo "$hot_more" | "$CTINJECT" --netns "$CT_NS" --delete -q || ct_fail "ctinject could not delete entries"
agree "deleting them again"
# The plugin's own Interval 2, not collectd's global 1, spaces its reads.
steps=$(cut -d, -f1 "$W/csv/$CD_HOST/ctscope-$CT_NS/"conntrack-2* | grep '^[0-9]' | tail -n 4 |
	awk 'NR > 1 { printf "%.1f ", $1 - prev } { prev = $1 }')
for s in $steps; do cd_same "$s" 2 || ct_fail "reads $steps s apart, want 2 (Interval 2 in <Plugin ctscope>, global Interval 1)"; done
[ -n "$steps" ] || ct_fail "no read times to check the Interval option with"
ct_log "reads every $steps s: the plugin's Interval 2 is honoured (global Interval 1)"
grep -F 'Notification: ' "$W/collectd.log" | grep -F 'plugin = ctscope' &&
	{ cd_show_logs; ct_fail "ctscope sent notifications with Notifications false"; }
grep '\[\(error\|warning\)\] ctscope' "$W/collectd.log" && { cd_show_logs; ct_fail "ctscope logged problems in events mode"; }
cd_stop
echo "PASS"
