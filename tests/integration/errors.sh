#!/bin/bash
# errors: ctscope's failures say what failed, why and what to do, and exit
# with the documented codes: 1 when it cannot read (no CAP_NET_ADMIN, a
# namespace that does not exist), 2 for bad usage (usage text on stderr).
# Nothing is printed on stdout when nothing could be read.
# Run by tests/run-tests.sh (which exports CTSCOPE_SRC) or straight from the
# repo root; a missing lib.sh must stop the test, not let it pass without it.
source "$(dirname "$0")/../lib.sh" || exit 1
ct_need_root
ct_need "$CTSCOPE"
ct_need setpriv

ct_tmpdir errors
failures=0

# expect CODE DESCRIPTION PATTERN... -- CMD...: CMD exits CODE, prints nothing
# on stdout, and its stderr matches every (extended, case-insensitive) PATTERN.
expect() {
	local code=$1 what=$2
	shift 2
	local patterns=()
	while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? ok=1
	if [ $rc -ne "$code" ]; then
		echo "FAIL: $what: exit $rc, expected $code"; ok=0
	fi
	if [ -s "$tmp/out" ]; then
		echo "FAIL: $what: printed on stdout although it failed: $(head -c 300 "$tmp/out")"; ok=0
	fi
	for p in "${patterns[@]}"; do
		grep -qiE -- "$p" "$tmp/err" || { echo "FAIL: $what: stderr does not match /$p/"; ok=0; }
	done
	if [ $ok -eq 1 ]; then
		echo "ok: $what"
	else
		failures=$((failures + 1))
		sed 's/^/    stderr| /' "$tmp/err"
	fi
}

# Without CAP_NET_ADMIN, in a namespace of our own (so the init namespace's
# table is not even read). The binary is copied where `nobody` can run it.
ct_netns errors
install -m 0755 "$CTSCOPE" "$tmp/ctscope"
chmod 0755 "$tmp"
nopriv=(ip netns exec "$CT_NS" setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)
for args in "" "--json" "--mode stats"; do
	# shellcheck disable=SC2086 # $args is word-split on purpose
	expect 1 "no CAP_NET_ADMIN (ctscope $args)" 'CAP_NET_ADMIN' 'root|setcap|sudo' 'not permitted|permission' -- "${nopriv[@]}" "$tmp/ctscope" $args
done

ghost=does-not-exist-$$
expect 1 "--netns $ghost" "$ghost" 'no such file|not exist|cannot' -- "$CTSCOPE" --netns "$ghost"
expect 1 "--json --netns $ghost" "$ghost" -- "$CTSCOPE" --json --netns "$ghost"

expect 2 "--bogus" 'bogus' '^usage' -- "$CTSCOPE" --bogus
expect 2 "--top -1" 'top' -- "$CTSCOPE" --top -1
expect 2 "--top 0" 'top' -- "$CTSCOPE" --top 0
expect 2 "--top 1001 (more than CTSCOPE_TOP_MAX)" 'top' -- "$CTSCOPE" --top 1001
expect 2 "--top ten" 'top' -- "$CTSCOPE" --top ten
expect 2 "--mode sideways" 'sideways' 'stats.*dump.*events' -- "$CTSCOPE" --mode sideways
expect 2 "--mode without a value" 'mode' -- "$CTSCOPE" --mode

[ $failures -eq 0 ] || ct_fail "$failures error case(s) wrong (see above)"
echo "PASS: every error case exits with its code and explains itself"
