#!/bin/bash
# events_expiry: entries whose timeout runs out leave event mode's counts
# within a bounded time, though the kernel sends their DESTROY late (its
# garbage collector) or never (entries made before anyone listened, with the
# default nf_conntrack_events=2).
#
# 2,000 long-lived TCP entries stay throughout. 1,000 UDP entries with a 5 s
# timeout are made before ctscope subscribes (silent ones) and 1,000 more
# after its first report (they send events). Each group must be counted while
# alive and be gone from every report read more than 2 intervals + 1 s (the
# documented bound, eventmode.c) after its timeout — here 3 s, checked with
# 1 s of slack for scheduling — while the long-lived ones stay counted.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
ct_need "$CTSCOPE" "$CTINJECT"
ct_need conntrack
ct_tmpdir events-expiry
: >"$tmp/out"
INTERVAL=1
BOUND=$((2 * INTERVAL + 1 + 1))

ct_netns evexp
now_ms() { echo $(($(date +%s%N) / 1000000)); }
echo "proto=tcp src=10.6.0.1 dst=192.0.2.80 sport=1024 dport=80 state=established flags=assured,seen_reply timeout=7200 count=2000 vary=sport" |
	"$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject the long-lived entries"
echo "proto=udp src=10.6.1.1 dst=192.0.2.53 sport=1024 dport=53 timeout=5 count=1000 vary=sport" |
	"$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject the first short-lived entries"
silent_at=$(now_ms)

# each report line is stamped with the time it arrived (ms): a little after
# its read, which only makes the bound stricter
"$CTSCOPE" --mode events --json --netns "$CT_NS" --interval $INTERVAL --count 25 2>"$tmp/err" |
	while IFS= read -r line; do echo "$(now_ms) $line"; done >"$tmp/out" &
ct_watch "$tmp/out" "$tmp/err"
ct_wait_lines 1
echo "proto=udp src=10.6.2.1 dst=192.0.2.54 sport=1024 dport=53 timeout=5 count=1000 vary=sport" |
	"$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject the second short-lived entries"
evented_at=$(now_ms)
last_expiry=$((evented_at + 5000))
# until every report read in the checked window is in
while [ "$(now_ms)" -lt $((last_expiry + BOUND * 1000 + 3000)) ]; do
	ct_watched_alive
	sleep 0.2
done

python3 - "$tmp/out" "$silent_at" "$evented_at" "$BOUND" <<'PY' || ct_fail "expired entries were counted too long, or live ones dropped"
import json, sys
path, silent_at, evented_at, bound = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
reports = []
for l in open(path):
    if l.strip():
        stamp, _, text = l.partition(" ")
        o = json.loads(text)
        o["arrived_ms"] = int(stamp)
        reports.append(o)
fail = []
def dst(o, addr):
    return sum(d["entries"] for d in o["top_destinations"] if d["address"] == addr)
seen = {"192.0.2.53": False, "192.0.2.54": False}
for o in reports:
    t = o["arrived_ms"]
    tcp = o["protocols"]["tcp"]
    if tcp != 2000:
        fail.append(f"at {t}: {tcp} TCP entries, the 2,000 long-lived ones should all be there")
    for addr, made in (("192.0.2.53", silent_at), ("192.0.2.54", evented_at)):
        n = dst(o, addr)
        age = (t - made) / 1000.0
        if n == 1000 and age < 4:
            seen[addr] = True
        if age > 5 + bound and n:
            fail.append(f"{addr}: {n} entries still counted {age:.1f} s after injection (timeout 5 s, bound {bound} s)")
    if o["timeouts"]["le_10s"] > 2000:
        fail.append(f"at {t}: {o['timeouts']['le_10s']} entries in le_10s, at most 2,000 have so little left")
for addr, ok in seen.items():
    if not ok:
        fail.append(f"{addr}: its 1,000 entries were never counted while alive")
last = reports[-1]
print(f"{len(reports)} reports; last: entries {last['table']['entries']}, udp {last['protocols']['udp']}, collector {last['collector']}")
if last["protocols"]["udp"]:
    fail.append(f"the last report still counts {last['protocols']['udp']} UDP entries")
for f in fail[:20]:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
PY
left=$(ip netns exec "$CT_NS" conntrack -L -p udp 2>/dev/null | grep -c .)
[ "$left" -eq 0 ] || ct_fail "conntrack -L still lists $left UDP entries: they did not expire in the kernel either"
echo "PASS: 5 s entries left the counts within ${BOUND} s of their timeout, silent or not; long-lived ones stayed"
