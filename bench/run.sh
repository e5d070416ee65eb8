#!/bin/sh
# mod-lain benchmarks (issue 6), one command, as root on Debian 12:
#
#   bench/run.sh            full run: clusters of 1k, 10k, 100k containers, every
#                           measurement, then doc/benchmarks.md and doc/bench-*.png
#   bench/run.sh --quick    smoke run: 1k only, 3 s runs, 10 updates; the report goes to
#                           $OUT/benchmarks.md (doc/ is left alone)
#
# Options (before any bench.py option, which are passed through, e.g. --sizes 10k):
#   --out DIR        work and results directory (default /var/tmp/mod-lain-bench)
#   --head           benchmark the committed HEAD (built from `git archive` in DIR/src)
#                    instead of the work tree (built in place by scripts/build.sh)
#   --module-so F    benchmark this mod-lain.so, build nothing
#   --doc FILE       where the report goes (plots beside it)
#
# Installs (apt-get): the build packages (scripts/deps.sh), dnsperf, tinydns (djbdns'
# server), gnuplot-nox, libcjson-dev, libsimdjson-dev, g++, and linux-perf if there is
# one. Uses only 127.0.0.0/8 (tinydns on 127.0.0.2:53). Every process it starts is
# stopped by its PID. Takes about 20 minutes (--quick: about 1).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
out=/var/tmp/mod-lain-bench
quick=0
head=0
so=""
doc=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift ;;
	--out) out=$2; shift 2 ;;
	--head) head=1; shift ;;
	--module-so) so=$2; shift 2 ;;
	--doc) doc=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "bench/run.sh: run as root (apt-get, tinydns on port 53)" >&2
	exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# packages
sh scripts/deps.sh bench
if ! command -v perf >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		linux-perf >/dev/null 2>&1 || echo "linux-perf not installed: no profile"
fi

# the module
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$so" ]; then
	desc="$so"
elif [ $head = 1 ]; then
	rm -rf "$out/src"
	mkdir -p "$out/src"
	git archive HEAD | tar -x -C "$out/src"
	# directories that EXTRA_DIST names may be empty, so absent from the archive
	mkdir -p "$out/src/bench" "$out/src/doc" "$out/src/docker" "$out/src/.ci"
	(cd "$out/src" && autoreconf -fi >/dev/null 2>&1 && ./configure -q &&
		make -j"$(nproc)" >/dev/null)
	so="$out/src/.libs/mod-lain.so"
	desc="commit $commit (git archive HEAD, ./configure && make)"
else
	sh scripts/build.sh
	so="$top/.libs/mod-lain.so"
	dirty=""
	[ -n "$(git status --porcelain -- module 2>/dev/null)" ] && dirty=" + uncommitted changes in module/"
	desc="work tree at commit $commit$dirty (scripts/build.sh)"
fi
[ -f "$so" ] || { echo "no module at $so" >&2; exit 1; }

# parse helpers
mkdir -p "$out/bin"
# (with the module's own reader: module/member.c and module/lainlet.c)
cc -O2 -Wall -std=gnu11 -D_GNU_SOURCE -Imodule -o "$out/bin/parse_bench" bench/parse_bench.c \
	bench/parse_module.c \
	module/member.c module/lainlet.c module/lainlet_data.c module/rr.c module/mem.c module/tinydata.c \
	-ljansson -lcjson $(pkg-config --cflags --libs libknot)
c++ -O2 -std=c++17 -Wall -o "$out/bin/simdjson_bench" bench/simdjson_bench.cpp -lsimdjson

extra="$*"
if [ $quick = 1 ]; then
	set -- --quick "$@"
	[ -n "$doc" ] || doc="$out/benchmarks.md"
	cmd="bench/run.sh --quick"
else
	[ -n "$doc" ] || doc="$top/doc/benchmarks.md"
	cmd="bench/run.sh"
fi
# (knot-dev.sh: its knotd loads $so even when a mod-lain.so is installed)
sh scripts/knot-dev.sh python3 bench/bench.py --module-so "$so" --module-desc "$desc" \
	--bin "$out/bin" --out "$out" "$@"
python3 bench/report.py --results "$out/results.json" --doc "$doc" \
	--notes bench/notes.md --command "$cmd${extra:+ $extra}"
