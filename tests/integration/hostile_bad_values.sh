#!/bin/bash
# hostile_bad_values: values errors.sh leaves out (it has --top -1,
# --mode sideways and friends): a bad --interval, --count or --netns form
# is refused by the real binary with exit 2, the reason naming the option
# and the value, the usage reminder, and nothing on stdout, before any
# namespace is opened. (Parser-level cases: tests/unit/test_cli_options.c.)
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need "$CTSCOPE"
ct_tmpdir badval
failures=0

# refused PATTERN -- ARGS...: exit 2, stderr matches PATTERN and the usage line.
refused() {
	local pattern=$1 ok=1
	shift 2
	timeout 10 "$CTSCOPE" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ $rc -eq 2 ] || { echo "FAIL: ctscope $*: exit $rc, expected 2"; ok=0; }
	[ -s "$tmp/out" ] && { echo "FAIL: ctscope $*: printed on stdout"; ok=0; }
	grep -qE -- "$pattern" "$tmp/err" || { echo "FAIL: ctscope $*: stderr does not match /$pattern/"; ok=0; }
	grep -q '^usage: ctscope' "$tmp/err" || { echo "FAIL: ctscope $*: no usage reminder"; ok=0; }
	if [ $ok -eq 1 ]; then echo "ok: ctscope $* -> $(head -n 1 "$tmp/err")"; else failures=$((failures + 1)); sed 's/^/    stderr| /' "$tmp/err"; fi
}

refused "--interval '0'" -- --interval 0
refused "--interval '-1'" -- --interval -1
refused "--interval '1.5'" -- --interval 1.5
refused "--interval '86401'" -- --interval 86401
refused "--interval '99999999999999999999'" -- --interval 99999999999999999999
refused "--interval ' 5'" -- --interval ' 5'
refused "--interval" -- --json --interval
refused "--count '0'" -- --interval 1 --count 0
refused "--count needs --interval" -- --count 3
refused "--netns" -- --netns ''
refused "pid:abc" -- --netns pid:abc
refused "given twice" -- --netns a --netns a
# A bad value after a good namespace: still refused before anything is read.
refused "--top '-1'" -- --netns does-not-exist-$$ --top -1

# A path that is not a namespace file is refused without being opened:
# opening a FIFO would block for ever, a device could act on the open.
mkfifo "$tmp/fifo" || ct_fail "cannot make a FIFO"
for target in "$tmp/fifo" /dev/null; do
	timeout 10 "$CTSCOPE" --mode stats --netns "$target" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q "is not a namespace file" "$tmp/err"; then
		echo "ok: --netns $target -> $(head -n 1 "$tmp/err")"
	else
		failures=$((failures + 1))
		echo "--netns $target: exit $rc (1 expected, 124 is a hang): $(head -c 300 "$tmp/err")"
	fi
done

[ $failures -eq 0 ] || ct_fail "$failures bad value(s) not refused properly (see above)"
echo "PASS: every bad value is refused with exit 2 and its reason; a path that is no namespace with exit 1, unopened"
