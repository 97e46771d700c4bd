#!/bin/bash
# events_follow: between two reads, event mode keeps reading the stream
# (common/follower.c), so a long interval loses nothing. With --interval 8
# a steady stream of 80,000 new entries (1,000 every ~50 ms: ~20,000 a
# second, slow enough for any build, sanitizers included) arrives between
# the first and second report. Half a second after it, before the second
# report, the event socket must hold almost nothing (/proc/net/netlink's
# Rmem): read as it came, not left for the report (80,000 unread events
# are ~100 MiB of socket; the buffer, 128 MiB, would hold them, so only
# this check tells a follower from a reader at report time). The second
# report must have applied all 80,000 events with none lost and no resync,
# and equal `conntrack -L`. Then the table is
# flushed at the kernel's full speed; the third report must be empty, and
# any loss answered by a resync.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
TOOLS=$CTSCOPE_SRC/tests/tools
ct_need "$CTSCOPE" "$CTINJECT"
ct_need conntrack
ct_tmpdir events-follow
: >"$tmp/out"

ct_netns evfol
ct_raise_max 200000
"$CTSCOPE" --mode events --json --netns "$CT_NS" --top 5 --interval 8 --count 3 >"$tmp/out" 2>"$tmp/err" &
ct_watch "$tmp/out" "$tmp/err"
ct_wait_lines 1
start=$(date +%s.%N)
for i in $(seq 0 79); do
	echo "proto=tcp src=10.8.$i.1 dst=192.0.2.$((i % 4 + 1)) sport=1024 dport=443 state=established flags=assured,seen_reply timeout=7200 count=1000 vary=sport" |
		"$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject batch $i"
	sleep 0.04
done
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
sleep 0.5
# ctscope's event socket: NETLINK_NETFILTER (12), subscribed to groups
rmem=$(ip netns exec "$CT_NS" awk '$2 == 12 && $4 != "00000000" { print $5 }' /proc/net/netlink | head -n 1)
[ "$(ct_lines)" -eq 1 ] || ct_fail "the stream took ${took}s and outlasted the interval: the second report came during it"
[ -n "$rmem" ] || ct_fail "no subscribed netfilter socket in $CT_NS's /proc/net/netlink"
ct_log "event socket holds $rmem bytes half a second after the stream, before the second report"
[ "$rmem" -lt 4194304 ] || ct_fail "the event socket holds $rmem bytes between reports: the stream was not read as it came"
ct_log "80,000 entries streamed in ${took}s"
ip netns exec "$CT_NS" conntrack -L -o extended >"$tmp/dump" 2>"$tmp/dump.err" || ct_fail "conntrack -L failed: $(cat "$tmp/dump.err")"
cat "$tmp/dump" "$tmp/dump.err" | python3 "$TOOLS/truth.py" --top 5 >"$tmp/truth" || ct_fail "truth.py could not parse conntrack -L"
ct_wait_lines 2 20
sed -n 2p "$tmp/out" >"$tmp/second.json"
python3 "$TOOLS/compare.py" "$tmp/second.json" "$tmp/truth" --top 5 ||
	ct_fail "the report after the stream does not equal conntrack -L (MISMATCH lines above)"
python3 - "$tmp/second.json" <<'PY' || ct_fail "events were lost or resynced between two reads"
import json, sys
c = json.load(open(sys.argv[1]))["collector"]
print(f"collector: {c}")
if c["events"] != 80000 or c["lost_events"] != 0 or c["resyncs"] != 0:
    sys.exit(f"FAIL: wanted 80000 events applied, 0 lost, 0 resyncs")
PY

ip netns exec "$CT_NS" conntrack -F >/dev/null 2>&1 || ct_fail "cannot flush $CT_NS"
[ "$(ct_count "$CT_NS")" -eq 0 ] || ct_fail "the namespace holds $(ct_count "$CT_NS") entries after the flush"
ct_wait_lines 3 20
python3 - "$tmp/out" <<'PY' || ct_fail "the report after the flush is not empty"
import json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[2])
c = o["collector"]
print(f"collector: {c}")
if o["table"]["entries"] != 0 or sum(o["families"].values()) != 0:
    sys.exit(f"FAIL: {o['table']['entries']} entries, families {o['families']}")
if c["lost_events"] > 0 and c["resyncs"] < 1:
    sys.exit(f"FAIL: {c['lost_events']} events lost and no resync")
PY
echo "PASS: 80,000 events between two reads, none lost; the flush after them followed to an empty table"
