#!/usr/bin/env python3
"""truth.py — the conntrack table's breakdown computed independently of ctscope.

Reads `conntrack -L -o extended` output and prints one JSON object with the
DESIGN.md breakdown keys, so a test can hold ctscope's numbers against a
second, unrelated reading of the same table:

    truth.py --netns NS [--top N]     runs `ip netns exec NS conntrack -L -o extended`
    truth.py [--top N] < dump.txt     parses a saved dump

Output keys: entries, families, protocols, tcp_states, flags{assured,
unreplied,nat}, timeouts{le_10s..gt_1d}, zones{"<id>": n} (non-zero zones
only), top_destinations, top_sources, top_ports — plus *_tied lists: the
entries beyond the top N whose count equals the N-th one, so a comparison can
accept either choice when ranks tie.

Semantics (DESIGN.md): addresses and ports are the original direction's;
`nat` counts entries whose reply tuple is not the original swapped (ICMP:
addresses and id only, since an echo's reply type differs by nature; GRE: the
keys swap like ports); tcp_states counts TCP only, the kernel's LISTEN being
printed as SYN_SENT2; the zone is `zone=` (CTA_ZONE) or else `zone-orig=`;
timeout bands use inclusive upper bounds (600 s is le_10m).

`conntrack -L` with no -f lists IPv4 and IPv6 alike (conntrack 1.4.7), so one
listing is the whole table; its closing "N flow entries have been shown" line
is checked against the lines parsed.
"""
import argparse
import collections
import json
import re
import subprocess
import sys

FAMILIES = {"ipv4": "ipv4", "ipv6": "ipv6"}
PROTOCOLS = {6: "tcp", 17: "udp", 136: "udplite", 1: "icmp", 58: "icmpv6", 132: "sctp", 47: "gre", 33: "dccp"}
PROTOCOL_KEYS = ["tcp", "udp", "udplite", "icmp", "icmpv6", "sctp", "gre", "dccp", "other"]
TCP_STATES = {
    "SYN_SENT": "syn_sent", "SYN_RECV": "syn_recv", "ESTABLISHED": "established", "FIN_WAIT": "fin_wait",
    "CLOSE_WAIT": "close_wait", "LAST_ACK": "last_ack", "TIME_WAIT": "time_wait", "CLOSE": "close",
    "SYN_SENT2": "syn_sent2", "LISTEN": "syn_sent2",
}
TCP_STATE_KEYS = ["syn_sent", "syn_recv", "established", "fin_wait", "close_wait", "last_ack", "time_wait",
                  "close", "syn_sent2"]
BANDS = [("le_10s", 10), ("le_1m", 60), ("le_10m", 600), ("le_1h", 3600), ("le_1d", 86400), ("gt_1d", None)]
# Protocols whose destination has a port (DESIGN.md: null for icmp, icmpv6, gre, other).
PORTED = {"tcp", "udp", "udplite", "sctp", "dccp"}
SHOWN = re.compile(r"(\d+) flow entries have been shown")


class ParseError(Exception):
    pass


def band(timeout):
    for name, bound in BANDS:
        if bound is None or timeout <= bound:
            return name
    raise AssertionError("unreachable")


def parse_line(line):
    """One `conntrack -L -o extended` line -> dict, or ParseError."""
    tok = line.split()
    if len(tok) < 5:
        raise ParseError("too few fields")
    entry = {"family": FAMILIES.get(tok[0], "other")}
    try:
        num = int(tok[3])
    except ValueError:
        raise ParseError(f"protocol number '{tok[3]}' is not a number") from None
    entry["protocol"] = PROTOCOLS.get(num, "other")
    i = 4
    entry["timeout"] = None
    if i < len(tok) and tok[i].isdigit():
        entry["timeout"] = int(tok[i])
        i += 1
    entry["state"] = None
    if i < len(tok) and "=" not in tok[i] and not tok[i].startswith("["):
        entry["state"] = tok[i]
        i += 1
    tuples = [{}, {}]
    direction = -1
    flags = set()
    extra = {}
    for t in tok[i:]:
        if t.startswith("[") and t.endswith("]"):
            flags.add(t[1:-1])
            continue
        key, eq, value = t.partition("=")
        if not eq:
            raise ParseError(f"unexpected field '{t}'")
        if key == "src":
            direction += 1
            if direction > 1:
                raise ParseError("more than two tuples")
        if key in ("src", "dst", "sport", "dport", "type", "code", "id", "srckey", "dstkey") and direction in (0, 1):
            tuples[direction][key] = value
        else:
            extra[key] = value
    if direction != 1:
        raise ParseError("expected an original and a reply tuple")
    entry["orig"], entry["reply"] = tuples
    entry["assured"] = "ASSURED" in flags
    entry["unreplied"] = "UNREPLIED" in flags
    entry["zone"] = int(extra.get("zone", extra.get("zone-orig", 0)))
    entry["nat"] = not swapped(entry["protocol"], *tuples)
    return entry


def swapped(protocol, orig, reply):
    """True when the reply tuple is the original one with ends exchanged."""
    if reply.get("src") != orig.get("dst") or reply.get("dst") != orig.get("src"):
        return False
    if protocol in ("icmp", "icmpv6"):
        return reply.get("id") == orig.get("id")
    if protocol == "gre":
        return reply.get("srckey") == orig.get("dstkey") and reply.get("dstkey") == orig.get("srckey")
    return reply.get("sport") == orig.get("dport") and reply.get("dport") == orig.get("sport")


def ranked(counter, n, make):
    """Top n of a Counter (most first, ties in key order) and the ties beyond it."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    top = items[:n]
    cut = top[-1][1] if len(top) == n and n > 0 else None
    tied = [kv for kv in items[n:] if kv[1] == cut]
    return [make(k, c) for k, c in top], [make(k, c) for k, c in tied]


def summarize(lines, top_n):
    families = dict.fromkeys(["ipv4", "ipv6", "other"], 0)
    protocols = dict.fromkeys(PROTOCOL_KEYS, 0)
    tcp_states = dict.fromkeys(TCP_STATE_KEYS, 0)
    flags = dict.fromkeys(["assured", "unreplied", "nat"], 0)
    timeouts = dict.fromkeys([b for b, _ in BANDS], 0)
    zones = collections.Counter()
    dests, sources, ports = collections.Counter(), collections.Counter(), collections.Counter()
    entries, shown, bad = 0, None, []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        m = SHOWN.search(line)
        if m and "conntrack v" in line:
            shown = int(m.group(1))
            continue
        try:
            e = parse_line(line)
        except ParseError as err:
            bad.append(f"line {lineno}: {err}: {line.strip()}")
            continue
        entries += 1
        families[e["family"]] += 1
        protocols[e["protocol"]] += 1
        if e["protocol"] == "tcp" and e["state"] in TCP_STATES:
            tcp_states[TCP_STATES[e["state"]]] += 1
        flags["assured"] += e["assured"]
        flags["unreplied"] += e["unreplied"]
        flags["nat"] += e["nat"]
        if e["timeout"] is not None:
            timeouts[band(e["timeout"])] += 1
        if e["zone"]:
            zones[e["zone"]] += 1
        port = int(e["orig"]["dport"]) if e["protocol"] in PORTED and "dport" in e["orig"] else None
        dests[(e["protocol"], e["orig"]["dst"], port)] += 1
        sources[e["orig"]["src"]] += 1
        if port is not None:
            ports[(e["protocol"], port)] += 1
    if bad:
        raise ParseError("cannot parse conntrack output:\n  " + "\n  ".join(bad[:10]))
    if shown is not None and shown != entries:
        raise ParseError(f"conntrack says it showed {shown} entries but {entries} lines were parsed")
    out = {
        "entries": entries, "families": families, "protocols": protocols, "tcp_states": tcp_states,
        "flags": flags, "timeouts": timeouts,
        "zones": {str(z): c for z, c in sorted(zones.items())},
    }
    out["top_destinations"], out["top_destinations_tied"] = ranked(
        dests, top_n, lambda k, c: {"protocol": k[0], "address": k[1], "port": k[2], "entries": c})
    out["top_sources"], out["top_sources_tied"] = ranked(
        sources, top_n, lambda k, c: {"address": k, "entries": c})
    out["top_ports"], out["top_ports_tied"] = ranked(
        ports, top_n, lambda k, c: {"protocol": k[0], "port": k[1], "entries": c})
    return out


def read_netns(netns):
    cmd = ["conntrack", "-L", "-o", "extended"]
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except FileNotFoundError as err:
        sys.exit(f"truth.py: cannot run {cmd[0]}: {err} (install the conntrack and iproute2 packages)")
    if proc.returncode != 0:
        sys.exit(f"truth.py: `{' '.join(cmd)}` failed (exit {proc.returncode}): {proc.stderr.strip()}")
    # The "N flow entries have been shown" line goes to stderr.
    return proc.stdout.splitlines() + proc.stderr.splitlines()


def main():
    ap = argparse.ArgumentParser(description="conntrack table breakdown from `conntrack -L -o extended`")
    ap.add_argument("--netns", help="read this namespace (/run/netns/NAME) by running conntrack -L there")
    ap.add_argument("--top", type=int, default=10, help="length of the top lists (default 10)")
    args = ap.parse_args()
    if args.top < 1:
        ap.error("--top must be at least 1")
    lines = read_netns(args.netns) if args.netns else sys.stdin.read().splitlines()
    try:
        out = summarize(lines, args.top)
    except ParseError as err:
        sys.exit(f"truth.py: {err}")
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
