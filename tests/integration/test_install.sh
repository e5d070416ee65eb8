#!/bin/sh
# `make install` / `make uninstall` with DESTDIR (TAP): mod-lain.so (and no libtool
# archive) in the module directory, mod-lain(7) in man7, nothing left after
# uninstall; the man page is built from doc/mod-lain.rst's current sections. Then,
# as root, knotd finds the installed module in its own module directory and runs a
# knot.conf with only `global-module: mod-lain/default` and a mod-lain section: the
# installed tree is overlaid on the real directory in a private mount namespace
# (unshare -m), so nothing is installed on the machine. With mod-lain.so installed
# there, a knotd started as make check starts it (scripts/knot-dev.sh, the harness)
# and the demo (scripts/demo.sh) still load the built module and answer, and the
# demo's "change a document" hint changes an answer.
#
# Environment (set by `make check`): MOD_LAIN_BUILDDIR, MOD_LAIN_SRCDIR,
# MOD_LAIN_MODULEDIR, MOD_LAIN_MANDIR, MOD_LAIN_MAKE, KNOTD, KNOTC, KDIG.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=${MOD_LAIN_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${MOD_LAIN_BUILDDIR:-$src}
make=${MOD_LAIN_MAKE:-make}
# the recursive make must not join make check's job server
unset MAKEFLAGS MFLAGS MAKELEVEL

n=0
failed=0
ok() {	# ok COND-STATUS DESCRIPTION [DIAG-FILE]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		if [ -n "${3:-}" ] && [ -f "$3" ]; then sed 's/^/# /' "$3" | tail -30; fi
	fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

if [ ! -f "$build/Makefile" ]; then
	echo "1..0 # SKIP no configured build tree at $build (run through make check)"
	exit 0
fi
# mkvar NAME: a variable of the build tree's Makefile
mkvar() {
	# shellcheck disable=SC2016
	printf 'mod-lain-print-var:\n\t@echo $(%s)\n' "$1" |
		$make -s --no-print-directory -C "$build" -f Makefile -f - mod-lain-print-var
}
moduledir=${MOD_LAIN_MODULEDIR:-$(mkvar moduledir)}
mandir=${MOD_LAIN_MANDIR:-$(mkvar mandir)}
case $mandir in *'$'*) mandir=$(mkvar mandir) ;; esac

tool() {
	for d in "" /usr/sbin /sbin /usr/bin; do
		if [ -z "$d" ]; then command -v "$1" 2>/dev/null && return 0
		elif [ -x "$d/$1" ]; then echo "$d/$1"; return 0; fi
	done
	return 1
}
KNOTD=${KNOTD:-$(tool knotd || echo knotd)}
KNOTC=${KNOTC:-$(tool knotc || echo knotc)}
KDIG=${KDIG:-$(tool kdig || echo kdig)}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mod-lain-install.XXXXXX")
pids=""
demo=""
cleanup() {
	[ -z "$demo" ] || MOD_LAIN_DEMO_DIR=$demo sh "$src/scripts/demo.sh" stop >/dev/null 2>&1
	for p in $pids; do
		kill "$p" 2>/dev/null && sleep 0.2
		kill -9 "$p" 2>/dev/null
	done
	if [ -n "${MOD_LAIN_KEEP_TMP:-}" ] && [ "$MOD_LAIN_KEEP_TMP" != 0 ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- install / uninstall with DESTDIR -------------------------------------------

d=$tmp/destdir
$make -C "$build" install DESTDIR="$d" >"$tmp/install.out" 2>&1
ok $? "make install DESTDIR=... succeeds" "$tmp/install.out"
test -f "$d$moduledir/mod-lain.so"
ok $? "mod-lain.so in the module directory ($moduledir)"
grep -E 'libtool|Libraries have been installed|LD_LIBRARY_PATH' "$tmp/install.out" >"$tmp/banner"
test ! -s "$tmp/banner"
ok $? "make install says nothing of libtool (no library advice: a knotd module)" "$tmp/banner"
find "$d" -name '*.la' >"$tmp/la"
test ! -s "$tmp/la"
ok $? "no libtool archive installed" "$tmp/la"
test -f "$d$mandir/man7/mod-lain.7"
ok $? "mod-lain.7 in $mandir/man7"
find "$d" ! -type d | sed "s#^$d##" | sort >"$tmp/files"
printf '%s\n' "$mandir/man7/mod-lain.7" "$moduledir/mod-lain.so" | sort >"$tmp/want"
diff "$tmp/want" "$tmp/files" >"$tmp/files.diff" 2>&1
ok $? "nothing else installed" "$tmp/files.diff"
if command -v nm >/dev/null 2>&1; then
	nm -D --defined-only "$d$moduledir/mod-lain.so" >"$tmp/nm" 2>&1
	grep -q ' D knotd_mod_api$' "$tmp/nm"
	ok $? "the installed module exports knotd_mod_api" "$tmp/nm"
else
	skip "the installed module exports knotd_mod_api" "nm not installed"
fi
$make -C "$build" uninstall DESTDIR="$d" >"$tmp/uninstall.out" 2>&1
ok $? "make uninstall DESTDIR=... succeeds" "$tmp/uninstall.out"
find "$d" ! -type d >"$tmp/left"
test ! -s "$tmp/left"
ok $? "make uninstall leaves no files" "$tmp/left"

# --- the man page -----------------------------------------------------------------

man=$src/doc/mod-lain.7
sed 's/\\//g' "$man" >"$tmp/man.plain"	# roff escapes (\-) out
grep -q '^\.TH "MOD-LAIN" 7' "$man"
ok $? "doc/mod-lain.7 is a section 7 page for mod-lain"
# every heading of doc/mod-lain.rst (a line over a ---- or .... underline) is in it
awk 'prev != "" && /^(-+|\.+)$/ && length($0) >= length(prev) { print prev } { prev = $0 }' \
	"$src/doc/mod-lain.rst" | sed 's/``//g' >"$tmp/headings"
: >"$tmp/missing"
while IFS= read -r h; do
	up=$(echo "$h" | tr '[:lower:]' '[:upper:]')
	grep -qixF -e ".SH $up" -e ".SS $h" -e ".SH \"$up\"" -e ".SS \"$h\"" "$tmp/man.plain" ||
		echo "$h" >>"$tmp/missing"
done <"$tmp/headings"
test -s "$tmp/headings" && test ! -s "$tmp/missing"
ok $? "doc/mod-lain.7 has every section of doc/mod-lain.rst (else: make man)" "$tmp/missing"
if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -wmac -wchar -wescape -Wbreak -z "$man" >"$tmp/groff" 2>&1 && test ! -s "$tmp/groff"
	ok $? "groff formats doc/mod-lain.7 without warnings" "$tmp/groff"
else
	skip "groff formats doc/mod-lain.7 without warnings" "groff not installed"
fi

# --- knotd finds the installed module in its module directory --------------------

e2e="knotd loads the installed module from its module directory"
knotd_dir=$(pkg-config --variable=module_instdir knotd 2>/dev/null || true)
why=""
if [ "$moduledir" != "$knotd_dir" ]; then
	why="configured moduledir $moduledir is not knotd's ($knotd_dir)"
elif [ "$(id -u)" != 0 ]; then
	why="needs root (a private mount namespace)"
elif ! command -v unshare >/dev/null 2>&1; then
	why="unshare not installed"
elif ! { command -v "$KNOTD" && command -v "$KNOTC" && command -v "$KDIG" && command -v python3; } >/dev/null 2>&1; then
	why="knotd, knotc, kdig or python3 missing"
fi
# the deepest existing directory of moduledir gets the installed tree overlaid
top=$moduledir
while [ -n "$top" ] && [ ! -d "$top" ]; do top=$(dirname "$top"); done
if [ -z "$why" ]; then
	d=$tmp/root
	$make -C "$build" install DESTDIR="$d" >"$tmp/install2.out" 2>&1 ||
		why="make install failed"
	# in the namespace: overlay $d$top on $top, then run "$@"
	cat >"$tmp/ns.sh" <<EOF
mount -t overlay mod-lain-test -o "lowerdir=$d$top:$top" "$top" || exit 97
exec "\$@"
EOF
	unshare -m sh "$tmp/ns.sh" true >"$tmp/ns.out" 2>&1 ||
		why="no overlay mount in a private namespace here: $(head -1 "$tmp/ns.out")"
fi
if [ -n "$why" ]; then
	for t in "without the overlay, knotd does not know mod-lain" "$e2e: conf-check" \
		"$e2e: answers" "$e2e: a module section too is an error" \
		"installed: make check's knotd answers" \
		"installed: make check's knotd maps the built module only" \
		"installed: the demo answers" "installed: the demo's knotd maps the built module only" \
		"the demo's change-a-document hint changes an answer"; do
		skip "$t" "$why"
	done
else
	python3 "$src/tests/integration/lainlet.py" --fixtures "$src/tests/fixtures" \
		--listen 127.0.0.1 --port 0 --port-file "$tmp/lainlet.port" >"$tmp/lainlet.log" 2>&1 &
	pids="$pids $!"
	i=0
	while [ ! -s "$tmp/lainlet.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	port=$(PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" python3 -c \
		'import harness; print(harness.free_port())')
	mkdir -p "$tmp/run"
	cat >"$tmp/knot.conf" <<EOF
server:
    rundir: "$tmp/run"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "$tmp/run"
mod-lain:
  - id: default
    lainlet: http://127.0.0.1:$(cat "$tmp/lainlet.port")
    heartbeat: 1
template:
  - id: default
    global-module: mod-lain/default
EOF
	{ cat "$tmp/knot.conf"; printf 'module:\n  - id: mod-lain\n    file: %s\n' \
		"$moduledir/mod-lain.so"; } >"$tmp/knot-dup.conf"

	if [ -e "$moduledir/mod-lain.so" ]; then
		skip "without the overlay, knotd does not know mod-lain" "mod-lain.so is installed in $moduledir"
	else
		"$KNOTC" -c "$tmp/knot.conf" conf-check >"$tmp/cc0.out" 2>&1
		rc=$?
		test $rc -ne 0 && grep -q "unknown module 'mod-lain'" "$tmp/cc0.out"
		ok $? "without the overlay, knotd does not know mod-lain" "$tmp/cc0.out"
	fi
	unshare -m sh "$tmp/ns.sh" "$KNOTC" -c "$tmp/knot.conf" conf-check >"$tmp/cc.out" 2>&1
	ok $? "$e2e: conf-check" "$tmp/cc.out"

	unshare -m sh "$tmp/ns.sh" "$KNOTD" -c "$tmp/knot.conf" >"$tmp/knotd.log" 2>&1 &
	knotd=$!
	pids="$pids $knotd"
	ans=""
	i=0
	while [ "$ans" != 172.20.1.4 ] && [ $i -lt 100 ] && kill -0 "$knotd" 2>/dev/null; do
		ans=$("$KDIG" @127.0.0.1 -p "$port" +short +time=1 +retry=0 web-1.console.lain A 2>/dev/null)
		[ "$ans" = 172.20.1.4 ] || sleep 0.1
		i=$((i + 1))
	done
	test "$ans" = 172.20.1.4
	ok $? "$e2e: answers (web-1.console.lain A 172.20.1.4)" "$tmp/knotd.log"
	kill "$knotd" 2>/dev/null
	i=0
	while kill -0 "$knotd" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

	unshare -m sh "$tmp/ns.sh" "$KNOTC" -c "$tmp/knot-dup.conf" conf-check >"$tmp/dup.out" 2>&1
	rc=$?
	test $rc -ne 0 && grep -q 'duplicate module' "$tmp/dup.out"
	ok $? "$e2e: a module section too is an error (duplicate module)" "$tmp/dup.out"
fi

# --- with mod-lain.so installed, make check and the demo load the built one -------

if [ -z "$why" ]; then
	MOD_LAIN_SO=${MOD_LAIN_SO:-$build/.libs/mod-lain.so}
	export MOD_LAIN_SO
	built=$(readlink -f "$MOD_LAIN_SO")
	# in_installed CMD...: CMD where $moduledir holds the installed mod-lain.so
	# shellcheck disable=SC2016
	in_installed() {
		unshare -m sh "$tmp/ns.sh" sh -c 'test -e "$0" && exec "$@"' \
			"$moduledir/mod-lain.so" "$@"
	}
	# a knotd as the tests start it: harness.Knotd, through knot-dev.sh as make check does
	cat >"$tmp/built.py" <<'EOF'
import harness
with harness.Lainlet() as ll, harness.Knotd(lainlets=[ll.url]) as kd:
    a = harness.wait_until(lambda: harness.query(kd.port, 'web-1.console.lain').rrs(), 10)
    print('answer', ' '.join(r[3] for r in a or []))
    with open('/proc/%d/maps' % kd.proc.pid) as f:
        print('maps', ' '.join(sorted({l.split()[-1] for l in f
                                       if l.rstrip().endswith('/mod-lain.so')})))
EOF
	PYTHONPATH="$here" in_installed sh "$src/scripts/knot-dev.sh" python3 "$tmp/built.py" \
		>"$tmp/built.out" 2>&1
	grep -qx 'answer 172.20.1.4' "$tmp/built.out"
	ok $? "installed: make check's knotd answers (web-1.console.lain A 172.20.1.4)" \
		"$tmp/built.out"
	grep -qxF "maps $built" "$tmp/built.out"
	ok $? "installed: make check's knotd maps the built module only, not the installed one" \
		"$tmp/built.out"

	# the demo, on its own port and in its own directory
	demo=$tmp/demo
	MOD_LAIN_DEMO_DIR=$demo
	MOD_LAIN_DEMO_PORT=$(PYTHONPATH="$here" python3 -c 'import harness; print(harness.free_port())')
	export MOD_LAIN_DEMO_DIR MOD_LAIN_DEMO_PORT
	in_installed sh "$src/scripts/demo.sh" >"$tmp/demo.out" 2>&1
	grep -Eq '^ +web-1\.console\.lain A +-> 172\.20\.1\.4 ' "$tmp/demo.out"
	ok $? "installed: the demo answers (web-1.console.lain A 172.20.1.4)" "$tmp/demo.out"
	pid=$(cat "$demo/knotd.pid" 2>/dev/null || echo none)
	# (seen from outside knotd's mount namespace, a path may carry a chroot's prefix,
	# which may hold "mod-lain" itself: only the module's own file is looked at)
	grep '/mod-lain\.so$' "/proc/$pid/maps" 2>&1 | awk '{ print $NF }' | sort -u \
		>"$tmp/demo.maps"
	test -s "$tmp/demo.maps" && ! grep -qvF "$built" "$tmp/demo.maps"
	ok $? "installed: the demo's knotd maps the built module only, not the installed one" \
		"$tmp/demo.maps"
	sed -n 's/^Change a doc: *//p' "$tmp/demo.out" >"$tmp/hint"
	sh "$tmp/hint" >"$tmp/hint.out" 2>&1
	ans=""
	i=0
	while [ "$ans" != 172.20.1.99 ] && [ $i -lt 100 ]; do
		ans=$("$KDIG" @127.0.0.1 -p "$MOD_LAIN_DEMO_PORT" +short +time=1 +retry=0 \
			web-1.console.lain A 2>/dev/null)
		[ "$ans" = 172.20.1.99 ] || sleep 0.1
		i=$((i + 1))
	done
	test -s "$tmp/hint" && test "$ans" = 172.20.1.99
	ok $? "the demo's change-a-document hint changes an answer (web-1.console.lain A: $ans)" \
		"$tmp/hint"
	sh "$src/scripts/demo.sh" stop >/dev/null 2>&1
	demo=""
fi

echo "1..$n"
[ $failed -eq 0 ]
