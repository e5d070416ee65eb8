#!/bin/sh
# Installs what the tests need, builds, runs the whole test suite (make check),
# then `make distcheck` (the tarball builds, passes make check, installs and
# uninstalls cleanly; MOD_LAIN_DISTCHECK=0 skips it), and ends with a summary
# line: "N passed, N failed, N skipped" (N: TAP test points, not test files),
# then one line per skipped point saying which test and why (its "# SKIP reason").
# MOD_LAIN_CHECK=quick runs only the build, the unit and the integration tests: not the
# sanitizer, valgrind and fuzz runs, nor make distcheck. What is skipped so is named in
# a SKIP: line with the reason and counted as one skip each.
set -u
cd "$(dirname "$0")/.."
sh scripts/deps.sh test || exit 1
sh scripts/build.sh || exit 1
rm -f tests/*/*.trs
not_run=""
quick="MOD_LAIN_CHECK=quick: build, unit and integration tests only"
if [ "${MOD_LAIN_CHECK:-}" = quick ]; then
	set -- TESTS='$(unit_tests) $(integration_tests)'
	not_run=$(make -s print-tool-tests)
fi
make -k check VERBOSE=1 "$@" >make-check.log 2>&1
status=$?
grep -E '^(PASS|FAIL|XFAIL|XPASS|SKIP|ERROR):' make-check.log || true
if [ $status -ne 0 ]; then
	echo "--- failures ---"
	grep -B2 -A30 -E '^(not ok|Bail out)' tests/*/*.log 2>/dev/null | head -300
fi
pass=$(cat tests/*/*.trs 2>/dev/null | grep -c '^:test-result: \(PASS\|XFAIL\)')
fail=$(cat tests/*/*.trs 2>/dev/null | grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)')
skip=$(cat tests/*/*.trs 2>/dev/null | grep -c '^:test-result: SKIP')
[ $status -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
if [ -n "$not_run" ] || [ "${MOD_LAIN_DISTCHECK:-1}" = 0 ]; then
	[ -n "$not_run" ] && why=$quick || why="MOD_LAIN_DISTCHECK=0"
	echo "SKIP: make distcheck ($why)"
	skip=$((skip + 1))
else
	if make distcheck >make-distcheck.log 2>&1; then
		echo "PASS: make distcheck"
		pass=$((pass + 1))
	else
		echo "FAIL: make distcheck (make-distcheck.log)"
		grep -E '^(FAIL|ERROR):|Error|error:' make-distcheck.log | head -40
		fail=$((fail + 1))
		status=1
	fi
fi
for t in $not_run; do
	echo "SKIP: $t ($quick)"
	skip=$((skip + 1))
done
echo "$pass passed, $fail failed, $skip skipped"
# why each skipped point skipped: the TAP "# SKIP reason" of tests/*/*.log
for log in tests/*/*.log; do
	t=${log%.log}
	sed -n -e "s|^ok [0-9]* *-* *\(.*\) # SKIP \(.*\)|  skipped: $t: \1 (\2)|p" \
		-e "s|^1\.\.0 # SKIP \(.*\)|  skipped: $t, all of it (\1)|p" "$log"
done
exit $status
