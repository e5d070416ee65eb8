#!/bin/sh
# Installs the Debian packages mod-lain builds, runs and tests with (Debian 12, 13, testing).
# Usage: scripts/deps.sh [build|test|bench|roots] [more packages...]   (as root)
#   roots: what scripts/debian-root.sh needs on the host (debootstrap)
set -eu
build="autoconf automake libtool pkg-config make gcc libknot-dev libcurl4-openssl-dev
	libjansson-dev liburcu-dev knot knot-dnsutils python3 curl ca-certificates"
# every package a test needs, so that no test skips on a fresh machine: clang and its
# sanitizer runtime (libclang-rt-N-dev, added below for the installed clang; sanitize/,
# fuzz/), valgrind (sanitize/knotd.sh), tinydns (test_tinydns_diff:
# tinydns-data, tinydns-get), groff-base (test_install: the man page), openssl
# (test_lainlet_wire, test_faults: https), unbound (test_resolvers), binutils
# (test_install: nm)
test="clang valgrind tinydns groff-base openssl unbound binutils"
bench="dnsperf tinydns gnuplot-nox libcjson-dev libsimdjson-dev g++"
mode=${1:-build}
case $mode in
test) pkgs="$build $test" ;;
bench) pkgs="$build $bench" ;;
roots) pkgs="debootstrap" ;;
*) pkgs=$build ;;
esac
[ $# -gt 0 ] && shift
pkgs="$pkgs $*"

updated=""
# install PACKAGE...: installs those not installed yet
install() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$updated" ] || apt-get update -qq
	updated=1
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# shellcheck disable=SC2086
install $pkgs
# The runtime of the clang Debian installed (libclang-rt-14-dev on Debian 12, -19- on 13).
if [ "$mode" = test ]; then
	install "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
fi
# The Debian knot and unbound packages start a knotd / an unbound on port 53; the demo
# and the tests run their own.
for service in knot unbound; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null
	then
		systemctl stop "$service" || true
	fi
done
