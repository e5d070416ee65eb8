#!/bin/sh
# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, and the table
# publish/lookup stress under ThreadSanitizer and ASan. TAP output.
set -u
src=${MOD_LAIN_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CC=${SANITIZE_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "1..0 # SKIP $CC not installed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deps="libknot libcurl jansson liburcu"
cflags="-g -O1 -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -I$src/module $(pkg-config --cflags $deps)"
libs="$(pkg-config --libs $deps) -lpthread"
core=$(sh "$src/tests/core-sources.sh" "$src")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1
export MOD_LAIN_FIXTURES="$src/tests/fixtures"
n=0
failed=0

# build NAME SANITIZER MAIN... : links MAIN with the core sources into $tmp/NAME
build() {
	name=$1 san=$2
	shift 2
	# shellcheck disable=SC2086
	$CC $cflags -fsanitize=$san $core "$@" $libs -o "$tmp/$name" >"$tmp/$name.build" 2>&1
}

check() {
	name=$1 desc=$2
	n=$((n + 1))
	if "$tmp/$name" >"$tmp/$name.out" 2>&1 && ! grep -q "Sanitizer" "$tmp/$name.out"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/$name.out" | grep -v '^# ok ' | head -60
		failed=1
	fi
}

for t in sse member tinydata lainlet cluster rr table answer status snapshot; do
	if [ ! -f "$src/tests/unit/test_$t.c" ]; then
		continue
	fi
	if build "asan_$t" address,undefined "$src/tests/unit/test_$t.c"; then
		check "asan_$t" "test_$t under ASan+UBSan"
	else
		n=$((n + 1)); echo "not ok $n - test_$t builds with ASan+UBSan"
		sed 's/^/# /' "$tmp/asan_$t.build" | head -30; failed=1
	fi
done
for san in thread address,undefined; do
	name="stress_$(echo $san | cut -d, -f1)"
	if build "$name" "$san" "$src/tests/sanitize/stress_publish.c"; then
		check "$name" "publish/lookup stress under -fsanitize=$san"
	else
		n=$((n + 1)); echo "not ok $n - stress builds with -fsanitize=$san"
		sed 's/^/# /' "$tmp/$name.build" | head -30; failed=1
	fi
done
echo "1..$n"
exit $failed
