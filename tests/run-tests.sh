#!/bin/bash
# Runs every test and closes with one line "N passed, N failed[, N skipped]".
# A test is a unit binary ($BUILD/tests/unit/test_*) or an executable script
# tests/{integration,e2e}/*.sh. Exit 0 passes, 77 skips (the script prints
# why), anything else fails. ONLY=pattern runs the tests whose path matches.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD=$(cd "$BUILD" && pwd)
export CTSCOPE_SRC=$(pwd)
pass=0 fail=0 skip=0 failed=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"
tests=()
for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] && [ "${t%.o}" = "$t" ] && [ "${t%.d}" = "$t" ] && tests+=("$t")
done
for t in tests/integration/*.sh tests/e2e/*.sh; do
	[ -x "$t" ] && tests+=("$t")
done
for t in "${tests[@]}"; do
	case "$t" in *${ONLY:-}*) ;; *) continue ;; esac
	name=${t#"$BUILD"/}
	log=$logdir/$(echo "$name" | tr '/' '_').log
	start=$(date +%s)
	"$t" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS  $name (${secs}s)"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP  $name: $(grep -h '^SKIP' "$log" | tail -n 1)"
	else
		fail=$((fail + 1)); failed+=("$name"); echo "FAIL  $name (exit $rc, ${secs}s)"
		tail -n 25 "$log" | sed 's/^/      | /'
	fi
done
line="$pass passed, $fail failed"
[ $skip -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ $fail -eq 0 ]
