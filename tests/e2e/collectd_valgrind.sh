#!/bin/bash
# collectd with ctscope.so under valgrind for several intervals, in modes
# dump and events, reading one namespace that works (entries added and
# deleted meanwhile) and one that does not exist (the retry path), then a
# clean shutdown (SIGTERM). Fails on any memory error, and on any block
# allocated by ctscope's code (the plugin or libctscope) that is lost or
# still held at exit: collectd frees each reader through its read
# callback's free_func, so nothing of ours may survive. (~20 s)
source "$(dirname "$0")/../lib.sh" || exit 1
source "$CTSCOPE_SRC/tests/e2e/collectd_lib.sh" || exit 1
ct_need_root
cd_require valgrind
cd_sanitized && ct_skip "$CD_SO is a sanitizer build; valgrind cannot run ASan code (run this test from a normal build)"
cd_workdir collectd-valgrind
cd_plugindir csv logfile

# A loss record or error is ours when the first frame past the allocator
# (or, for errors, any frame) is in a source file of collectd-plugin/ or
# common/. collectd itself has no debug info, so its frames show "(in ...)".
ours=$( (cd "$CTSCOPE_SRC" && ls collectd-plugin/*.c common/*.c) | xargs -n1 basename | paste -sd'|')
vg_check() { # LOG: prints and fails on ctscope's problems in a valgrind log
	python3 - "$1" "$ours" <<'EOF'
import re, sys
log, ours = sys.argv[1], set(sys.argv[2].split('|'))
alloc = {'malloc', 'calloc', 'realloc', 'strdup', 'strndup', '__strdup', 'reallocarray'}
blocks, cur = [], []
for line in open(log):
    body = re.sub(r'^==\d+== ?', '', line.rstrip('\n'))
    if body == '':
        if cur: blocks.append(cur)
        cur = []
    else:
        cur.append(body)
if cur: blocks.append(cur)
bad = 0
for b in blocks:
    frames = [re.match(r'\s*(?:at|by) 0x[0-9A-F]+: (\S+) \((.*)\)', l) for l in b[1:]]
    frames = [(m.group(1), m.group(2).split(':')[0]) for m in frames if m]
    if not frames:
        continue
    if 'in loss record' in b[0]:
        first = next((f for f in frames if f[0] not in alloc), None)
        mine = first is not None and first[1] in ours
    else:
        mine = any(f[1] in ours for f in frames)
    if mine:
        bad += 1
        print('\n'.join(b[:14]))
        print()
summary = [l for l in open(log) if 'definitely lost:' in l or 'ERROR SUMMARY' in l]
print(''.join(summary).strip())
print(f'{bad} problem(s) allocated by or raised in ctscope code')
sys.exit(1 if bad else 0)
EOF
}

ct_netns vg
cd_fill "$CT_NS"
missing=ctscope-t-absent-$$
churn="proto=tcp src=10.7.0.1 dst=192.0.2.80 sport=1024 dport=8443 state=established timeout=7200 flags=assured,seen_reply count=300 vary=sport"
rows() { cat "$W/csv-$mode/$CD_HOST/ctscope-$CT_NS/"conntrack-2* 2>/dev/null | grep -c '^[0-9]'; }

for mode in dump events; do
	{
		cd_conf_head 1
		cat <<EOF
LoadPlugin csv
<Plugin csv>
	DataDir "$W/csv-$mode"
</Plugin>
LoadPlugin ctscope
<Plugin ctscope>
	Mode "$mode"
	NetNS "$CT_NS" "$missing"
	TopN 5
</Plugin>
EOF
	} >"$W/collectd.conf"
	: >"$W/collectd.log"
	cd_start valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite --num-callers=40 \
		--log-file="$W/valgrind-$mode.log"
	cd_wait 60 "3 reads in mode $mode under valgrind" 'test "$(rows)" -ge 3'
	echo "$churn" | "$CTINJECT" --netns "$CT_NS" -q || ct_fail "ctinject could not add entries"
	cd_wait 60 "6 reads in mode $mode under valgrind" 'test "$(rows)" -ge 6'
	echo "$churn" | "$CTINJECT" --netns "$CT_NS" --delete -q || ct_fail "ctinject could not delete entries"
	cd_wait 60 "8 reads in mode $mode under valgrind" 'test "$(rows)" -ge 8'
	grep -q "\[error\] ctscope plugin: namespace \"$missing\"" "$W/collectd.log" ||
		{ cd_show_logs; ct_fail "mode $mode: the missing namespace's error was not logged: the retry path did not run"; }
	reads=$(rows)
	cd_stop
	grep -q 'Exiting normally' "$W/collectd.log" ||
		{ cd_show_logs; ct_fail "mode $mode: collectd did not shut down cleanly under valgrind"; }
	grep -q 'ERROR SUMMARY' "$W/valgrind-$mode.log" ||
		{ tail "$W/valgrind-$mode.log"; ct_fail "mode $mode: valgrind wrote no summary"; }
	vg_check "$W/valgrind-$mode.log" ||
		ct_fail "mode $mode: valgrind found problems in ctscope's code: the records above say where"
	ct_log "valgrind, mode $mode: $reads reads of $CT_NS with entries added and deleted, plus the retry path;" \
		"clean shutdown, nothing of ctscope's lost or left"
done
echo "PASS"
