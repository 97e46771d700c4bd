#!/bin/bash
# dump_split: a big table read as two dumps at once (split.c) gives the same
# numbers as one dump, whichever way it is divided, and the division is the
# one promised. 120,000 entries (above the 100,000 where a split starts),
# long timeouts so nothing moves between reads: 55% IPv4, 75% assured, 15%
# never answered. Checked: --dump-split none, family, assured, seen_reply
# and auto all give identical JSON apart from `collector`, each scanning the
# kernel's count; auto's first read (no history) is "assured", its second
# "family" (the most even of the three last time); auto held to one core
# (taskset) and auto on a 2,000-entry table read in one dump; event mode
# reads in one dump unless told (--dump-split family), its mirror agreeing
# either way.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
ct_need "$CTSCOPE" "$CTINJECT" conntrack taskset
[ "$(nproc)" -ge 2 ] || ct_skip "needs two cores: auto splits only where it can run two dumps at once"
ct_tmpdir dump-split
ct_raise_max 300000

mix() { # mix N: N entries in the shares above, each its own destination
	python3 - "$1" <<'PY'
import ipaddress, sys
n = int(sys.argv[1])
shapes = [(45, "tcp", 4, "state=established flags=assured,seen_reply"),
          (30, "tcp", 6, "state=established flags=assured,seen_reply"),
          (10, "udp", 4, "flags=seen_reply"),
          (15, "udp", 6, "")]
d4, d6 = int(ipaddress.ip_address("100.64.0.0")), int(ipaddress.ip_address("2001:db8::"))
for share, proto, fam, extra in shapes:
    left = n * share // 100
    while left:
        c = min(250, left)
        if fam == 4:
            s, d = "10.0.0.1", ipaddress.ip_address(d4); d4 += c
        else:
            s, d = "fd00::1", ipaddress.ip_address(d6); d6 += c
        print(f"proto={proto} src={s} dst={d} sport=40000 dport=443 timeout=7200 count={c} vary=dst {extra}")
        left -= c
PY
}

ct_netns big
mix 120000 | "$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject 120,000 entries"
want=$(ct_count "$CT_NS")
[ "$want" -eq 120000 ] || ct_fail "$CT_NS holds $want entries, wanted 120000"

read_json() { # read_json OUT ARGS...: one ctscope --json read of the namespace
	local out=$1
	shift
	"$@" --json --mode dump --netns "$CT_NS" >"$tmp/$out" 2>"$tmp/$out.err" ||
		ct_fail "'$* --json --mode dump' failed: $(cat "$tmp/$out.err")"
}
read_json none.json "$CTSCOPE" --dump-split none
read_json family.json "$CTSCOPE" --dump-split family
read_json assured.json "$CTSCOPE" --dump-split assured
read_json seen_reply.json "$CTSCOPE" --dump-split seen_reply
read_json auto.json "$CTSCOPE"
read_json auto2.json "$CTSCOPE" --interval 1 --count 2
read_json onecore.json taskset -c 0 "$CTSCOPE"
# event mode splits its dumps only when told to (auto: one dump, parse-bound)
for how in auto family; do
	"$CTSCOPE" --json --mode events --dump-split $how --interval 1 --count 2 --netns "$CT_NS" \
		>"$tmp/events-$how.json" 2>"$tmp/events-$how.err" || ct_fail "ctscope --mode events failed: $(cat "$tmp/events-$how.err")"
done

python3 - "$tmp" "$want" <<'PY' || ct_fail "a split dump disagrees with one dump (see above)"
import json, os, sys
tmp, want = sys.argv[1], int(sys.argv[2])
def load(name):
    return [json.loads(l) for l in open(os.path.join(tmp, name)) if l.strip()]
cases = {"none.json": ["none"], "family.json": ["family"], "assured.json": ["assured"],
         "seen_reply.json": ["seen_reply"], "auto.json": ["assured"], "auto2.json": ["assured", "family"],
         "onecore.json": ["none"], "events-auto.json": ["none", None], "events-family.json": ["family", None]}
base = load("none.json")[0]
bad = []
for name, splits in cases.items():
    reads = load(name)
    got = [r["collector"].get("dump_split") for r in reads]
    if got != splits:
        bad.append(f"{name}: dump_split {got}, expected {splits}")
    for r in reads:
        if r["collector"].get("dump_split") and r["collector"]["entries_scanned"] != want:
            bad.append(f"{name}: scanned {r['collector']['entries_scanned']} entries, the kernel holds {want}")
        for k in set(base) | set(r):
            if k in ("collector", "mode"):
                continue
            if r.get(k) != base.get(k):
                bad.append(f"{name}: '{k}' differs from one dump: {r.get(k)!r} vs {base.get(k)!r}"[:300])
if base["families"] != {"ipv4": 66000, "ipv6": 54000, "other": 0} or base["flags"]["assured"] != 90000:
    bad.append(f"one dump itself is off: families {base['families']}, flags {base['flags']}")
for b in bad:
    print("MISMATCH", b)
sys.exit(1 if bad else 0)
PY

# a small table is read in one dump: the second walk would cost more than it saves
ct_netns small
mix 2000 | "$CTINJECT" -q --netns "$CT_NS" || ct_fail "cannot inject 2,000 entries"
"$CTSCOPE" --json --netns "$CT_NS" >"$tmp/small.json" 2>"$tmp/small.err" || ct_fail "ctscope failed: $(cat "$tmp/small.err")"
split=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["collector"].get("dump_split"))' "$tmp/small.json")
[ "$split" = none ] || ct_fail "a 2,000-entry table was read with dump_split '$split', expected 'none'"
echo "PASS: 120,000 entries read alike as one dump and split by family, assured and seen_reply; auto chose assured, then family; one core and a small table: one dump"
