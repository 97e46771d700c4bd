#!/usr/bin/env python3
"""timeit.py — time commands side by side, interleaved, for the bench.

    timeit.py --runs N [--warmup W] --json OUT -n NAME 'COMMAND' [-n NAME 'COMMAND' ...]

Why not hyperfine: it runs every repetition of one command before the
next command, and on a shared machine the speed drifts between those
blocks (measured here: the floor went from 2.04 s to 2.5 s within twenty
minutes), which lands in the ratios. This runs round by round, every
command once per round, in an order rotated each round, and reports each
command's ratio to the first as the median of the per-round ratios: a
drift slower than a round cancels out. Peak RSS comes from one more run
of each under GNU time (a child forked from Python starts as a copy of
Python, whose RSS its ru_maxrss would report).

Commands are split like a shell would split them and run without a shell
(stdout to /dev/null); a command that fails stops the bench.
"""
import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(argv):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()[-400:]
        sys.exit(f"timeit: '{shlex.join(argv)}' exited {proc.returncode}: {err}")
    return elapsed


def peak_rss_kib(argv):
    with tempfile.NamedTemporaryFile("r") as out:
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if proc.returncode != 0:
            sys.exit(f"timeit: '{shlex.join(argv)}' under /usr/bin/time exited {proc.returncode}")
        return int(out.read().split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--json", required=True)
    ap.add_argument("-n", "--name", action="append", default=[])
    ap.add_argument("commands", nargs="+")
    args = ap.parse_intermixed_args()
    if len(args.name) != len(args.commands):
        sys.exit("timeit: give one -n NAME per command")
    if args.runs < 1:
        sys.exit("timeit: --runs must be at least 1")
    cmds = [shlex.split(c) for c in args.commands]
    k = len(cmds)
    times = [[] for _ in cmds]
    for r in range(args.warmup + args.runs):
        round_times = [0.0] * k
        for j in range(k):
            i = (j + r) % k  # rotate the order: no command always runs first
            round_times[i] = run_once(cmds[i])
        if r >= args.warmup:
            for i in range(k):
                times[i].append(round_times[i])
    results = []
    for i in range(k):
        ts = times[i]
        ratios = [t / b for t, b in zip(ts, times[0])]
        results.append({
            "command": args.name[i],
            "argv": args.commands[i],
            "times": ts,
            "median": statistics.median(ts),
            "min": min(ts),
            "max": max(ts),
            "stddev": statistics.stdev(ts) if len(ts) > 1 else 0.0,
            "ratio_to_first": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "peak_rss_kib": peak_rss_kib(cmds[i]),
        })
    with open(args.json, "w") as f:
        json.dump({"runs": args.runs, "warmup": args.warmup, "interleaved": True, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
