#!/bin/bash
# tools_self: the tools the other tests stand on do what they say.
# ctinject makes exactly the entries its input describes. Each input line below is followed, in the
# EXPECTED list, by the entries `conntrack -L -o extended` must show for it
# (remaining timeout masked as T): NAT-like reply tuples, zones, marks, TCP
# and SCTP states, ICMP reply types, GRE keys, and count/vary carrying a
# port, an ICMP id or an address over its top. Then --delete removes them
# all, a duplicate fails with the line number and the kernel's reason (exit
# 1), and a malformed input injects nothing (exit 2). truth.py's breakdown of
# that table matches numbers worked out by hand from the input, and so does
# ctscope's (through compare.py), and ctscope spells awkward addresses as
# conntrack does.
# Run by tests/run-tests.sh (which exports CTSCOPE_SRC) or straight from the
# repo root; a missing lib.sh must stop the test, not let it pass without it.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
ct_need "$CTSCOPE" "$CTINJECT"
ct_tmpdir ctinject
ct_netns inject

cat >"$tmp/input" <<'IN'
proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=1000 dport=443 state=established timeout=3600 flags=assured,seen_reply mark=5 count=2 vary=sport
proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=1000 dport=443 state=syn_sent2 timeout=30 zone=7
proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=65535 dport=81 state=time_wait count=2 vary=sport
proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=2000 dport=80 reply_src=10.1.1.1 reply_dport=3000 count=2 vary=sport flags=seen_reply
proto=udp src=fd00::ffff dst=fd00::2 sport=53 dport=53 flags=seen_reply count=2 vary=src
proto=udplite src=10.0.0.9 dst=10.0.0.2 sport=1 dport=2
proto=sctp src=10.0.0.9 dst=10.0.0.2 sport=1 dport=2 state=established vtag_orig=5 vtag_reply=6
proto=icmp src=10.0.0.9 dst=10.0.0.2 id=65535 count=2 vary=id
proto=icmp src=10.0.0.9 dst=10.0.0.2 type=13 id=9
proto=icmpv6 src=fd00::9 dst=fd00::2 id=7
proto=gre src=10.0.0.9 dst=10.0.0.2 sport=10 dport=20 count=2 vary=dport
proto=50 src=10.0.0.255 dst=10.0.0.2 count=2 vary=src
IN
cat >"$tmp/expected" <<'OUT'
ipv4 2 gre 47 T src=10.0.0.9 dst=10.0.0.2 srckey=0xa dstkey=0x14 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 srckey=0x14 dstkey=0xa mark=0 use=1
ipv4 2 gre 47 T src=10.0.0.9 dst=10.0.0.2 srckey=0xa dstkey=0x15 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 srckey=0x15 dstkey=0xa mark=0 use=1
ipv4 2 icmp 1 T src=10.0.0.10 dst=10.0.0.2 type=8 code=0 id=0 [UNREPLIED] src=10.0.0.2 dst=10.0.0.10 type=0 code=0 id=0 mark=0 use=1
ipv4 2 icmp 1 T src=10.0.0.9 dst=10.0.0.2 type=13 code=0 id=9 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 type=14 code=0 id=9 mark=0 use=1
ipv4 2 icmp 1 T src=10.0.0.9 dst=10.0.0.2 type=8 code=0 id=65535 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 type=0 code=0 id=65535 mark=0 use=1
ipv4 2 sctp 132 T ESTABLISHED src=10.0.0.9 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 sport=2 dport=1 mark=0 use=1
ipv4 2 tcp 6 T ESTABLISHED src=10.0.0.1 dst=192.0.2.1 sport=1000 dport=443 src=192.0.2.1 dst=10.0.0.1 sport=443 dport=1000 [ASSURED] mark=5 use=1
ipv4 2 tcp 6 T ESTABLISHED src=10.0.0.1 dst=192.0.2.1 sport=1001 dport=443 src=192.0.2.1 dst=10.0.0.1 sport=443 dport=1001 [ASSURED] mark=5 use=1
ipv4 2 tcp 6 T ESTABLISHED src=10.0.0.1 dst=192.0.2.1 sport=2000 dport=80 src=10.1.1.1 dst=10.0.0.1 sport=80 dport=3000 mark=0 use=1
ipv4 2 tcp 6 T ESTABLISHED src=10.0.0.1 dst=192.0.2.1 sport=2001 dport=80 src=10.1.1.1 dst=10.0.0.1 sport=80 dport=3001 mark=0 use=1
ipv4 2 tcp 6 T SYN_SENT2 src=10.0.0.1 dst=192.0.2.1 sport=1000 dport=443 [UNREPLIED] src=192.0.2.1 dst=10.0.0.1 sport=443 dport=1000 mark=0 zone=7 use=1
ipv4 2 tcp 6 T TIME_WAIT src=10.0.0.1 dst=192.0.2.1 sport=65535 dport=81 [UNREPLIED] src=192.0.2.1 dst=10.0.0.1 sport=81 dport=65535 mark=0 use=1
ipv4 2 tcp 6 T TIME_WAIT src=10.0.0.2 dst=192.0.2.1 sport=0 dport=81 [UNREPLIED] src=192.0.2.1 dst=10.0.0.2 sport=81 dport=0 mark=0 use=1
ipv4 2 udplite 136 T src=10.0.0.9 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.9 sport=2 dport=1 mark=0 use=1
ipv4 2 unknown 50 T src=10.0.0.255 dst=10.0.0.2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.255 mark=0 use=1
ipv4 2 unknown 50 T src=10.0.1.0 dst=10.0.0.2 [UNREPLIED] src=10.0.0.2 dst=10.0.1.0 mark=0 use=1
ipv6 10 icmpv6 58 T src=fd00::9 dst=fd00::2 type=128 code=0 id=7 [UNREPLIED] src=fd00::2 dst=fd00::9 type=129 code=0 id=7 mark=0 use=1
ipv6 10 udp 17 T src=fd00::1:0 dst=fd00::2 sport=53 dport=53 src=fd00::2 dst=fd00::1:0 sport=53 dport=53 mark=0 use=1
ipv6 10 udp 17 T src=fd00::ffff dst=fd00::2 sport=53 dport=53 src=fd00::2 dst=fd00::ffff sport=53 dport=53 mark=0 use=1
OUT

"$CTINJECT" --netns "$CT_NS" <"$tmp/input" >"$tmp/out" 2>"$tmp/err" || ct_fail "ctinject failed: $(cat "$tmp/err")"
grep -q "made $(grep -c . "$tmp/expected") entries, 0 failed" "$tmp/out" || ct_fail "ctinject's summary is wrong: $(cat "$tmp/out")"
ip netns exec "$CT_NS" conntrack -L -o extended 2>/dev/null | sed -E 's/^(\S+ +\S+ +\S+ +\S+) +[0-9]+ /\1 T /; s/ +/ /g' |
	LC_ALL=C sort >"$tmp/got"
diff -u "$tmp/expected" "$tmp/got" || ct_fail "the table differs from what the input describes (- expected, + got)"
ct_log "every line made the entries it describes"

# By hand from the input: 19 entries; seen_reply on 2+2 tcp and 2 udp, so
# 13 unreplied; NAT-like: the 2 with reply_src; timeouts 3600 (2), 30 (1),
# the default 600 (16, read as 599); 192.0.2.1:443 holds 2 + 1 and icmp to
# 10.0.0.2 holds 3, then come destinations of 2.
ip netns exec "$CT_NS" conntrack -L -o extended >"$tmp/dump" 2>"$tmp/dump.err"
cat "$tmp/dump" "$tmp/dump.err" | python3 "$CTSCOPE_SRC/tests/tools/truth.py" --top 2 >"$tmp/truth" ||
	ct_fail "truth.py could not parse the table"
python3 - "$tmp/truth" <<'PY' || ct_fail "truth.py's breakdown differs from the one worked out by hand"
import json, sys
t = json.load(open(sys.argv[1]))
want = {
    "entries": 19,
    "families": {"ipv4": 16, "ipv6": 3, "other": 0},
    "protocols": {"tcp": 7, "udp": 2, "udplite": 1, "icmp": 3, "icmpv6": 1, "sctp": 1, "gre": 2, "dccp": 0, "other": 2},
    "tcp_states": {"syn_sent": 0, "syn_recv": 0, "established": 4, "fin_wait": 0, "close_wait": 0, "last_ack": 0,
                   "time_wait": 2, "close": 0, "syn_sent2": 1},
    "flags": {"assured": 2, "unreplied": 13, "nat": 2},
    "timeouts": {"le_10s": 0, "le_1m": 1, "le_10m": 16, "le_1h": 2, "le_1d": 0, "gt_1d": 0},
    "zones": {"7": 1},
}
bad = [f"{k}: truth.py {t.get(k)}, by hand {v}" for k, v in want.items() if t.get(k) != v]
top = sorted((d["protocol"], d["address"], str(d["port"]), d["entries"]) for d in t["top_destinations"])
if top != [("icmp", "10.0.0.2", "None", 3), ("tcp", "192.0.2.1", "443", 3)]:
    bad.append(f"top_destinations: truth.py {top}")
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
"$CTSCOPE" --json --netns "$CT_NS" --top 2 >"$tmp/ct.json" || ct_fail "ctscope --json failed on the small table"
python3 "$CTSCOPE_SRC/tests/tools/compare.py" "$tmp/ct.json" "$tmp/truth" --top 2 ||
	ct_fail "ctscope disagrees with truth.py on the small table of every protocol (see MISMATCH lines)"

# A second run of the first line: both entries exist already.
head -n 1 "$tmp/input" >"$tmp/dup"
"$CTINJECT" -q --netns "$CT_NS" <"$tmp/dup" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || ct_fail "a duplicate entry exited $rc, expected 1"
grep -q '^ctinject: line 1 (entry 1 of 2: tcp 10.0.0.1:1000 -> 192.0.2.1:443 zone 0): kernel refused the new entry: File exists' "$tmp/err" ||
	ct_fail "a duplicate entry was not reported with its line and the kernel's reason: $(cat "$tmp/err")"

"$CTINJECT" -q --delete --netns "$CT_NS" <"$tmp/input" 2>"$tmp/err" || ct_fail "ctinject --delete failed: $(cat "$tmp/err")"
[ "$(ct_count "$CT_NS")" -eq 0 ] || ct_fail "$(ct_count "$CT_NS") entries left after deleting every line"
"$CTINJECT" -q --delete --netns "$CT_NS" <"$tmp/dup" 2>"$tmp/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'No such file or directory' "$tmp/err"; then
	ct_fail "deleting a missing entry exited $rc (expected 1, with the kernel's reason): $(cat "$tmp/err")"
fi

# One bad line among good ones: nothing at all is injected.
{ cat "$tmp/input"; echo "proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=99999"; } >"$tmp/bad"
"$CTINJECT" -q --netns "$CT_NS" <"$tmp/bad" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || ct_fail "malformed input exited $rc, expected 2"
grep -q "^ctinject: line 13: sport=99999: expected a port 0-65535" "$tmp/err" || ct_fail "malformed input not explained: $(cat "$tmp/err")"
[ "$(ct_count "$CT_NS")" -eq 0 ] || ct_fail "malformed input still injected $(ct_count "$CT_NS") entries"
# Addresses whose text is easy to get wrong: IPv4-mapped IPv6, a single zero
# group (not "::"), the unspecified and the all-ones address. ctscope must
# spell each as conntrack does (inet_ntop); --top 1000 lists them all.
"$CTINJECT" -q --netns "$CT_NS" <<'IN' || ct_fail "cannot inject the odd addresses"
proto=udp src=2001:db8:0:1:1:1:1:1 dst=::ffff:192.0.2.7 sport=9 dport=9
proto=tcp src=:: dst=2001:db8::1:0:0:1 sport=9 dport=9
proto=udp src=255.255.255.255 dst=0.0.0.0 sport=9 dport=9
proto=icmpv6 src=fe80::1 dst=ff02::1 id=1
IN
ip netns exec "$CT_NS" conntrack -L -o extended >"$tmp/odd" 2>"$tmp/odd.err"
cat "$tmp/odd" "$tmp/odd.err" | python3 "$CTSCOPE_SRC/tests/tools/truth.py" --top 1000 >"$tmp/odd.truth" ||
	ct_fail "truth.py could not parse the odd addresses"
"$CTSCOPE" --json --netns "$CT_NS" --top 1000 >"$tmp/odd.json" || ct_fail "ctscope --json failed on the odd addresses"
python3 "$CTSCOPE_SRC/tests/tools/compare.py" "$tmp/odd.json" "$tmp/odd.truth" --top 1000 ||
	ct_fail "ctscope spells or counts the odd addresses differently from conntrack (see MISMATCH lines)"

echo "PASS: ctinject makes, reports and deletes exactly what its input says; truth.py and ctscope count it as worked out by hand"
