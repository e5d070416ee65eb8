#!/bin/sh
# Runs mod-lain's whole test suite (scripts/check.sh), or COMMAND, in a Debian root of
# another release: Debian 13 (trixie, Knot 3.4) or Debian testing (Knot 3.5).
# Usage: scripts/debian-root.sh SUITE [COMMAND [ARG...]]      (as root)
#   SUITE    a Debian suite debootstrap knows: trixie, testing, bookworm, sid...
#   COMMAND  runs in a copy of this source tree inside the root (default: sh scripts/check.sh)
# The root is built with debootstrap from Debian's mirror and cached outside the clone
# (MOD_LAIN_ROOTS, default /var/cache/mod-lain/roots/SUITE); it is built again when older
# than MOD_LAIN_ROOT_DAYS days (default 7); scripts/deps.sh installs the test packages in it
# on every run (only what is missing, so a changed package list is picked up).
# MOD_LAIN_MIRROR (default http://deb.debian.org/debian) is the mirror; MOD_LAIN_DISTCHECK
# and MOD_LAIN_CHECK are passed on to scripts/check.sh. Logs stay in the root's copy of
# the tree (printed at the end) until the next run.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 SUITE [COMMAND [ARG...]]" >&2; exit 2; }
suite=$1
shift
[ $# -gt 0 ] || set -- sh scripts/check.sh
[ "$(id -u)" = 0 ] || { echo "$0: debootstrap, chroot and mount need root" >&2; exit 2; }
case $suite in
*/* | .* | "") echo "$0: bad suite name: $suite" >&2; exit 2 ;;
esac
src=$(cd "$(dirname "$0")/.." && pwd)
cache=${MOD_LAIN_ROOTS:-/var/cache/mod-lain/roots}
mirror=${MOD_LAIN_MIRROR:-http://deb.debian.org/debian}
days=${MOD_LAIN_ROOT_DAYS:-7}
root=$cache/$suite
stamp=$root/.mod-lain-root
tree=/build/mod-lain
started=$(date +%s)

sh "$src/scripts/deps.sh" roots
mkdir -p "$cache"
# One run per root at a time.
exec 9>"$cache/$suite.lock"
flock 9

mounted=""
# unmount_all: unmounts what this run mounted, the last mounted first
unmount_all() {
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" || echo "$0: cannot unmount $m" >&2
	done
	mounted=""
}
trap unmount_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# mounts_under DIR: lists the mount points at or under DIR
mounts_under() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts
}

# build_root: debootstraps a fresh root and swaps it in for the cached one
build_root() {
	if [ -n "$(mounts_under "$root")" ]; then
		echo "$0: $root still has mounts (another run?): $(mounts_under "$root")" >&2
		exit 1
	fi
	echo "debian-root: building the $suite root in $root from $mirror"
	rm -rf --one-file-system "$root.new"
	log=$cache/$suite.debootstrap.log
	debootstrap --variant=minbase "$suite" "$root.new" "$mirror" >"$log" 2>&1 || {
		tail -20 "$log" >&2
		echo "$0: debootstrap failed ($log)" >&2
		exit 1
	}
	# Packages must not start services (knot's would listen on the host's port 53).
	printf '#!/bin/sh\nexit 101\n' >"$root.new/usr/sbin/policy-rc.d"
	chmod 755 "$root.new/usr/sbin/policy-rc.d"
	case $suite in
	testing | unstable | sid)
		# The mirror's Release file for these may carry an expired Valid-Until.
		echo 'Acquire::Check-Valid-Until "false";' \
			>"$root.new/etc/apt/apt.conf.d/99mod-lain-valid-until" ;;
	esac
	echo 'APT::Install-Recommends "false";' >"$root.new/etc/apt/apt.conf.d/99mod-lain-norecommends"
	rm -rf --one-file-system "$root"
	mv "$root.new" "$root"
	date -u >"$stamp"
}

if [ ! -f "$stamp" ] || [ -z "$(find "$stamp" -mtime -"$days")" ]; then
	build_root
fi
if [ -n "$(mounts_under "$root")" ]; then
	echo "$0: $root still has mounts (a run killed by SIGKILL?); unmount them first:" \
		"$(mounts_under "$root")" >&2
	exit 1
fi

# A clean copy of the source tree: the files git knows (committed or not, not ignored).
rm -rf --one-file-system "$root$tree"
mkdir -p "$root$tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z -co --exclude-standard |
		(cd "$src" && tar --null --ignore-failed-read -cf - -T -) | tar -xf - -C "$root$tree"
else
	# a release tarball: copy it all, then drop what this machine's configure made
	(cd "$src" && tar -cf - .) | tar -xf - -C "$root$tree"
	rm -f "$root$tree/Makefile" "$root$tree/config.status" "$root$tree/libtool"
	find "$root$tree" \( -name '*.o' -o -name '*.lo' -o -name '*.la' -o -name .libs \
		-o -name .deps \) -prune -exec rm -rf {} +
fi

# What the tests need from the kernel; unmounted on exit, also on failure. The root is
# a mount point itself, so that `unshare -m` in the tests can make its mounts private.
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount --bind "$root" "$root"
mounted=$root
for m in proc sys dev dev/pts dev/shm; do
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount -t sysfs sysfs "$root/sys" ;;
	*) mount --bind "/$m" "$root/$m" ;;
	esac
	mounted="$root/$m $mounted"
done

# run_in_root COMMAND...: runs COMMAND in the tree's copy with a clean environment
run_in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		MOD_LAIN_DISTCHECK="${MOD_LAIN_DISTCHECK:-1}" MOD_LAIN_CHECK="${MOD_LAIN_CHECK:-}" \
		sh -c 'cd "$0" && exec "$@"' "$tree" "$@"
}

run_in_root sh scripts/deps.sh test
knot=$(run_in_root knotd --version | head -1)
echo "debian-root: $suite ($knot)"
status=0
run_in_root "$@" || status=$?
echo "debian-root: $suite done in $(($(date +%s) - started)) s, exit $status;" \
	"logs in $root$tree"
exit $status
