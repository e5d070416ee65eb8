#!/bin/sh
# Installs the Debian 12 packages mod-lain builds, runs and tests with.
# Usage: scripts/deps.sh [build|test|bench] [more packages...]   (as root)
set -eu
build="autoconf automake libtool pkg-config make gcc libknot-dev libcurl4-openssl-dev
	liburcu-dev knot knot-dnsutils python3 curl"
# every package a test needs, so that no test skips on a fresh machine: clang and its
# ASan runtime (sanitize/, fuzz/), valgrind (sanitize/knotd.sh), jansson (unit/test_json,
# fuzz/), tinydns (test_tinydns_diff: tinydns-data, tinydns-get), groff-base
# (test_install: the man page), openssl (test_lainlet_wire, test_faults: https),
# unbound (test_resolvers), binutils (test_install: nm)
test="clang libclang-rt-14-dev valgrind libjansson-dev tinydns groff-base openssl unbound
	binutils"
bench="dnsperf tinydns gnuplot-nox libjansson-dev libcjson-dev libsimdjson-dev g++"
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
# The Debian knot and unbound packages start a knotd / an unbound on port 53; the demo
# and the tests run their own.
for service in knot unbound; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null
	then
		systemctl stop "$service" || true
	fi
done
