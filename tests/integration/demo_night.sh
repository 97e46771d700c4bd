#!/bin/bash
# demo_night: `make demo`'s report names the culprit of the seed's night. The
# plain report's first top destination is [2a00:1450:400b:c02::bc]:5228 with
# 52,000 entries, and a hint names nf_conntrack_tcp_timeout_established and
# its value 432000 (the report wraps at 80 columns, so a hint is read as one
# paragraph).
# Run by tests/run-tests.sh (which exports CTSCOPE_SRC) or straight from the
# repo root; a missing lib.sh must stop the test, not let it pass without it.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
ct_tmpdir demo
BUILD=$BUILD "$CTSCOPE_SRC/tests/tools/demo.sh" >"$tmp/report" 2>"$tmp/err" ||
	ct_fail "tests/tools/demo.sh failed: $(cat "$tmp/err")"
cat "$tmp/report"
python3 - "$tmp/report" <<'PY' || ct_fail "the demo report does not name the culprit (see above)"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
ok = True
try:
    start = next(i for i, l in enumerate(lines) if l.strip().lower().startswith("top destinations"))
    first = next(l for l in lines[start + 1:] if re.match(r"\s*1\s", l))
except StopIteration:
    sys.exit("FAIL: no 'top destinations' section with a line ranked 1")
for want in ("2a00:1450:400b:c02::bc", "5228", "52,000"):
    if want not in first:
        print(f"FAIL: the top destination line does not name {want}: {first.strip()}")
        ok = False
try:
    h = next(i for i, l in enumerate(lines) if l.strip().lower() == "hints")
except StopIteration:
    sys.exit("FAIL: the report has no hints section")
hints, cur = [], None
for l in lines[h + 1:]:
    if not l.strip():
        break
    if l.lstrip().startswith("- "):
        cur = [l.lstrip()[2:]]
        hints.append(cur)
    elif cur is not None:
        cur.append(l.strip())
texts = [" ".join(x) for x in hints]
if not any("nf_conntrack_tcp_timeout_established" in t and "432000" in t for t in texts):
    print("FAIL: no hint names nf_conntrack_tcp_timeout_established and 432000; hints were:")
    for t in texts:
        print("  -", t)
    ok = False
sys.exit(0 if ok else 1)
PY
echo "PASS: the demo report names [2a00:1450:400b:c02::bc]:5228, 52,000 and the 432000 s timeout"
