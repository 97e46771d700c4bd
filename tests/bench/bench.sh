#!/bin/bash
# tests/bench/bench.sh — `sudo make bench`: ctscope against the kernel's
# own floor and the tools people use today, side by side in one run.
#
# Fills a throwaway namespace with BENCH_ENTRIES (default 1,000,000)
# entries, one distinct destination each, then times with timeit.py (each
# command BENCH_RUNS times after a warm-up, round by round, interleaved): the floor (tests/bench/floor:
# dump, receive, look at nothing), ctscope --mode dump (split in two dumps
# at once, as auto chooses for a first read) and with --dump-split none, --mode stats,
# conntrack -L, cat /proc/net/nf_conntrack where the kernel has it, and a
# text parse like munin's fw_conntrack. Peak RSS of ours with GNU time.
# A scaling run (10k, 100k, then the full size) shows dump mode staying
# proportional to the floor. Then event mode over the same table: its
# quiet reads, a burst of BENCH_BURST new entries from BENCH_INJECTORS
# processes at once, and a flush of the whole table (one DESTROY each, at
# the kernel's own pace): events lost, CPU per event, and whether the last
# report equals the kernel. Prints a table of medians and ratios to the
# floor and writes $BUILD/bench/results.json.
#
# Only one bench namespace is alive at a time: the kernel keeps one hash
# table for every namespace, so a dump anywhere walks all of them.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
ENTRIES=${BENCH_ENTRIES:-1000000}
RUNS=${BENCH_RUNS:-5}
SOURCES_PER=${BENCH_DESTS_PER_SOURCE:-250}
OUT=$BUILD/bench
mkdir -p "$OUT"
FLOOR=$BUILD/tests/bench/floor
TIMEIT=$CTSCOPE_SRC/tests/bench/timeit.py
for tool in conntrack /usr/bin/time "$FLOOR" "$CTSCOPE" "$CTINJECT"; do
	command -v "$tool" >/dev/null || ct_fail "bench needs $tool (run 'sudo make deps' and 'make')"
done

# Entries: the integration mix's families and protocols, every entry its
# own destination, each source opening SOURCES_PER of them (a gateway's
# clients). Timeouts are long: the table must not shrink while we measure.
bench_lines() { # bench_lines N [OFFSET]: OFFSET shifts every address, for a second batch
	python3 - "$1" "$SOURCES_PER" "${2:-0}" <<'EOF'
import ipaddress, sys
n, per, offset = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
shapes = [  # share, proto, family, dport, state, flags
    (40, "tcp", 4, 443, "established", "assured,seen_reply"),
    (15, "tcp", 6, 443, "established", "assured,seen_reply"),
    (10, "tcp", 4, 80, "time_wait", "assured,seen_reply"),
    (20, "udp", 4, 53, None, "seen_reply"),
    (10, "udp", 6, 53, None, ""),
    (5, "icmp", 4, None, None, ""),
]
dst4 = int(ipaddress.ip_address("100.64.0.0")) + offset
dst6 = int(ipaddress.ip_address("2001:db8::")) + offset
src = int(ipaddress.ip_address("10.0.0.1")) + offset
src6 = int(ipaddress.ip_address("fd00::1")) + offset
wants = [n * shape[0] // 100 for shape in shapes]
wants[-1] = n - sum(wants[:-1])
for (share, proto, fam, dport, state, flags), want in zip(shapes, wants):
    left = want
    while left > 0:
        c = min(per, left)
        if fam == 4:
            s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst4); dst4 += c; src += 1
        else:
            s, d = ipaddress.ip_address(src6), ipaddress.ip_address(dst6); dst6 += c; src6 += 1
        line = f"proto={proto} src={s} dst={d} timeout=86000 count={c} vary=dst"
        if dport:
            line += f" sport=40000 dport={dport}"
        if state:
            line += f" state={state}"
        if flags:
            line += f" flags={flags}"
        print(line)
        left -= c
EOF
}

fill() { # fill NS N
	bench_lines "$2" | "$CTINJECT" -q --netns "$1" || ct_fail "cannot fill $1 with $2 entries"
	local have
	have=$(ct_count "$1")
	[ "$have" -eq "$2" ] || ct_fail "$1 holds $have entries, wanted $2"
}

median_of() { # median_of JSON NAME [KEY] -> the command's median seconds (or KEY)
	python3 -c 'import json,sys; r=[x for x in json.load(open(sys.argv[1]))["results"] if x["command"]==sys.argv[2]]; print(r[0][sys.argv[3]] if r else "")' "$1" "$2" "${3:-median}"
}


ct_raise_max $((ENTRIES + 100000))
echo "ctscope bench: $(nproc) cores, kernel $(uname -r), $(date -u +%FT%TZ)"
# The dump is received on one core and parsed on the other: a busy second
# core makes dump mode look up to 1.5x slower than it is. Say so.
busy=$(ps -eo pcpu=,pid=,comm= --sort=-pcpu | awk -v me=$$ '$1 > 20 && $2 != me {print $3 " (" $1 "%)"}' | head -n 3 | paste -sd, -)
[ -z "$busy" ] || echo "warning: other processes are busy ($busy): ratios will be off"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- scaling: dump mode against the floor at growing sizes ----
scaling=()
for n in 10000 100000 "$ENTRIES"; do
	[ "$n" -le "$ENTRIES" ] || continue
	ct_netns "bench$n"
	# every entry gets an event cache, so the flush below reports each
	# one (with the default 2, entries made while nobody listened die
	# without a DESTROY); it is what a host running conntrackd has
	ip netns exec "$CT_NS" sysctl -qw net.netfilter.nf_conntrack_events=1 ||
		ct_fail "cannot switch conntrack events on in $CT_NS"
	fill "$CT_NS" "$n"
	python3 "$TIMEIT" --warmup 1 --runs "$RUNS" --json "$OUT/scale-$n.json" \
		-n floor "$FLOOR --netns $CT_NS" \
		-n dump "$CTSCOPE --json --mode dump --netns $CT_NS" >/dev/null 2>"$OUT/scale-$n.err" ||
		ct_fail "timing failed at $n entries: $(tail -n 3 "$OUT/scale-$n.err")"
	scaling+=("$n $(median_of "$OUT/scale-$n.json" floor) $(median_of "$OUT/scale-$n.json" dump) $(median_of "$OUT/scale-$n.json" dump ratio_to_first)")
	if [ "$n" -ne "$ENTRIES" ]; then ip netns del "$CT_NS"; fi
done
NS=$CT_NS

# ---- the full comparison at ENTRIES ----
cmds=(-n floor "$FLOOR --netns $NS"
	-n "ctscope --mode dump" "$CTSCOPE --json --mode dump --netns $NS"
	-n "ctscope --mode dump, one dump" "$CTSCOPE --json --mode dump --dump-split none --netns $NS"
	-n "ctscope --mode stats" "$CTSCOPE --json --mode stats --netns $NS"
	-n "conntrack -L" "ip netns exec $NS conntrack -L -o extended"
	-n "conntrack -C" "ip netns exec $NS conntrack -C")
if [ -r /proc/net/nf_conntrack ]; then
	cmds+=(-n "cat /proc/net/nf_conntrack" "ip netns exec $NS cat /proc/net/nf_conntrack")
	# what munin's fw_conntrack does: read the text, count states per line
	cmds+=(-n "munin fw_conntrack-style parse" "ip netns exec $NS awk '{for(i=1;i<=NF;i++) if(\$i ~ /^(ESTABLISHED|TIME_WAIT|SYN_SENT|FIN_WAIT|CLOSE_WAIT|SYN_RECV|LAST_ACK|CLOSE)\$/) s[\$i]++; n++} END{for(k in s) print k, s[k]; print n}' /proc/net/nf_conntrack")
fi
python3 "$TIMEIT" --warmup 1 --runs "$RUNS" --json "$OUT/compare.json" "${cmds[@]}" \
	>/dev/null 2>"$OUT/compare.err" || ct_fail "timing failed: $(tail -n 3 "$OUT/compare.err")"

# ---- event mode at ENTRIES: quiet intervals, then a burst of new entries ----
BURST=${BENCH_BURST:-200000}
ct_raise_max $((ENTRIES + BURST + 100000))
/usr/bin/time -o "$OUT/events.rss" -f %M \
	"$CTSCOPE" --json --mode events --interval 1 --count 25 --netns "$NS" >"$OUT/events.jsonl" 2>"$OUT/events.err" &
ev_pid=$!
ct_on_exit "kill $ev_pid"
for _ in $(seq 600); do [ "$(wc -l <"$OUT/events.jsonl")" -ge 6 ] && break; sleep 0.1; done
[ "$(wc -l <"$OUT/events.jsonl")" -ge 6 ] || ct_fail "event mode gave no reports: $(cat "$OUT/events.err")"
# The burst comes from INJECTORS processes at once (one alone makes
# ~160,000 entries/s here): the aim is a stream faster than 200,000/s.
INJECTORS=${BENCH_INJECTORS:-2}
bench_lines "$BURST" $((ENTRIES * 2)) >"$OUT/burst.lines"
for i in $(seq "$INJECTORS"); do
	awk -v n="$INJECTORS" -v i="$i" 'NR % n == i - 1' "$OUT/burst.lines" >"$OUT/burst.$i"
done
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime, all threads
ct_pid=$(pgrep -P "$ev_pid" -x ctscope || echo "$ev_pid")
cpu_before=$(cpu_ticks "$ct_pid")
burst_start=$(date +%s.%N)
pids=()
for i in $(seq "$INJECTORS"); do
	"$CTINJECT" -q --netns "$NS" <"$OUT/burst.$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || ct_fail "cannot inject the burst"; done
burst_s=$(awk -v a="$burst_start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
# then the whole table goes at once, as fast as the kernel can say so:
# conntrack -F sends one DESTROY per entry
flush_entries=$(ct_count "$NS")
flush_start=$(date +%s.%N)
ip netns exec "$NS" conntrack -F >/dev/null 2>&1 || ct_fail "cannot flush $NS"
flush_s=$(awk -v a="$flush_start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
# the follower applies the last events within a moment; a second is
# ample, and the CPU time then covers both streams (and the reports of
# those seconds, a few ms each)
sleep 1
cpu_after=$(cpu_ticks "$ct_pid")
cpu_burst_s=$(awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$(getconf CLK_TCK)" 'BEGIN { print (b - a) / hz }')
wait "$ev_pid" || ct_fail "event mode failed: $(cat "$OUT/events.err")"
truth_entries=$(ct_count "$NS")

python3 - "$OUT" "$ENTRIES" "" "" "" "$load_start" "$BURST" "$burst_s" "$truth_entries" "$cpu_burst_s" "$INJECTORS" "$flush_entries" "$flush_s" "${scaling[@]}" <<'EOF'
import json, os, platform, statistics, sys
out, entries = sys.argv[1], int(sys.argv[2])
load_start = sys.argv[6]
load_end = " ".join(open("/proc/loadavg").read().split()[:3])
scaling = [dict(zip(("entries", "floor_s", "dump_s", "ratio"), (int(a), float(b), float(c), float(d))))
           for a, b, c, d in (s.split() for s in sys.argv[14:])]
cpu_s, injectors = float(sys.argv[10]), int(sys.argv[11])
flush_entries, flush_s = int(sys.argv[12]), float(sys.argv[13])
burst, burst_s, truth_entries = int(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
res = json.load(open(os.path.join(out, "compare.json")))["results"]
by_name = {r["command"]: r for r in res}
rows = []
print(f"\n{entries:,} entries, {os.cpu_count()} cores, kernel {platform.release()}, "
      f"load average {load_start} at start, {load_end} at end; {len(res[0]['times'])} rounds, interleaved")
print(f"{'command':<32} {'median':>9} {'min':>8} {'max':>8} {'x floor':>8} {'(range)':>13} {'peak RSS':>10}")
for r in res:
    name = r["command"]
    rows.append({"command": name, "median_s": r["median"], "min_s": r["min"], "max_s": r["max"],
                 "stddev_s": r["stddev"], "ratio_to_floor": r["ratio_to_first"],
                 "ratio_to_floor_min": r["ratio_min"], "ratio_to_floor_max": r["ratio_max"],
                 "runs": len(r["times"]), "peak_rss_kib": r["peak_rss_kib"]})
    spread = f"{r['ratio_min']:.2f}-{r['ratio_max']:.2f}"
    print(f"{name:<32} {r['median']:>8.3f}s {r['min']:>7.3f}s {r['max']:>7.3f}s {r['ratio_to_first']:>7.2f}x"
          f" {spread:>13} {r['peak_rss_kib'] / 1024:>6.1f} MiB")
print("(x floor: median of the per-round ratios, each round running every command once)")
ctl = by_name.get("conntrack -L")
vs_conntrack = None
for name in ("ctscope --mode dump", "ctscope --mode dump, one dump"):
    dump = by_name.get(name)
    if not (dump and ctl):
        continue
    per_round = sorted(d / c for d, c in zip(dump["times"], ctl["times"]))
    ratio = {"median": statistics.median(per_round), "min": per_round[0], "max": per_round[-1]}
    if vs_conntrack is None:
        vs_conntrack = ratio
    print(f"{name} / conntrack -L: {ratio['median']:.2f} (rounds {ratio['min']:.2f}-{ratio['max']:.2f})")
print("\nscaling (dump mode / floor, interleaved, median of per-round ratios):")
for s in scaling:
    print(f"  {s['entries']:>9,} entries: floor {s['floor_s']:.3f}s  dump {s['dump_s']:.3f}s  {s['ratio']:.2f}x"
          f"  ({s['dump_s'] / s['entries'] * 1e9:.0f} ns/entry)")
json.dump({"entries": entries, "cores": os.cpu_count(), "kernel": platform.release(),
           "loadavg_start": load_start, "loadavg_end": load_end,
           "results": rows, "dump_vs_conntrack_L": vs_conntrack, "scaling": scaling}, open(os.path.join(out, "results.json"), "w"), indent=2)
reports = [json.loads(l) for l in open(os.path.join(out, "events.jsonl"))]
col = [r["collector"] for r in reports]
quiet = sorted(c["duration_ms"] for c in col[1:5])  # after the initial dump, before the burst
# events the follower applied from the last report before the burst on
ev_n = col[-1]["events"] - col[5]["events"]
last = reports[-1]
events = {"initial_dump_ms": col[0]["duration_ms"], "quiet_ms_median": quiet[len(quiet) // 2],
          "quiet_ms_max": quiet[-1], "burst_entries": burst, "burst_injectors": injectors,
          "burst_seconds": burst_s, "burst_events_per_s": burst / burst_s,
          "flush_entries": flush_entries, "flush_seconds": flush_s, "flush_events_per_s": flush_entries / flush_s,
          "events_applied": ev_n, "events_expected": burst + flush_entries, "cpu_seconds": cpu_s,
          "us_cpu_per_event": cpu_s * 1e6 / ev_n if ev_n else None,
          "resyncs": last["collector"]["resyncs"], "lost_events": last["collector"]["lost_events"],
          "last_report_entries": last["table"]["entries"], "kernel_entries": truth_entries,
          "mirror_entries": sum(last["families"].values()),
          "peak_rss_kib": int(open(os.path.join(out, "events.rss")).read().split()[-1])}
print(f"\nevent mode over {entries:,} entries: first read (dump + mirror) {events['initial_dump_ms']:.0f} ms;"
      f" quiet read median {events['quiet_ms_median']:.2f} ms (max {events['quiet_ms_max']:.2f})")
print(f"  burst: {burst:,} new entries from {injectors} injectors in {burst_s:.2f} s"
      f" ({events['burst_events_per_s']:,.0f} events/s)")
print(f"  flush: {flush_entries:,} entries destroyed in {flush_s:.2f} s ({events['flush_events_per_s']:,.0f} events/s)")
print(f"  {ev_n:,} events applied of {burst + flush_entries:,}" +
      (f", {events['us_cpu_per_event']:.2f} us of ctscope CPU each" if ev_n else "") +
      f"; resyncs {events['resyncs']}, lost events {events['lost_events']}")
print(f"  last report: {events['mirror_entries']:,} entries in the mirror, kernel count {truth_entries:,};"
      f" peak RSS {events['peak_rss_kib'] / 1024:.1f} MiB")
with open(os.path.join(out, "results.json")) as f:
    doc = json.load(f)
doc["events"] = events
json.dump(doc, open(os.path.join(out, "results.json"), "w"), indent=2)
print(f"\nwritten: {os.path.join(out, 'results.json')}")
EOF
