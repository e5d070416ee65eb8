#!/bin/sh
# Installs the Debian packages mod-lain builds, runs and tests with (Debian 12, 13, testing).
# Usage: scripts/deps.sh [build|test|bench|roots] [more packages...]   (as root)
#   roots: what scripts/debian-root.sh needs on the host (debootstrap)
set -eu
build="autoconf automake libtool pkg-config make gcc libknot-dev libcurl4-openssl-dev
	liburcu-dev knot knot-dnsutils python3 curl"
# clang's sanitizer runtime (libclang-rt-N-dev) is added below for the installed clang.
test="clang valgrind libjansson-dev openssl"
bench="dnsperf tinydns gnuplot-nox libjansson-dev libcjson-dev libsimdjson-dev g++"
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
# The Debian knot package starts a knotd on port 53; the demo and tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet knot 2>/dev/null; then
	systemctl stop knot || true
fi
