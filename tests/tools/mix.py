#!/usr/bin/env python3
"""mix.py — prints ctinject lines for the named table shapes the tests use.

    mix.py integration [--scale K]   >= 100,000 entries x K (see CLASSES, RANKED)
    mix.py demo                      the seed's night: 52,000 long-lived ESTABLISHED
                                     entries to [2a00:1450:400b:c02::bc]:5228 among
                                     24,768 ordinary ones (76,768 in all)
    mix.py bench N                   N entries of the integration distribution, one
                                     destination each (a wide top-N table)
    --min-timeout S                  any of them without the lines whose timeout is
                                     below S (a table that does not age during a test)

The integration mix covers IPv4 and IPv6; tcp, udp, udplite, icmp, icmpv6,
sctp, gre, dccp and a numeric "other"; every TCP state (syn_sent2 too);
assured and unreplied; zones 0, 7, 42; NAT-like reply tuples; every timeout
band. Timeouts sit far from band edges: a remaining timeout only falls, so
each is at least 40 s above its band's lower edge (50 s for le_1m, 200 s
or more for le_10m: a slow machine may take 20 s between injecting and
reading), and the le_10s entries, which expire within 10 s, come last in the
output so they are the freshest when a test reads the table.

Destinations: the five RANKED ones are fixed (3,000 ESTABLISHED to one
address and port first) with distinct counts, whatever the scale; all other
entries go in chunks of at most CHUNK to fresh destinations, so nothing else
comes near the top five and `top 5` has one right answer. Sources come from
one counter so they do not collide across lines; the RANKED lines each come
from one source, which makes the top sources distinct too.

The first line is a comment with the total, e.g. "# integration x1: 113,250 entries".
"""
import argparse
import ipaddress
import signal
import sys

CHUNK = 250

# (family, proto, state, flags, timeout, zone, nat, dport, entries at scale 1)
# nat: None, "snat" (reply goes to a public address) or "dnat" (reply comes
# from an inside server).
CLASSES = [
    (4, "tcp", "established", "assured,seen_reply", 200000, 0, None, 443, 20000),
    (6, "tcp", "established", "assured,seen_reply", 200000, 0, None, 443, 8000),
    (4, "tcp", "established", "assured,seen_reply", 40000, 0, None, 22, 12000),
    (6, "tcp", "established", "assured,seen_reply", 40000, 0, None, 993, 3000),
    (4, "tcp", "established", "assured,seen_reply", 1800, 0, None, 8080, 6000),
    (4, "tcp", "syn_sent", "", 50, 0, None, 443, 4000),
    (6, "tcp", "syn_sent", "", 50, 0, None, 80, 1000),
    (4, "tcp", "syn_recv", "seen_reply", 50, 0, None, 25, 1500),
    (4, "tcp", "fin_wait", "assured,seen_reply", 200, 0, None, 443, 2000),
    (4, "tcp", "close_wait", "assured,seen_reply", 50, 0, None, 80, 1200),
    (6, "tcp", "last_ack", "assured,seen_reply", 50, 0, None, 443, 800),
    (4, "tcp", "time_wait", "assured,seen_reply", 300, 0, None, 80, 9000),
    (6, "tcp", "time_wait", "assured,seen_reply", 300, 0, None, 443, 2000),
    (4, "tcp", "syn_sent2", "", 300, 0, None, 5060, 300),
    (4, "tcp", "established", "assured,seen_reply", 300, 7, None, 3306, 2500),
    (6, "tcp", "established", "assured,seen_reply", 40000, 42, None, 5432, 1700),
    (4, "tcp", "established", "assured,seen_reply", 3000, 0, "snat", 443, 5000),
    (4, "tcp", "established", "assured,seen_reply", 300, 0, "dnat", 8443, 1500),
    (4, "udp", "", "", 50, 0, None, 53, 8000),
    (4, "udp", "", "assured,seen_reply", 150, 0, None, 123, 6000),
    (6, "udp", "", "seen_reply", 50, 0, None, 53, 3000),
    (4, "udp", "", "seen_reply", 50, 7, None, 514, 1000),
    (6, "udp", "", "seen_reply", 50, 42, None, 443, 600),
    (4, "udp", "", "assured,seen_reply", 150, 0, "snat", 4500, 2000),
    (4, "icmp", "", "", 50, 0, None, None, 2500),
    (6, "icmpv6", "", "", 50, 0, None, None, 1500),
    (4, "gre", "", "assured,seen_reply", 150, 0, None, None, 800),
    (6, "gre", "", "assured,seen_reply", 150, 0, None, None, 200),
    (4, "sctp", "established", "assured,seen_reply", 300, 0, None, 3868, 150),
    (6, "udplite", "", "", 50, 0, None, 5004, 100),
    (4, "50", "", "assured,seen_reply", 500, 0, None, None, 80),
    (4, "dccp", "", "", 400, 0, None, None, 40),
    # le_10s: expire within 10 s, printed last.
    (4, "tcp", "close", "assured,seen_reply", 10, 0, None, 443, 600),
    (4, "udp", "", "", 10, 0, None, 53, 700),
    (4, "icmp", "", "seen_reply", 10, 0, None, None, 300),
    (6, "icmpv6", "", "seen_reply", 10, 0, None, None, 200),
]

# The top five destinations, fixed counts (not scaled), each from one source.
RANKED = [
    ("tcp", "198.51.100.10", 443, "established", "assured,seen_reply", 200000, "10.200.0.1", 3000),
    ("udp", "2001:db8:53::53", 53, "", "", 50, "2001:db8:200::1", 2400),
    ("tcp", "203.0.113.80", 80, "time_wait", "assured,seen_reply", 300, "10.200.0.2", 1900),
    ("icmp", "192.0.2.99", None, "", "", 50, "10.200.0.3", 1500),
    ("tcp", "2001:db8::443", 8443, "syn_sent", "", 50, "2001:db8:200::2", 1100),
]

PORTLESS_VARY = {"icmp": "id", "icmpv6": "id", "gre": "sport"}


class Alloc:
    """Hands out consecutive address blocks, one counter per family and role."""

    def __init__(self):
        self.next = {
            ("src", 4): int(ipaddress.ip_address("10.0.0.1")),
            ("src", 6): int(ipaddress.ip_address("2001:db8:100::1")),
            ("dst", 4): int(ipaddress.ip_address("172.16.0.1")),
            ("dst", 6): int(ipaddress.ip_address("2001:db8:1::1")),
            ("pub", 4): int(ipaddress.ip_address("100.64.0.1")),
            ("in", 4): int(ipaddress.ip_address("192.168.0.1")),
        }

    def take(self, role, family, n):
        start = self.next[(role, family)]
        self.next[(role, family)] += n
        return str(ipaddress.ip_address(start) if family == 4 else ipaddress.IPv6Address(start))


def line(proto, src, dst, count, vary, state="", flags="", timeout=600, zone=0, dport=None, sport=None, extra=""):
    f = [f"proto={proto}", f"src={src}", f"dst={dst}"]
    if dport is not None:
        f += [f"sport={sport if sport is not None else 1024}", f"dport={dport}"]
    if state:
        f.append(f"state={state}")
    f.append(f"flags={flags or 'none'}")
    f.append(f"timeout={timeout}")
    if zone:
        f.append(f"zone={zone}")
    if extra:
        f.append(extra)
    if count > 1:
        f += [f"count={count}", f"vary={vary}"]
    return " ".join(f)


def class_lines(cls, total, alloc, per_dst):
    """One class as lines of count/vary. per_dst > 1: chunks of that many
    entries, each chunk to one fresh destination from fresh sources.
    per_dst == 1: every entry to a destination of its own (chunks of CHUNK
    with vary=dst, one source per chunk)."""
    family, proto, state, flags, timeout, zone, nat, dport, _ = cls
    out = []
    left = total
    while left > 0:
        n = min(per_dst if per_dst > 1 else CHUNK, left)
        left -= n
        if per_dst > 1:
            src, dst, vary = alloc.take("src", family, n), alloc.take("dst", family, 1), "src"
        else:
            src, dst, vary = alloc.take("src", family, 1), alloc.take("dst", family, n), "dst"
        extra = ""
        if proto == "sctp":
            extra = "vtag_orig=11 vtag_reply=22"
        if nat == "snat":
            # The reply goes back to a public address, one per entry.
            extra = f"reply_dst={alloc.take('pub', family, n)}"
        elif nat == "dnat":
            # The reply comes from an inside server, not the address dialled
            # (its mirror field: one per entry when the destination varies).
            extra = f"reply_src={alloc.take('in', family, 1 if vary == 'src' else n)}"
        if proto == "gre":
            # GRE keys travel where ports do.
            out.append(line(proto, src, dst, n, vary, state, flags, timeout, zone, dport=7, sport=1000, extra=extra))
        else:
            out.append(line(proto, src, dst, n, vary, state, flags, timeout, zone, dport, extra=extra))
    return out


def ranked_lines():
    out = []
    for proto, dst, dport, state, flags, timeout, src, n in RANKED:
        if dport is None:
            extra = "id=1" if proto in ("icmp", "icmpv6") else "sport=1 dport=1"
            out.append(line(proto, src, dst, n, PORTLESS_VARY[proto], state, flags, timeout, extra=extra))
        else:
            out.append(line(proto, src, dst, n, "sport", state, flags, timeout, dport=dport, sport=20000))
    return out


def short_last(lines):
    """Entries that expire within 10 s go last: freshest when the test reads."""
    def key(text):
        timeout = int(text.split("timeout=")[1].split()[0])
        return timeout <= 10
    return sorted(lines, key=key)


def total_of(lines):
    n = 0
    for text in lines:
        fields = dict(f.split("=", 1) for f in text.split())
        n += int(fields.get("count", 1))
    return n


def integration(scale):
    alloc = Alloc()
    lines = ranked_lines()
    for cls in CLASSES:
        lines += class_lines(cls, cls[-1] * scale, alloc, CHUNK)
    return short_last(lines)


def bench(n):
    base = sum(c[-1] for c in CLASSES)
    alloc = Alloc()
    lines, made = [], 0
    for i, cls in enumerate(CLASSES):
        want = n - made if i == len(CLASSES) - 1 else round(cls[-1] * n / base)
        want = max(0, min(want, n - made))
        made += want
        if want:
            lines += class_lines(cls, want, alloc, 1)
    return short_last(lines)


DEMO_DST = "2a00:1450:400b:c02::bc"
DEMO_HOT = 52000
DEMO_ORDINARY = 24768


def demo():
    alloc = Alloc()
    lines = []
    # 52,000 ESTABLISHED with 1..5 days left, in 8 timeout steps, many clients.
    steps = 8
    for i in range(steps):
        n = DEMO_HOT // steps + (1 if i < DEMO_HOT % steps else 0)
        timeout = 90000 + i * (430000 - 90000) // (steps - 1)
        lines.append(line("tcp", alloc.take("src", 6, n), DEMO_DST, n, "src", "established",
                          "assured,seen_reply", timeout, dport=5228, sport=40000))
    base = sum(c[-1] for c in CLASSES)
    made = 0
    for i, cls in enumerate(CLASSES):
        want = DEMO_ORDINARY - made if i == len(CLASSES) - 1 else round(cls[-1] * DEMO_ORDINARY / base)
        want = max(0, min(want, DEMO_ORDINARY - made))
        made += want
        if want:
            lines += class_lines(cls, want, alloc, 40)
    return short_last(lines)


def main():
    # Piped into head or a failing ctinject: stop quietly, like other filters.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description="ctinject lines for the named mixes")
    ap.add_argument("mix", choices=["integration", "demo", "bench"])
    ap.add_argument("n", nargs="?", type=int, help="bench: number of entries")
    ap.add_argument("--scale", type=int, default=1, help="integration: multiply every class by K (default 1)")
    ap.add_argument("--min-timeout", type=int, default=0, metavar="S",
                    help="drop the lines whose timeout is below S seconds (a table that does not age while a "
                         "test watches it)")
    args = ap.parse_args()
    if args.scale < 1:
        ap.error("--scale must be at least 1")
    if args.mix == "bench":
        if not args.n or args.n < 1:
            ap.error("bench needs N, the number of entries (e.g. bench 1000000)")
        lines, name = bench(args.n), f"bench {args.n}"
    elif args.n is not None:
        ap.error(f"{args.mix} takes no N")
    elif args.mix == "demo":
        lines, name = demo(), "demo"
    else:
        lines, name = integration(args.scale), f"integration x{args.scale}"
    lines = [t for t in lines if int(t.split("timeout=")[1].split()[0]) >= args.min_timeout]
    out = sys.stdout
    out.write(f"# {name}: {total_of(lines):,} entries\n")
    out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
