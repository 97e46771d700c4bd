#!/bin/bash
# What collectd's log and other plugins see when ctscope cannot work:
# 1. a bad option (Mode "sideways") is logged naming ctscope, the option and
#    the value; ctscope does not start; collectd and its other plugins
#    (load, csv) keep running;
# 2. a namespace that does not exist yet is logged once, not every
#    interval, while the other namespace keeps being read; once it is
#    created, ctscope says so and its values appear;
# 3. that namespace deleted and made again: ctscope reads the new one.
source "$(dirname "$0")/../lib.sh" || exit 1
source "$CTSCOPE_SRC/tests/e2e/collectd_lib.sh" || exit 1
ct_need_root
cd_require
cd_workdir collectd-errors
cd_plugindir csv load logfile

# ---- 1. Mode "sideways" ----------------------------------------------------
{
	cd_conf_head 1
	cat <<EOF
LoadPlugin csv
<Plugin csv>
	DataDir "$W/csv"
</Plugin>
LoadPlugin load
LoadPlugin ctscope
<Plugin ctscope>
	Mode "sideways"
</Plugin>
EOF
} >"$W/collectd.conf"
cd_start
load_rows() { cat "$W/csv/$CD_HOST/load/load-"* 2>/dev/null | grep -c '^[0-9]'; }
cd_wait 15 "values from the load plugin" 'test "$(load_rows)" -ge 3'
cd_alive
log=$W/collectd.log
grep '\[error\] ctscope plugin: Mode "sideways" is not a mode' "$log" ||
	{ cd_show_logs; ct_fail "no error line naming ctscope, Mode and \"sideways\""; }
grep "\[error\] ctscope plugin: not started: 1 problem in <Plugin ctscope>" "$log" ||
	{ cd_show_logs; ct_fail "ctscope's init did not refuse to start"; }
grep -q "Initialization of plugin \`ctscope' failed" "$log" || { cd_show_logs; ct_fail "collectd did not unload ctscope"; }
[ ! -e "$W/csv/$CD_HOST/ctscope" ] || ct_fail "ctscope dispatched values although its config is bad"
ct_log "Mode \"sideways\": logged, ctscope not started, load plugin still writing ($(load_rows) rows)"
cd_stop

# ---- 2. a namespace that is not there yet ---------------------------------
ct_netns present
present=$CT_NS
echo "proto=udp src=10.2.0.1 dst=192.0.2.53 sport=1 dport=53 timeout=7200 count=50 vary=sport" |
	"$CTINJECT" --netns "$present" -q || ct_fail "ctinject could not fill $present"
late=ctscope-t-late-$$
{
	cd_conf_head 1
	cat <<EOF
LoadPlugin csv
<Plugin csv>
	DataDir "$W/csv2"
</Plugin>
LoadPlugin ctscope
<Plugin ctscope>
	Mode "stats"
	NetNS "$late" "$present"
</Plugin>
EOF
} >"$W/collectd.conf"
: >"$log"
cd_start
csv_last() { # DIR: the newest value of DIR/conntrack-<date>
	local f
	f=$(ls "$W/csv2/$CD_HOST/$1/"conntrack-2* 2>/dev/null | head -n 1)
	[ -n "$f" ] && tail -n 1 "$f" | cut -d, -f2
}
rows() { cat "$W/csv2/$CD_HOST/$1/"conntrack-2* 2>/dev/null | grep -c '^[0-9]'; }
cd_wait 15 "5 reads of $present" 'test "$(rows "ctscope-$present")" -ge 5'
cd_alive
missing=$(grep -c "\[error\] ctscope plugin: namespace \"$late\": cannot open network namespace" "$log")
[ "$missing" -eq 1 ] || { cd_show_logs; ct_fail "the missing namespace was logged $missing times in 5 intervals, want once"; }
[ ! -e "$W/csv2/$CD_HOST/ctscope-$late" ] || ct_fail "values were dispatched for a namespace that does not exist"
ct_log "missing namespace: logged once over $(rows "ctscope-$present") reads; $present read meanwhile"

ct_netns late # makes $late (same name: ctscope-t-late-PID) and deletes it at exit
echo "proto=tcp src=10.3.0.1 dst=192.0.2.9 sport=1 dport=22 timeout=7200 count=70 vary=sport" |
	"$CTINJECT" --netns "$late" -q || ct_fail "ctinject could not fill $late"
cd_wait 10 "recovery message" 'grep -q "\[info\] ctscope plugin: namespace \"$late\": readable again after" "$log"'
cd_wait 10 "values for $late" 'test -n "$(csv_last "ctscope-$late")"'
got=$(csv_last "ctscope-$late")
want=$(ct_count "$late")
cd_same "$got" "$want" || ct_fail "ctscope-$late/conntrack = $got, conntrack -C = $want"
ct_log "namespace created: recovery logged, ctscope-$late/conntrack = $got"

# ---- 3. the namespace deleted and made again under the same name --------
# The old collector's socket keeps the old namespace alive; reading on
# would report its stale 70 entries forever. The core notices (the read
# fails: "is gone"), the plugin drops that collector and opens the new one.
ip netns del "$late" || ct_fail "cannot delete $late"
ip netns add "$late" || ct_fail "cannot make $late again"
echo "proto=udp src=10.4.0.1 dst=192.0.2.7 sport=1 dport=123 timeout=7200 count=7 vary=sport" |
	"$CTINJECT" --netns "$late" -q || ct_fail "ctinject could not fill the new $late"
cd_wait 10 "a log line saying $late is gone" 'grep -q "\[error\] ctscope plugin: namespace \"$late\": network namespace .$late. is gone" "$log"'
cd_wait 10 "the new namespace's count (7) in ctscope-$late/conntrack" 'cd_same "$(csv_last "ctscope-$late")" 7'
grep -q "\[info\] ctscope plugin: namespace \"$late\": readable again after 1 failed reads" "$log" ||
	{ cd_show_logs; ct_fail "no recovery line after the namespace was replaced"; }
ct_log "namespace replaced: reported gone once, reopened, ctscope-$late/conntrack = $(csv_last "ctscope-$late")"
cd_stop
echo "PASS"
