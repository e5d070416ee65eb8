#!/bin/sh
# The module loaded into the real knotd through integration tests:
#  - built with AddressSanitizer + UBSan, knotd with the ASan runtime preloaded;
#  - the normal build under valgrind memcheck, for a short run.
# Any sanitizer report, valgrind error or definite leak fails. TAP output.
set -u
src=${MOD_LAIN_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
so=${MOD_LAIN_SO:-$src/.libs/mod-lain.so}
py=${PYTHON3:-python3}
asan_tests=${KNOTD_ASAN_TESTS:-"test_fixtures test_updates test_limits test_lifecycle \
	test_portals test_datafile test_snapshot"}
valgrind_tests=${KNOTD_VALGRIND_TESTS:-"test_fixtures test_updates"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PYTHONPATH="$src/tests/integration"
n=0
failed=0

fail() {
	echo "not ok $n - $1"
	failed=1
}

# run_test NAME: runs one integration test, its TAP output kept for diagnostics
run_test() {
	"$py" "$src/tests/integration/$1.py" >"$tmp/$1.out" 2>&1
}

if command -v clang >/dev/null 2>&1; then
	runtime=$(clang -print-file-name=libclang_rt.asan-x86_64.so)
	deps="libknot libcurl jansson liburcu"
	n=$((n + 1))
	# shellcheck disable=SC2046
	if clang -g -O1 -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -fPIC -shared \
		-fvisibility=hidden -fsanitize=address,undefined -shared-libsan -I"$src/module" \
		$(pkg-config --cflags $deps) "$src"/module/*.c $(pkg-config --libs $deps) \
		-o "$tmp/mod-lain-asan.so" >"$tmp/build.out" 2>&1 && [ -f "$runtime" ]; then
		echo "ok $n - module builds with ASan+UBSan"
		mkdir -p "$tmp/asan"
		for t in $asan_tests; do
			n=$((n + 1))
			if MOD_LAIN_SO="$tmp/mod-lain-asan.so" MOD_LAIN_KNOTD_PRELOAD="$runtime" \
				ASAN_OPTIONS="log_path=$tmp/asan/asan:detect_leaks=1" \
				UBSAN_OPTIONS="print_stacktrace=1:log_path=$tmp/asan/ubsan" run_test "$t"; then
				echo "ok $n - $t with the ASan module in knotd"
			else
				fail "$t with the ASan module in knotd"
				grep -E '^(not ok|Bail)' "$tmp/$t.out" | sed 's/^/# /' | head -20
			fi
		done
		n=$((n + 1))
		if [ -z "$(ls "$tmp/asan")" ]; then
			echo "ok $n - no ASan, LSan or UBSan report from knotd or knotc"
		else
			fail "no ASan, LSan or UBSan report from knotd or knotc"
			head -60 "$tmp"/asan/* | sed 's/^/# /'
		fi
	else
		fail "module builds with ASan+UBSan"
		sed 's/^/# /' "$tmp/build.out" | head -20
	fi
else
	echo "ok 1 # SKIP clang not installed"
	n=1
fi

if command -v valgrind >/dev/null 2>&1; then
	mkdir -p "$tmp/vg"
	wrapper="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite"
	wrapper="$wrapper --errors-for-leak-kinds=definite --log-file=$tmp/vg/vg.%p"
	for t in $valgrind_tests; do
		n=$((n + 1))
		if MOD_LAIN_SO="$so" MOD_LAIN_KNOTD_WRAPPER="$wrapper" run_test "$t"; then
			echo "ok $n - $t with knotd under valgrind"
		else
			fail "$t with knotd under valgrind"
			grep -E '^(not ok|Bail)' "$tmp/$t.out" | sed 's/^/# /' | head -20
		fi
	done
	n=$((n + 1))
	logs=$(ls "$tmp"/vg/vg.* 2>/dev/null | wc -l)
	bad=$(grep -L 'ERROR SUMMARY: 0 errors' "$tmp"/vg/vg.* 2>/dev/null)
	if [ "$logs" -gt 0 ] && [ -z "$bad" ]; then
		echo "ok $n - valgrind: 0 errors, no definite leak in $logs knotd runs"
	else
		fail "valgrind: 0 errors, no definite leak ($logs runs)"
		for f in $bad; do grep -A30 -E 'Invalid|uninitialised|definitely lost in' "$f" |
			head -60 | sed 's/^/# /'; done
	fi
else
	n=$((n + 1))
	echo "ok $n # SKIP valgrind not installed"
fi
echo "1..$n"
exit $failed
