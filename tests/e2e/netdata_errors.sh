#!/bin/bash
# What ctscope.plugin does when things go wrong, as netdata sees it.
#  1. The real netdata runs the plugin without capabilities: the plugin says
#     why in error.log and prints DISABLE; netdata does not restart it.
#  2. Run as user netdata (with its capabilities) the way netdata runs it:
#     a wrong option gives one clear line and DISABLE, exit 1; a namespace
#     that does not exist yet is reported once while the other one is
#     charted every second, and is charted too once it appears; SIGTERM
#     and a closed stdout both end the plugin with status 0 at once.
source "$(dirname "$0")/../lib.sh" || exit 1
source "$CTSCOPE_SRC/tests/e2e/netdata_lib.sh" || exit 1
ct_need_root
nd_require setpriv
nd_workdir netdata-errors

ct_netns nderr
"$CTINJECT" --netns "$CT_NS" -q <<<'proto=tcp src=10.2.0.1 dst=192.0.2.81 sport=1024 dport=443 state=established timeout=7200 flags=assured,seen_reply count=50 vary=sport' ||
	ct_fail "ctinject could not fill namespace $CT_NS"

# ---- 1. no capabilities, under netdata ----------------------------------
nd_install_plugin no-caps
getcap "$W/plugins.d/ctscope.plugin" | grep -q cap_ && ct_fail "the copy kept its capabilities"
nd_conf "$(nd_free_port)" "--netns $CT_NS"
nd_start
nd_wait 20 "DISABLE handled by netdata" 'grep -q "PLUGINSD\[ctscope\].*plugin called DISABLE" "$W/log/error.log"'
grep -q 'ctscope.plugin: no namespace could be read.*setcap cap_net_admin,cap_sys_admin+ep' "$W/log/error.log" ||
	{ nd_show_logs; ct_fail "error.log does not say why the plugin gave up and how to fix it"; }
grep "ctscope.plugin: namespace $CT_NS:" "$W/log/error.log" | grep -q 'Operation not permitted' ||
	{ nd_show_logs; ct_fail "error.log does not name the namespace and the missing permission"; }
ct_log "without capabilities: $(grep -c 'ctscope.plugin:' "$W/log/error.log") plugin lines in error.log, then DISABLE"
sleep 5 # netdata would restart an exited plugin after update_every
[ -z "$(nd_plugin_pids)" ] || ct_fail "the plugin runs again after DISABLE: pid $(nd_plugin_pids)"
starts=$(grep -c "PLUGINSD\[ctscope\].*connected to" "$W/log/error.log")
[ "$starts" -eq 1 ] || { nd_show_logs; ct_fail "netdata started the plugin $starts times"; }
nd_stop

# ---- 2. the plugin alone, as user netdata --------------------------------
nd_install_plugin
# An array, not a function: `func &` would put a subshell between $! and
# the plugin, and the test would signal the wrong process.
as_netdata=(setpriv --reuid=netdata --regid=netdata --clear-groups --inh-caps=-all "$W/plugins.d/ctscope.plugin")

"${as_netdata[@]}" 1 --mode full >"$W/bad.out" 2>"$W/bad.err"
rc=$?
[ $rc -eq 1 ] || ct_fail "a wrong --mode exits $rc, not 1"
[ "$(cat "$W/bad.out")" = DISABLE ] || ct_fail "a wrong --mode prints '$(cat "$W/bad.out")' on stdout, not DISABLE"
grep -qx "ctscope.plugin: unknown mode 'full' for --mode: use stats, dump or events (fix 'command options' in netdata.conf \[plugin:ctscope\]); disabling" "$W/bad.err" ||
	ct_fail "a wrong --mode says: $(cat "$W/bad.err")"

late=ctscope-t-ndlate-$$
ct_on_exit "ip netns del $late" # made below, once the plugin runs
"${as_netdata[@]}" 1 --netns "$late" --netns "$CT_NS" >"$W/run.out" 2>"$W/run.err" &
pid=$!
ct_on_exit "kill $pid"
sleep 3.5
kill -0 $pid 2>/dev/null || ct_fail "the plugin exited although $CT_NS is readable: $(cat "$W/run.err")"
lines=$(wc -l <"$W/run.err")
[ "$lines" -eq 1 ] && grep -q "namespace $late: .*No such file or directory.*will retry" "$W/run.err" ||
	ct_fail "a missing namespace should be reported once in 3 s, got $lines lines: $(cat "$W/run.err")"
ticks=$(grep -c "^BEGIN ctscope_$CT_NS.entries" "$W/run.out")
[ "$ticks" -ge 3 ] || ct_fail "only $ticks reads of $CT_NS in 3.5 s while $late was missing"
grep -q "^SET entries = 50$" "$W/run.out" || ct_fail "no 'SET entries = 50' for $CT_NS"
# Every BEGIN after the first carries the microseconds since the previous
# one. The first read happens at start, the next on the following whole
# second of the monotonic clock (up to a second later), the rest a second
# apart (the bounds leave room for a loaded machine, not for a skipped or
# doubled tick).
usecs=$(awk -v c="ctscope_$CT_NS.entries" '$1 == "BEGIN" && $2 == c { print (NF == 3 ? $3 : "none") }' "$W/run.out" | tr '\n' ' ')
echo "$usecs" | awk '$1 != "none" || $2 > 1300000 { exit 1 } { for (i = 3; i <= NF; i++) if ($i < 700000 || $i > 1300000) exit 1 }' ||
	ct_fail "BEGIN durations of $CT_NS are not: none, up to 1 s, then about 1,000,000 us: $usecs"

ip netns add "$late" && ip -n "$late" link set lo up || ct_fail "cannot create namespace $late"
"$CTINJECT" --netns "$late" -q <<<'proto=udp src=10.3.0.1 dst=192.0.2.99 sport=1000 dport=53 timeout=7200 count=7 vary=sport' ||
	ct_fail "ctinject could not fill namespace $late"
ok=
for ((i = 0; i < 30; i++)); do
	grep -q "^BEGIN ctscope_$late.entries" "$W/run.out" && grep -q "namespace $late: readable again" "$W/run.err" && ok=1 && break
	sleep 0.1
done
[ -n "$ok" ] || ct_fail "namespace $late not charted within 3 s of appearing: $(cat "$W/run.err")"
ct_log "missing namespace: reported once, $ticks reads of the other meanwhile (BEGIN us: $usecs), charted once it appeared"

t0=$(date +%s%N)
kill -TERM $pid
wait $pid
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc -eq 0 ] || ct_fail "SIGTERM: the plugin exits $rc, not 0"
[ $ms -lt 500 ] || ct_fail "SIGTERM: the plugin took $ms ms to exit"
[ "$(wc -l <"$W/run.err")" -eq 2 ] || ct_fail "unexpected stderr lines: $(cat "$W/run.err")"

# netdata going away closes the pipe: EPIPE on the next flush, exit 0.
{ "${as_netdata[@]}" 1 --netns "$CT_NS" 2>"$W/pipe.err"; echo $? >"$W/pipe.rc"; } | head -n 1 >/dev/null
[ "$(cat "$W/pipe.rc")" = 0 ] || ct_fail "closed stdout: the plugin exits $(cat "$W/pipe.rc"), not 0"
[ ! -s "$W/pipe.err" ] || ct_fail "closed stdout: the plugin wrote to stderr: $(cat "$W/pipe.err")"
ct_log "SIGTERM: exit 0 in $ms ms; closed stdout: exit 0, nothing on stderr"
echo "PASS"
