#!/bin/sh
# Sets everything up and runs the main job: knotd with mod-lain, watching a
# demo lainlet that serves the sample cluster (tests/fixtures), on loopback.
#   scripts/demo.sh        install packages, build, start, print live answers
#   scripts/demo.sh stop   stop the demo's knotd and lainlet
# Environment: MOD_LAIN_DEMO_DIR [/tmp/mod-lain-demo], MOD_LAIN_DEMO_PORT [5353],
#   MOD_LAIN_SO: run this built module (no package install, no build) [.libs/mod-lain.so]
# knotd runs through scripts/knot-dev.sh: it loads this module even after `make install`.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
run=${MOD_LAIN_DEMO_DIR:-/tmp/mod-lain-demo}	# (the default is also in "Stop it" below)
dns_port=${MOD_LAIN_DEMO_PORT:-5353}

stop_pid() {
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	if kill "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$1"
}

if [ "${1:-}" = stop ]; then
	stop_pid "$run/knotd.pid"
	stop_pid "$run/lainlet.pid"
	echo "demo stopped"
	exit 0
fi

if [ -n "${MOD_LAIN_SO:-}" ]; then
	so=$MOD_LAIN_SO
else
	sh scripts/deps.sh build
	sh scripts/build.sh
	so=$top/.libs/mod-lain.so
fi
stop_pid "$run/knotd.pid"
stop_pid "$run/lainlet.pid"
mkdir -p "$run"
rm -f "$run/lainlet.port"

python3 tests/integration/lainlet.py --fixtures tests/fixtures --listen 127.0.0.1 \
	--port 0 --port-file "$run/lainlet.port" >"$run/lainlet.log" 2>&1 &
echo $! >"$run/lainlet.pid"
i=0
while [ ! -s "$run/lainlet.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
lainlet="http://127.0.0.1:$(cat "$run/lainlet.port")"

cat >"$run/knot.conf" <<CONF
server:
    rundir: $run
    listen: 127.0.0.1@$dns_port
log:
  - target: $run/knotd.log
    any: info
database:
    storage: $run
module:
  - id: mod-lain
    file: $so
mod-lain:
  - id: default
    lainlet: $lainlet
    ttl: 60
template:
  - id: default
    global-module: mod-lain/default
CONF
sh scripts/knot-dev.sh knotc -c "$run/knot.conf" conf-check >/dev/null
sh scripts/knot-dev.sh knotd -c "$run/knot.conf" >/dev/null 2>&1 &	# keeps the PID
echo $! >"$run/knotd.pid"

ask() { kdig @127.0.0.1 -p "$dns_port" +short +time=1 +retry=0 "$@" 2>/dev/null; }
i=0
while [ -z "$(ask web-1.console.lain A)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -z "$(ask web-1.console.lain A)" ]; then
	echo "knotd did not answer; log: $run/knotd.log" >&2
	tail -20 "$run/knotd.log" >&2
	exit 1
fi

echo "knotd with mod-lain answers on 127.0.0.1:$dns_port, watching the demo lainlet $lainlet"
echo "(its documents: tests/fixtures, explained in tests/fixtures/README.md)"
while read -r name type why; do
	printf '  %-40s -> %-28s %s\n' "$name $type" "$(ask "$name" "$type" | tr '\n' ' ')" "$why"
done <<EOT
web-1.console.lain A			instance 1 of app console (coreinfo)
web-3.hello.lain A			instance 3 of app hello (coreinfo)
redis-2.hello.redis.resource.lain A	a resource instance (coreinfo)
hello.lain A				an app name: the +webrouter.lain lines of tinydns_fqdns
grafana.lain A				Cgrafana.lain line of tinydns_fqdns
anything.example.com A			+*.example.com line of tinydns_fqdns (domain: example.com)
10.1.20.172.in-addr.arpa PTR		a container's address (coreinfo)
EOT
doc=$top/tests/fixtures/coreinfo.json
stop="scripts/demo.sh stop"
[ "$run" = /tmp/mod-lain-demo ] || stop="MOD_LAIN_DEMO_DIR=$run $stop"
cat <<EOT

tinydns_fqdns:  lainlet's config key with operators' and networkd's records in
                tinydns-data syntax (tests/fixtures/config-tinydns_fqdns.json; the domain
                key: config-domain.json). mod-lain(7) (doc/mod-lain.rst) tells the rest.
Query it:       kdig @127.0.0.1 -p $dns_port web-1.hello.lain A
Counters:       knotc -s $run/knot.sock stats mod-lain
Change a doc:   sed 's/"172.20.1.4"/"172.20.1.99"/' $doc | curl -sS --data-binary @- '$lainlet/_ctl/doc?name=coreinfo'
  then:         kdig @127.0.0.1 -p $dns_port +short web-1.console.lain A   (172.20.1.99 now)
Back to start:  curl -sS -X POST '$lainlet/_ctl/reset'
Logs:           $run/knotd.log
Stop it:        $stop
EOT
