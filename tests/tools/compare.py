#!/usr/bin/env python3
"""compare.py — holds ctscope's JSON against truth.py's reading of the same table.

    compare.py CTSCOPE_JSON TRUTH_JSON [--top N] [--netns NAME] [--timeout-slack 0.01]

CTSCOPE_JSON is the output of `ctscope --json --netns NS` (one object per
namespace; with several, --netns picks one), TRUTH_JSON that of truth.py;
either may be "-" for stdin. Prints every mismatch, one per line, and exits
1 if there is any, 0 when all agree.

Every count must be exact: table.entries, the sum of families and (in dump
mode) collector.entries_scanned against truth's entries, and families, protocols,
tcp_states, flags, zones key by key. The exception is `timeouts`: each band
may differ by --timeout-slack (default 1%) of its larger count, because time
passes between ctscope's dump and conntrack's, and an entry whose remaining
timeout was just above a band edge can cross into the band below; the test
mixes keep timeouts far from edges, so honest runs show no difference at all.

Top lists (top_destinations, top_sources, top_ports) must be exact: the same
length (N, or fewer when the table has fewer keys), the same counts rank by
rank, and the same keys, except that where the N-th count ties with keys
beyond N any of the tied keys is accepted. Addresses are matched as
addresses, then must also be spelled as conntrack spells them (inet_ntop's
canonical text: "2001:db8::1", not "2001:0db8::1").
"""
import argparse
import ipaddress
import json
import math
import sys

COUNT_GROUPS = ["families", "protocols", "tcp_states", "flags"]
TOP_LISTS = {
    "top_destinations": ("protocol", "address", "port"),
    "top_sources": ("address",),
    "top_ports": ("protocol", "port"),
}


def load_objects(path):
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    dec, i, objs = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        objs.extend(obj if isinstance(obj, list) else [obj])
    return objs


def pick(objs, netns, what):
    if netns is not None:
        objs = [o for o in objs if o.get("netns") == netns]
    if len(objs) != 1:
        sys.exit(f"compare.py: expected one {what} object{' for netns ' + netns if netns else ''}, found {len(objs)}"
                 " (pass --netns NAME to choose)")
    return objs[0]


def key_of(item, fields):
    out = []
    for f in fields:
        v = item.get(f)
        if f == "address" and v is not None:
            try:
                v = ipaddress.ip_address(v)
            except ValueError:
                pass
        out.append(v)
    return tuple(out)


def show(key):
    return " ".join("-" if k is None else str(k) for k in key)


class Comparer:
    def __init__(self, slack):
        self.slack = slack
        self.problems = []
        self.checked = 0

    def bad(self, msg):
        self.problems.append(msg)

    def exact(self, name, got, want):
        self.checked += 1
        if got is None:
            self.bad(f"{name}: absent in ctscope, truth {want}")
        elif got != want:
            self.bad(f"{name}: ctscope {got}, truth {want} ({got - want:+d})")

    def group(self, name, got, want):
        if not isinstance(got, dict):
            self.bad(f"{name}: absent in ctscope (is the mode `stats`?)")
            return
        for key in sorted(set(got) | set(want)):
            if key not in want:
                self.bad(f"{name}.{key}: ctscope has a key truth does not know (value {got[key]})")
                continue
            self.exact(f"{name}.{key}", got.get(key), want[key])

    def timeouts(self, got, want):
        if not isinstance(got, dict):
            self.bad("timeouts: absent in ctscope")
            return
        for band, w in want.items():
            g = got.get(band)
            self.checked += 1
            if g is None:
                self.bad(f"timeouts.{band}: absent in ctscope, truth {w}")
            elif abs(g - w) > math.floor(self.slack * max(g, w)):
                self.bad(f"timeouts.{band}: ctscope {g}, truth {w} ({g - w:+d}; more than "
                         f"{self.slack:.0%} apart)")

    def top(self, name, got, want, tied, n):
        fields = TOP_LISTS[name]
        if not isinstance(got, list):
            self.bad(f"{name}: absent in ctscope")
            return
        want = want[:n]
        self.checked += 1
        if len(got) != len(want):
            self.bad(f"{name}: ctscope lists {len(got)}, truth {len(want)} (top {n})")
        for rank, (g, w) in enumerate(zip(got, want), 1):
            self.checked += 1
            if g.get("entries") != w["entries"]:
                self.bad(f"{name}[{rank}]: ctscope {show(key_of(g, fields))} {g.get('entries')}, truth "
                         f"{show(key_of(w, fields))} {w['entries']}")
        cut = want[-1]["entries"] if len(want) == n and want else None
        candidates = want + (tied if cut is not None else [])
        truth_counts = {key_of(w, fields): w["entries"] for w in candidates}
        truth_text = {key_of(w, fields): w.get("address") for w in candidates}
        got_keys = {key_of(g, fields) for g in got}
        for g in got:
            k = key_of(g, fields)
            if k not in truth_counts:
                self.bad(f"{name}: ctscope lists {show(k)} ({g.get('entries')}), which is not in truth's top {n}")
            elif truth_counts[k] != g.get("entries"):
                self.bad(f"{name}: {show(k)}: ctscope {g.get('entries')}, truth {truth_counts[k]}")
            elif "address" in fields and g.get("address") != truth_text[k]:
                # Same address, other spelling: conntrack prints inet_ntop's
                # canonical text, which users will grep for.
                self.bad(f"{name}: ctscope writes {g.get('address')!r}, conntrack {truth_text[k]!r}")
        for w in want:
            k = key_of(w, fields)
            if w["entries"] != cut and k not in got_keys:
                self.bad(f"{name}: truth's {show(k)} ({w['entries']}) is missing from ctscope's list")


def compare(ct, truth, n, slack):
    c = Comparer(slack)
    entries = truth["entries"]
    c.exact("table.entries", (ct.get("table") or {}).get("entries"), entries)
    if ct.get("mode") == "dump":
        # Messages parsed by this read: the whole table in dump mode, only
        # what arrived since the last read in events mode.
        c.exact("collector.entries_scanned", (ct.get("collector") or {}).get("entries_scanned"), entries)
    fams = ct.get("families")
    c.exact("sum(families)", sum(fams.values()) if isinstance(fams, dict) else None, entries)
    for g in COUNT_GROUPS:
        c.group(g, ct.get(g), truth[g])
    zones = ct.get("zones")
    c.group("zones", zones, truth["zones"]) if isinstance(zones, dict) else c.bad("zones: absent in ctscope")
    c.timeouts(ct.get("timeouts"), truth["timeouts"])
    for name in TOP_LISTS:
        if name in truth:
            c.top(name, ct.get(name), truth[name], truth.get(name + "_tied", []), n)
    return c


def main():
    ap = argparse.ArgumentParser(description="compare ctscope --json with truth.py")
    ap.add_argument("ctscope_json")
    ap.add_argument("truth_json")
    ap.add_argument("--top", type=int, help="N of the top lists (default: the length of truth's lists)")
    ap.add_argument("--netns", help="the namespace's object, when the ctscope output has several")
    ap.add_argument("--timeout-slack", type=float, default=0.01,
                    help="allowed difference per timeout band, as a fraction of its count (default 0.01)")
    args = ap.parse_args()
    ct = pick(load_objects(args.ctscope_json), args.netns, "ctscope")
    truth = pick(load_objects(args.truth_json), None, "truth")
    n = args.top or len(truth["top_destinations"]) or 1
    c = compare(ct, truth, n, args.timeout_slack)
    for p in c.problems:
        print(f"MISMATCH {p}")
    if c.problems:
        print(f"compare.py: {len(c.problems)} mismatches ({c.checked} values checked; netns {ct.get('netns')}, "
              f"{truth['entries']} entries)")
        sys.exit(1)
    print(f"compare.py: all {c.checked} values agree (netns {ct.get('netns')}, {truth['entries']} entries)")


if __name__ == "__main__":
    main()
