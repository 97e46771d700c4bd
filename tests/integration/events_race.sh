#!/bin/bash
# events_race: entries created and destroyed while event mode's initial dump
# runs end up right, by the start-up order alone (subscribe, dump, apply what
# raced) — no resync allowed to paper over a mistake.
#
# The namespace gets net.netfilter.nf_conntrack_events=1 before it is
# filled, so every entry sends its events (with the default 2, entries made
# before anyone listened are silent, and the count check would resync). It
# holds 300,000 entries, so the initial dump takes a good part of a second;
# from before ctscope starts until its first report is out, a churn loop
# keeps creating batches of entries, deleting the batch before, and deleting
# base entries. The report after the churn must equal `conntrack -L`, with
# resyncs = 0 and lost_events = 0.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
TOOLS=$CTSCOPE_SRC/tests/tools
ct_need "$CTSCOPE" "$CTINJECT"
ct_need conntrack
ct_tmpdir events-race

ct_netns evrace
ct_raise_max 400000
ip netns exec "$CT_NS" sysctl -qw net.netfilter.nf_conntrack_events=1 ||
	ct_fail "cannot set nf_conntrack_events=1 inside $CT_NS"
# base: 3,000 blocks of 100 entries (block b: src 10.5.<b/256>.<b%256>),
# so the churn can delete one block per line. The churn stays below what
# the event buffer holds while the dump runs (~6,500 events): no overrun.
python3 - >"$tmp/base" <<'PY'
for b in range(3000):
    print(f"proto=tcp src=10.5.{b // 256}.{b % 256} dst=192.0.2.{b % 7 + 1} sport=1024 dport=443 "
          f"state=established flags=assured,seen_reply timeout=7200 count=100 vary=sport")
PY
"$CTINJECT" -q --netns "$CT_NS" <"$tmp/base" || ct_fail "cannot inject the 300,000 base entries"

# churn: round r creates batch r (100 UDP entries), deletes batch r-1 and
# base block r; it runs until the first report exists
churn() {
	local r=0
	while [ ! -s "$tmp/out" ] && [ $r -lt 2900 ]; do
		echo "proto=udp src=10.9.$((r / 256)).$((r % 256)) dst=198.51.100.$((r % 5 + 1)) sport=2000 dport=53 timeout=7200 count=100 vary=sport" >"$tmp/batch.$r"
		"$CTINJECT" -q --netns "$CT_NS" <"$tmp/batch.$r" || return 1
		if [ $r -gt 0 ]; then "$CTINJECT" -q --delete --netns "$CT_NS" <"$tmp/batch.$((r - 1))" || return 1; fi
		sed -n "$((r + 1))p" "$tmp/base" | "$CTINJECT" -q --delete --netns "$CT_NS" || return 1
		r=$((r + 1))
		sleep 0.05
	done
	echo "$r" >"$tmp/rounds"
}
churn &
churner=$!
ct_on_exit "kill $churner 2>/dev/null"
sleep 0.2 # the churn is under way before the subscription and the dump
"$CTSCOPE" --mode events --json --netns "$CT_NS" --top 5 --interval 1 --count 30 >"$tmp/out" 2>"$tmp/err" &
ct_watch "$tmp/out" "$tmp/err"
wait $churner || ct_fail "the churn loop could not inject or delete entries"
rounds=$(cat "$tmp/rounds")
first=$(head -n 1 "$tmp/out")
ct_log "churn: $rounds rounds; first report: $(python3 -c 'import json,sys; c=json.loads(sys.argv[1])["collector"]; print(c)' "$first")"
[ "$rounds" -ge 3 ] || ct_fail "only $rounds churn rounds ran before the first report: the race was not exercised"

ct_wait_lines 2
ip netns exec "$CT_NS" conntrack -L -o extended >"$tmp/dump" 2>"$tmp/dump.err" || ct_fail "conntrack -L failed: $(cat "$tmp/dump.err")"
cat "$tmp/dump" "$tmp/dump.err" | python3 "$TOOLS/truth.py" --top 5 >"$tmp/truth" || ct_fail "truth.py could not parse conntrack -L"
ct_wait_lines $(($(ct_lines) + 1))
tail -n 1 "$tmp/out" >"$tmp/last.json"
python3 "$TOOLS/compare.py" "$tmp/last.json" "$tmp/truth" --top 5 ||
	ct_fail "entries created or destroyed during the initial dump ended wrong (MISMATCH lines above)"
python3 - "$tmp/last.json" "$rounds" <<'PY' || ct_fail "the start-up order needed help it must not need"
import json, sys
c = json.load(open(sys.argv[1]))["collector"]
print(f"collector: {c}")
if c["lost_events"] or c["resyncs"]:
    sys.exit(f"FAIL: {c['lost_events']} events lost, {c['resyncs']} resyncs: the race was not handled by the start-up order")
if c["events"] < 300:
    sys.exit(f"FAIL: only {c['events']} events applied for {sys.argv[2]} churn rounds of 300 changes")
PY
echo "PASS: $rounds rounds of creates and deletes during the initial dump ended as conntrack -L says, no resync"
