#!/bin/sh
# mod-lain container entrypoint: renders knot.conf from the environment the old
# LAIN tinydns container used, checks it with `knotc conf-check` and runs knotd in
# the foreground (exec: knotd takes over this PID and gets the container's signals).
#
# The environment (all optional; defaults in brackets):
#   LAINLET_PORT          lainlet's port [9001]
#   LAINLET_HOST          lainlet's host [lainlet.lain: in LAIN the node's dnsmasq
#                         answers it, not this app; elsewhere give an address, a
#                         name this app serves resolves only once it has data]
#   LAINLET_URLS          full lainlet URLs, separated by spaces or commas, tried in
#                         order when one fails; replaces LAINLET_HOST/LAINLET_PORT.
#                         "none": no lainlet (only MOD_LAIN_DATA_FILE, a plain tinydns)
#   IP                    listen addresses, comma separated, as in tinydns.conf [0.0.0.0]
#   DNS_PORT              listen port [53]
#   MOD_LAIN_TTL          TTL of generated records, 0..604800 s [module default: 60]
#   MOD_LAIN_NEGATIVE_TTL SOA TTL cap of negative answers, 0..86400 s [module default: 5]
#   MOD_LAIN_SNAPSHOT     last-known-good records file [$KNOT_STORAGE/mod-lain.snapshot];
#                         empty or "none": no snapshot
#   MOD_LAIN_FORWARDERS   LAIN's per-node DNS forwarders (addresses or prefixes, spaces
#                         or commas): their EDNS Client Subnet address is the client's
#                         node; also turns on edns-client-subnet in knotd
#   MOD_LAIN_STATUS_ACL   who may ask the status name (status.mod-lain. TXT):
#                         addresses or prefixes, spaces or commas [loopback only]
#   MOD_LAIN_DATA_FILE    a tinydns-data file served next to (or instead of) lainlet
#   MOD_LAIN_EXTRA        more mod-lain items, verbatim, one "item: value" per line
#   MOD_LAIN_SO           mod-lain.so when it is not in knotd's module directory
#                         (then a module: section with file: is written)
#   KNOT_CONF             where knot.conf is written [/etc/knot/knot.conf]
#   KNOT_RUNDIR           knotd's rundir (control socket) [/run/knot]
#   KNOT_STORAGE          knotd's storage (timers) [/var/lib/knot]
#   KNOT_USER             user[:group] knotd runs as after binding the port
#                         [unset: the user that starts it]
#   KNOT_LOG_LEVEL        critical|error|warning|notice|info|debug [info], to stdout
#   KNOTD, KNOTC          the binaries [knotd, knotc from PATH or /usr/sbin]
#
# A bad value stops it before knotd starts, with a message naming the variable.
set -eu

me=entrypoint

die() {
	echo "$me: $*" >&2
	exit 2
}

# num NAME VALUE MIN MAX: VALUE must be a decimal integer in MIN..MAX
num() {
	case $2 in
	'' | *[!0-9]*) die "$1: '$2' is not a number ($3..$4)" ;;
	esac
	# at most 9 digits: no overflow in the shell's arithmetic; no octal either
	[ ${#2} -le 9 ] || die "$1: '$2' is out of range ($3..$4)"
	v=$(echo "$2" | sed 's/^0*\(.\)/\1/')
	if [ "$v" -lt "$3" ] || [ "$v" -gt "$4" ]; then
		die "$1: '$2' is out of range ($3..$4)"
	fi
	echo "$v"
}

# text NAME VALUE: VALUE goes into knot.conf inside double quotes
text() {
	# shellcheck disable=SC1003
	case $2 in
	*'"'* | *'\'* | *"
"*) die "$1: '$2' must not contain quotes, backslashes or newlines" ;;
	esac
}

# words VALUE: VALUE's items (separated by spaces or commas) separated by spaces
words() {
	echo "$1" | tr ',' ' '
}

LAINLET_PORT=${LAINLET_PORT:-9001}
LAINLET_HOST=${LAINLET_HOST:-lainlet.lain}
LAINLET_URLS=${LAINLET_URLS:-}
IP=${IP:-0.0.0.0}
DNS_PORT=${DNS_PORT:-53}
MOD_LAIN_TTL=${MOD_LAIN_TTL:-}
MOD_LAIN_NEGATIVE_TTL=${MOD_LAIN_NEGATIVE_TTL:-}
MOD_LAIN_FORWARDERS=${MOD_LAIN_FORWARDERS:-}
MOD_LAIN_STATUS_ACL=${MOD_LAIN_STATUS_ACL:-}
MOD_LAIN_DATA_FILE=${MOD_LAIN_DATA_FILE:-}
MOD_LAIN_EXTRA=${MOD_LAIN_EXTRA:-}
MOD_LAIN_SO=${MOD_LAIN_SO:-}
KNOT_CONF=${KNOT_CONF:-/etc/knot/knot.conf}
KNOT_RUNDIR=${KNOT_RUNDIR:-/run/knot}
KNOT_STORAGE=${KNOT_STORAGE:-/var/lib/knot}
KNOT_USER=${KNOT_USER:-}
KNOT_LOG_LEVEL=${KNOT_LOG_LEVEL:-info}
# unset: the default; set but empty: none
MOD_LAIN_SNAPSHOT=${MOD_LAIN_SNAPSHOT-$KNOT_STORAGE/mod-lain.snapshot}
[ "$MOD_LAIN_SNAPSHOT" = none ] && MOD_LAIN_SNAPSHOT=

tool() {
	command -v "$1" 2>/dev/null && return 0
	for d in /usr/sbin /sbin /usr/bin; do
		[ -x "$d/$1" ] && echo "$d/$1" && return 0
	done
	echo "$1"
}
KNOTD=${KNOTD:-$(tool knotd)}
KNOTC=${KNOTC:-$(tool knotc)}

# --- check the environment ---------------------------------------------------

LAINLET_PORT=$(num LAINLET_PORT "$LAINLET_PORT" 1 65535)
DNS_PORT=$(num DNS_PORT "$DNS_PORT" 1 65535)
[ -n "$MOD_LAIN_TTL" ] && MOD_LAIN_TTL=$(num MOD_LAIN_TTL "$MOD_LAIN_TTL" 0 604800)
[ -n "$MOD_LAIN_NEGATIVE_TTL" ] &&
	MOD_LAIN_NEGATIVE_TTL=$(num MOD_LAIN_NEGATIVE_TTL "$MOD_LAIN_NEGATIVE_TTL" 0 86400)

case $(echo "$LAINLET_HOST" | tr -d '[]') in
'' | *[!A-Za-z0-9.:_-]*) die "LAINLET_HOST: '$LAINLET_HOST' is not a host name or address" ;;
esac
case $LAINLET_HOST in
\[*) lainlet_host=$LAINLET_HOST ;;
*:*) lainlet_host="[$LAINLET_HOST]" ;;   # an IPv6 literal
*) lainlet_host=$LAINLET_HOST ;;
esac

if [ "$LAINLET_URLS" = none ]; then
	urls=
	[ -n "$MOD_LAIN_DATA_FILE" ] ||
		die "LAINLET_URLS: 'none' needs MOD_LAIN_DATA_FILE (nothing to serve)"
elif [ -n "$LAINLET_URLS" ]; then
	urls=$(words "$LAINLET_URLS")
	for u in $urls; do
		case $u in
		http://?* | https://?*) text LAINLET_URLS "$u" ;;
		*) die "LAINLET_URLS: '$u' is not an http:// or https:// URL" ;;
		esac
	done
else
	urls="http://$lainlet_host:$LAINLET_PORT"
fi

listen=
for a in $(words "$IP"); do
	case $a in
	*[!0-9A-Fa-f.:]* | *.*:* ) die "IP: '$a' is not an IPv4 or IPv6 address" ;;
	esac
	listen="$listen${listen:+, }$a@$DNS_PORT"
done
[ -n "$listen" ] || die "IP: no listen address"

# nets NAME VALUE: VALUE's addresses, prefixes or ranges as "a, b, c"
nets() {
	out=
	for f in $(words "$2"); do
		case $f in
		*[!0-9A-Fa-f.:/-]*) die "$1: '$f' is not an address, prefix or range" ;;
		esac
		out="$out${out:+, }$f"
	done
	echo "$out"
}
forwarders=$(nets MOD_LAIN_FORWARDERS "$MOD_LAIN_FORWARDERS")
status_acl=$(nets MOD_LAIN_STATUS_ACL "$MOD_LAIN_STATUS_ACL")

case $KNOT_LOG_LEVEL in
critical | error | warning | notice | info | debug) ;;
*) die "KNOT_LOG_LEVEL: '$KNOT_LOG_LEVEL' is not one of critical, error, warning, notice, info, debug" ;;
esac
case $KNOT_USER in
*[!A-Za-z0-9._:-]*) die "KNOT_USER: '$KNOT_USER' is not user[:group]" ;;
esac

for v in KNOT_CONF KNOT_RUNDIR KNOT_STORAGE MOD_LAIN_SNAPSHOT MOD_LAIN_DATA_FILE MOD_LAIN_SO; do
	val=
	eval "val=\$$v"
	text "$v" "$val"
	case $val in
	'' | /*) ;;
	*) die "$v: '$val' is not an absolute path" ;;
	esac
done
[ -z "$MOD_LAIN_SO" ] || [ -f "$MOD_LAIN_SO" ] || die "MOD_LAIN_SO: '$MOD_LAIN_SO' does not exist"
[ -x "$KNOTD" ] || command -v "$KNOTD" >/dev/null 2>&1 || die "KNOTD: '$KNOTD' not found"
[ -x "$KNOTC" ] || command -v "$KNOTC" >/dev/null 2>&1 || die "KNOTC: '$KNOTC' not found"

# --- directories ---------------------------------------------------------------

mkdir -p "$KNOT_RUNDIR" "$KNOT_STORAGE" "$(dirname "$KNOT_CONF")" ||
	die "cannot create KNOT_RUNDIR, KNOT_STORAGE or the directory of KNOT_CONF"
[ -z "$MOD_LAIN_SNAPSHOT" ] || mkdir -p "$(dirname "$MOD_LAIN_SNAPSHOT")" ||
	die "MOD_LAIN_SNAPSHOT: cannot create the directory of '$MOD_LAIN_SNAPSHOT'"
if [ -n "$KNOT_USER" ]; then
	# knotd binds the port as root, then runs as KNOT_USER: it must own the
	# directories it writes (control socket, timers, snapshot).
	user=${KNOT_USER%%:*}
	id "$user" >/dev/null 2>&1 || die "KNOT_USER: no user '$user'"
	if [ "$(id -u)" = 0 ]; then
		chown "$KNOT_USER" "$KNOT_RUNDIR" "$KNOT_STORAGE" ||
			die "KNOT_USER: cannot chown KNOT_RUNDIR and KNOT_STORAGE to '$KNOT_USER'"
		if [ -n "$MOD_LAIN_SNAPSHOT" ]; then
			chown "$KNOT_USER" "$(dirname "$MOD_LAIN_SNAPSHOT")" || die "KNOT_USER: cannot chown the snapshot directory"
			[ ! -e "$MOD_LAIN_SNAPSHOT" ] || chown "$KNOT_USER" "$MOD_LAIN_SNAPSHOT" || true
		fi
	fi
fi

# --- knot.conf -----------------------------------------------------------------

tmp="$KNOT_CONF.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
	echo "# Written by $0 at $(date -u '+%Y-%m-%dT%H:%M:%SZ'); changes are lost at the next start."
	echo "server:"
	echo "    rundir: \"$KNOT_RUNDIR\""
	[ -z "$KNOT_USER" ] || echo "    user: $KNOT_USER"
	echo "    listen: [ $listen ]"
	[ -z "$forwarders" ] || echo "    edns-client-subnet: on"
	echo
	echo "log:"
	echo "  - target: stdout"
	echo "    any: $KNOT_LOG_LEVEL"
	echo
	echo "database:"
	echo "    storage: \"$KNOT_STORAGE\""
	echo
	if [ -n "$MOD_LAIN_SO" ]; then
		echo "module:"
		echo "  - id: mod-lain"
		echo "    file: \"$MOD_LAIN_SO\""
		echo
	fi
	echo "mod-lain:"
	echo "  - id: default"
	for u in $urls; do
		echo "    lainlet: \"$u\""
	done
	[ -z "$MOD_LAIN_DATA_FILE" ] || echo "    data-file: \"$MOD_LAIN_DATA_FILE\""
	[ -z "$MOD_LAIN_TTL" ] || echo "    ttl: $MOD_LAIN_TTL"
	[ -z "$MOD_LAIN_NEGATIVE_TTL" ] || echo "    negative-ttl: $MOD_LAIN_NEGATIVE_TTL"
	[ -z "$MOD_LAIN_SNAPSHOT" ] || echo "    snapshot: \"$MOD_LAIN_SNAPSHOT\""
	[ -z "$forwarders" ] || echo "    forwarder: [ $forwarders ]"
	[ -z "$status_acl" ] || echo "    status-acl: [ $status_acl ]"
	if [ -n "$MOD_LAIN_EXTRA" ]; then
		echo "$MOD_LAIN_EXTRA" | sed -e 's/^[[:space:]]*//' -e '/^$/d' -e 's/^/    /'
	fi
	echo
	echo "template:"
	echo "  - id: default"
	echo "    global-module: mod-lain/default"
} >"$tmp" || die "KNOT_CONF: cannot write '$tmp'"

if ! out=$("$KNOTC" -c "$tmp" conf-check 2>&1); then
	echo "$me: the rendered configuration does not pass knotc conf-check:" >&2
	echo "$out" | sed 's/^/  /' >&2
	echo "$me: the configuration was:" >&2
	sed 's/^/  /' "$tmp" >&2
	exit 1
fi
mv -f "$tmp" "$KNOT_CONF" || die "KNOT_CONF: cannot write '$KNOT_CONF'"
trap - EXIT
# (credentials in a URL are not shown)
shown=
for u in $urls; do
	shown="$shown${shown:+, }$(echo "$u" | sed 's#//[^/@]*@#//#')"
done
echo "$me: wrote $KNOT_CONF (lainlet: ${shown:-none}; listen: $listen); starting $KNOTD"

exec "$KNOTD" -c "$KNOT_CONF"
