#!/bin/bash
# soak: ctscope watching a table that churns for SOAK_SECONDS (default 120),
# in dump mode and in event mode side by side. Each round injects CHURN
# entries with keys never seen before (new sources, and for half of them
# new destinations, so the top tables grow and shrink) and deletes them
# again, on top of a fixed population. Must hold:
#   - RSS of both processes stays flat: after a warm-up quarter, the peak
#     of the last quarter is within 10% + 2 MiB of the second quarter's;
#   - once the churn stops, both report the fixed population exactly
#     (entries, protocols, TCP states, the top destination), as the kernel
#     does (`conntrack -C`);
#   - both stop on SIGINT with status 0, nothing on stderr (in a sanitized
#     build that includes LeakSanitizer's report at exit).
# Run: sudo make soak [SOAK_SECONDS=N] [SANITIZE=address,undefined]
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
SOAK_SECONDS=${SOAK_SECONDS:-120}
CHURN=${CHURN:-5000}
BASE_TCP=15000
BASE_UDP=5000
for bin in "$CTSCOPE" "$CTINJECT"; do
	[ -x "$bin" ] || ct_fail "$bin is missing: build it with \`make BUILD=$BUILD all tests\`"
done
command -v conntrack >/dev/null || ct_fail "conntrack is missing: install the conntrack package (make deps)"
tmp=$(mktemp -d /tmp/ctscope-soak.XXXXXX)
ct_on_exit "rm -rf $tmp"
ct_raise_max $((BASE_TCP + BASE_UDP + 2 * CHURN + 10000))
ct_netns soak
NS=$CT_NS

# The fixed population: 15,000 ESTABLISHED to one destination, 5,000 UDP.
"$CTINJECT" --netns "$NS" -q <<EOF || ct_fail "cannot inject the fixed population"
proto=tcp src=10.1.0.1 dst=192.0.2.80 sport=1024 dport=443 state=established flags=assured,seen_reply timeout=7200 count=$BASE_TCP vary=sport
proto=udp src=10.1.0.2 dst=192.0.2.53 sport=1024 dport=53 timeout=7200 count=$BASE_UDP vary=sport
EOF

# Event mode, unless this build does not have it yet (then dump mode alone,
# said in the log): any other failure to start is a failure.
modes=(dump events)
if ! "$CTSCOPE" --json --mode events --netns "$NS" >/dev/null 2>"$tmp/probe"; then
	grep -q 'not built yet' "$tmp/probe" || ct_fail "ctscope --mode events cannot read $NS: $(cat "$tmp/probe")"
	ct_log "this build has no event mode yet: soaking dump mode alone"
	modes=(dump)
fi

# ctscope in each mode, one JSON line per second each.
declare -A pid
for mode in "${modes[@]}"; do
	"$CTSCOPE" --json --mode $mode --interval 1 --top 3 --netns "$NS" >"$tmp/$mode.json" 2>"$tmp/$mode.err" &
	pid[$mode]=$!
	ct_on_exit "kill -KILL ${pid[$mode]}"
done
sleep 2
for mode in "${modes[@]}"; do
	kill -0 "${pid[$mode]}" 2>/dev/null || ct_fail "ctscope --mode $mode died at start: $(cat "$tmp/$mode.err")"
done

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# churn_lines ROUND: CHURN entries whose keys no earlier round used.
churn_lines() {
	local r=$1 a=$(($1 / 250 % 250 + 1)) b=$(($1 % 250 + 1))
	echo "proto=tcp src=10.2.$a.$b dst=198.18.$a.1 sport=2000 dport=80 state=syn_sent timeout=600 count=$((CHURN / 2)) vary=dst"
	echo "proto=udp src=10.3.$a.$b dst=192.0.2.99 sport=2000 dport=$((1000 + r % 60000)) timeout=600 count=$((CHURN / 2)) vary=sport"
}

ct_log "churning $CHURN entries a round for $SOAK_SECONDS s on top of $((BASE_TCP + BASE_UDP))"
start=$(date +%s)
round=0
: >"$tmp/rss"
while [ $(($(date +%s) - start)) -lt "$SOAK_SECONDS" ]; do
	round=$((round + 1))
	churn_lines $round >"$tmp/round"
	"$CTINJECT" --netns "$NS" -q <"$tmp/round" || ct_fail "round $round: inject failed"
	sleep 0.3
	"$CTINJECT" --netns "$NS" --delete -q <"$tmp/round" || ct_fail "round $round: delete failed"
	echo "$(($(date +%s) - start)) $(rss_kib "${pid[dump]}") $(rss_kib "${pid[events]:-0}")" >>"$tmp/rss"
	for mode in "${modes[@]}"; do
		kill -0 "${pid[$mode]}" 2>/dev/null || ct_fail "ctscope --mode $mode died in round $round: $(tail -c 2000 "$tmp/$mode.err")"
	done
	sleep 0.3
done
ct_log "$round rounds, $((round * CHURN)) entries made and deleted"

# Quiet again: let both take a few reads of the settled table.
sleep 4
kernel=$(ct_count "$NS")
[ "$kernel" -eq $((BASE_TCP + BASE_UDP)) ] || ct_fail "the kernel holds $kernel entries after the churn, expected $((BASE_TCP + BASE_UDP)) (ctinject --delete missed some)"
for mode in "${modes[@]}"; do
	kill -INT "${pid[$mode]}"
done
for mode in "${modes[@]}"; do
	for _ in $(seq 100); do kill -0 "${pid[$mode]}" 2>/dev/null || break; sleep 0.1; done
	kill -0 "${pid[$mode]}" 2>/dev/null && ct_fail "ctscope --mode $mode did not stop within 10 s of SIGINT"
	wait "${pid[$mode]}"
	rc=$?
	[ $rc -eq 0 ] || ct_fail "ctscope --mode $mode exited $rc: $(tail -c 2000 "$tmp/$mode.err")"
	[ -s "$tmp/$mode.err" ] && ct_fail "ctscope --mode $mode wrote to stderr: $(head -c 3000 "$tmp/$mode.err")"
done

# Counts: the last report of each mode is the settled table.
python3 - "$tmp" "$BASE_TCP" "$BASE_UDP" "$kernel" "${modes[@]}" <<'PY' || ct_fail "counts wrong after the churn (above)"
import json, sys
tmp, tcp, udp, kernel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bad = 0
for mode in sys.argv[5:]:
    lines = open(f"{tmp}/{mode}.json").read().splitlines()
    d = json.loads(lines[-1])
    top = d["top_destinations"][0]
    got = {
        "reports": len(lines) > 0,
        "entries": d["table"]["entries"],
        "ipv4": d["families"]["ipv4"],
        "tcp": d["protocols"]["tcp"],
        "udp": d["protocols"]["udp"],
        "established": d["tcp_states"]["established"],
        "syn_sent": d["tcp_states"]["syn_sent"],
        "top": (top["protocol"], top["address"], top["port"], top["entries"]),
    }
    want = {
        "reports": True, "entries": kernel, "ipv4": tcp + udp, "tcp": tcp, "udp": udp,
        "established": tcp, "syn_sent": 0, "top": ("tcp", "192.0.2.80", 443, tcp),
    }
    for k in want:
        if got[k] != want[k]:
            print(f"FAIL: {mode}: {k} is {got[k]}, expected {want[k]}")
            bad += 1
    c = d["collector"]
    print(f"{mode}: {len(lines)} reports, last: entries {got['entries']}, collector {c}")
sys.exit(1 if bad else 0)
PY

# RSS: flat once warm. Not in an ASan build: its quarantine holds freed
# memory back (up to 256 MiB), so RSS climbs with every free there; that
# build's leak check is LeakSanitizer at exit, above.
if ldd "$CTSCOPE" 2>/dev/null | grep -q libasan || nm "$CTSCOPE" 2>/dev/null | grep -q ' __asan_init'; then
	ct_log "AddressSanitizer build: RSS not compared (quarantine), LeakSanitizer checked the exit"
	echo "PASS: $round churn rounds in $SOAK_SECONDS s: counts exact, clean stop, no leak at exit (modes: ${modes[*]})"
	exit 0
fi
python3 - "$tmp/rss" "${modes[@]}" <<'PY' || ct_fail "RSS grows under churn (above)"
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
if len(rows) < 8:
    print(f"FAIL: only {len(rows)} RSS samples: run longer (SOAK_SECONDS)")
    sys.exit(1)
q = len(rows) // 4
bad = 0
for col, mode in enumerate(sys.argv[2:], start=1):
    second = max(r[col] for r in rows[q:2 * q])
    last = max(r[col] for r in rows[3 * q:])
    first = rows[0][col]
    limit = second * 1.10 + 2048
    verdict = "ok" if last <= limit else "GROWS"
    print(f"{mode}: RSS {first} KiB at start, peak {second} KiB in the second quarter, {last} KiB in the last ({verdict}, limit {limit:.0f})")
    bad += last > limit
sys.exit(1 if bad else 0)
PY
echo "PASS: $round churn rounds in $SOAK_SECONDS s: RSS flat, counts exact, clean stop (modes: ${modes[*]})"
