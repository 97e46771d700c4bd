#!/bin/bash
# hostile_stdout_closed: the reader of ctscope's output goes away, or its
# output cannot be written. ctscope (JSON and the report) must end by
# itself within a few seconds, never be killed by a signal or a sanitizer,
# and say something only when it is not the reader's own choice:
#   | head -c 10   the reader closed the pipe: exit quietly (status 1 or 0)
#   >&-            stdout closed before start: exit 1, one line saying so
#   >/dev/full     a write error: exit 1, one line naming the error
# (in every mode: stats, dump, events).
# The netdata plugin's closed pipe is tests/e2e/netdata_errors.sh's; here
# it only gets the closed and the full stdout.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
PLUGIN=$BUILD/netdata-plugin/ctscope.plugin
ct_need "$CTSCOPE"
ct_need "$CTINJECT"
ct_tmpdir stdout
ct_netns stdout
# Enough entries that one report is far longer than what head keeps.
echo 'proto=tcp src=10.0.0.1 dst=192.0.2.1 sport=1 dport=443 count=300 vary=dst timeout=3600' |
	"$CTINJECT" --netns "$CT_NS" -q || ct_fail "cannot inject entries"
failures=0

# verdict WHAT RC ALLOWED_RCS STDERR_PATTERN ('' = stderr must be empty)
verdict() {
	local what=$1 rc=$2 allowed=$3 pattern=$4 ok=1
	case " $allowed " in *" $rc "*) ;; *) echo "FAIL: $what: exit $rc, expected one of $allowed (124: hung)"; ok=0 ;; esac
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then
		echo "FAIL: $what: sanitizer report"; ok=0
	elif [ -z "$pattern" ] && [ -s "$tmp/err" ]; then
		echo "FAIL: $what: said something although the reader left by choice"; ok=0
	elif [ -n "$pattern" ] && ! grep -qiE -- "$pattern" "$tmp/err"; then
		echo "FAIL: $what: stderr does not match /$pattern/"; ok=0
	elif [ -n "$pattern" ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		echo "FAIL: $what: the error is said more than once"; ok=0
	fi
	if [ $ok -eq 1 ]; then echo "ok: $what (exit $rc)"; else failures=$((failures + 1)); sed 's/^/    stderr| /' "$tmp/err"; fi
}

for args in "--json" "" "--json --mode stats" "--json --mode events"; do
	# shellcheck disable=SC2086 # word-split on purpose
	timeout 15 "$CTSCOPE" $args --interval 1 --netns "$CT_NS" 2>"$tmp/err" | head -c 10 >/dev/null
	verdict "ctscope $args --interval 1 | head -c 10" "${PIPESTATUS[0]}" "0 1" ''
	# shellcheck disable=SC2086
	timeout 15 "$CTSCOPE" $args --interval 1 --netns "$CT_NS" 2>"$tmp/err" >&-
	verdict "ctscope $args --interval 1 >&-" $? "1" 'standard output'
	# shellcheck disable=SC2086
	timeout 15 "$CTSCOPE" $args --interval 1 --netns "$CT_NS" 2>"$tmp/err" >/dev/full
	verdict "ctscope $args --interval 1 >/dev/full" $? "1" 'standard output.*(no space|ENOSPC)'
done

if [ -x "$PLUGIN" ]; then
	# netdata's rules: exit 0 lets netdata restart the plugin later, which
	# is what a lost stdout calls for; a hang or a signal is never right.
	timeout 15 "$PLUGIN" 1 --netns "$CT_NS" 2>"$tmp/err" >&-
	verdict "ctscope.plugin 1 >&-" $? "0" ''
	timeout 15 "$PLUGIN" 1 --netns "$CT_NS" 2>"$tmp/err" >/dev/full
	verdict "ctscope.plugin 1 >/dev/full" $? "0" ''
else
	echo "no $PLUGIN in this build: plugin cases not run"
fi

[ $failures -eq 0 ] || ct_fail "$failures case(s) wrong (see above)"
echo "PASS: a lost or broken stdout ends ctscope by itself, quietly when the reader chose it"
