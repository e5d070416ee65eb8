#!/bin/sh
# Runs a command (knotd, knotc, a test, make check) so that knotd and knotc load only
# the mod-lain.so their config's `module:` section names (the freshly built one), even
# after `make install` has put a copy into knotd's module directory.
#
# knotd and knotc load every *.so of their compiled-in module directory at start, then
# the config's `module:` section loads the built copy again: both register "mod-lain",
# and the config is rejected ("duplicate module"). When that directory holds
# mod-lain.so, the command runs in a private mount namespace with an empty, read-only
# tmpfs over it (root: unshare -m; anyone else: a user namespace, unshare -rm, and the
# command runs as the same user id again). Nothing changes outside the namespace. The
# command keeps this script's PID (every step execs), so it can be stopped by that PID.
#
#   scripts/knot-dev.sh knotd -c knot.conf
#
# Environment: MOD_LAIN_KNOTD_MODULEDIR  knotd's module directory
#              [pkg-config --variable=module_instdir knotd]
set -eu
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
dir=${MOD_LAIN_KNOTD_MODULEDIR:-$(pkg-config --variable=module_instdir knotd 2>/dev/null || true)}
if [ -z "$dir" ] || [ ! -e "$dir/mod-lain.so" ]; then
	exec "$@"
fi
# In the namespace ($1: the directory, then the command): hide the directory, then run
# the command (as the caller's user id again when a user namespace made us root).
# shellcheck disable=SC2016
hide='mount -t tmpfs -o ro,size=4k,mode=755 mod-lain-dev "$1" || {
	echo "knot-dev.sh: cannot hide $1 (mod-lain.so installed there): make uninstall" >&2
	exit 125
}
shift
ids=$run_as
unset run_as
[ -z "$ids" ] && exec "$@"
exec unshare --map-user="${ids% *}" --map-group="${ids#* }" "$@"'
if [ "$(id -u)" = 0 ]; then
	exec env run_as= unshare -m sh -c "$hide" sh "$dir" "$@"
fi
exec env run_as="$(id -u) $(id -g)" unshare -rm sh -c "$hide" sh "$dir" "$@"
