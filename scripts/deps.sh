#!/bin/sh
# Installs the Debian 12 packages mod-lain builds, runs and tests with.
# Usage: scripts/deps.sh [build|test|bench] [more packages...]   (as root)
set -eu
build="autoconf automake libtool pkg-config make gcc libknot-dev libcurl4-openssl-dev
	libjansson-dev liburcu-dev knot knot-dnsutils python3 curl"
test="clang libclang-rt-14-dev valgrind"
bench="dnsperf tinydns gnuplot-nox libcjson-dev libsimdjson-dev g++"
case "${1:-build}" in
test) pkgs="$build $test" ;;
bench) pkgs="$build $bench" ;;
*) pkgs=$build ;;
esac
[ $# -gt 0 ] && shift
pkgs="$pkgs $*"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# The Debian knot package starts a knotd on port 53; the demo and tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet knot 2>/dev/null; then
	systemctl stop knot || true
fi
