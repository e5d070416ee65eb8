#!/bin/sh
# Builds every libFuzzer target with clang (fuzzer, ASan, UBSan) and runs each for
# FUZZ_SECONDS (default 20) from a copy of its seed corpus. TAP output; the
# closing comment says how many executions ran. Crashes are kept in
# $FUZZ_ARTIFACTS (default: a temporary directory) to become regression seeds.
set -u
src=${MOD_LAIN_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
seconds=${FUZZ_SECONDS:-20}
if ! command -v clang >/dev/null 2>&1; then
	echo "1..0 # SKIP clang not installed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
artifacts=${FUZZ_ARTIFACTS:-$tmp/artifacts}
mkdir -p "$artifacts"
deps="libknot jansson"
flags="-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -I$src/module"
core=$(sh "$src/tests/core-sources.sh" "$src")
n=0
failed=0
total=0
for target in "$src"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$target" .c)
	short=${name#fuzz_}
	n=$((n + 1))
	# shellcheck disable=SC2086
	if ! clang $flags $(pkg-config --cflags $deps) "$target" $core $(pkg-config --libs $deps) \
		-o "$tmp/$name" >"$tmp/$name.build" 2>&1; then
		echo "not ok $n - $name builds"
		sed 's/^/# /' "$tmp/$name.build" | head -30
		failed=1
		continue
	fi
	mkdir -p "$tmp/corpus_$short"
	cp "$src/tests/fuzz/corpus/$short/"* "$tmp/corpus_$short/" 2>/dev/null
	"$tmp/$name" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$artifacts/$name-" -print_final_stats=1 \
		"$tmp/corpus_$short" >"$tmp/$name.out" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$name.out" | tail -1)
	total=$((total + ${runs:-0}))
	if [ $rc -eq 0 ]; then
		echo "ok $n - $name: ${runs:-0} executions in ${seconds} s, no crash"
	else
		echo "not ok $n - $name crashed (artifacts in $artifacts)"
		grep -A25 -E "ERROR|SUMMARY|runtime error" "$tmp/$name.out" | sed 's/^/# /' | head -60
		failed=1
	fi
done
echo "# fuzz executions: $total"
echo "1..$n"
exit $failed
