#!/bin/sh
# Sets everything up and runs the main job: knotd with mod-lain, watching a
# demo lainlet that serves the sample cluster (tests/fixtures), on loopback.
#   scripts/demo.sh        install packages, build, start, print live answers
#   scripts/demo.sh stop   stop the demo's knotd and lainlet
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
run=${MOD_LAIN_DEMO_DIR:-/tmp/mod-lain-demo}
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

sh scripts/deps.sh build
sh scripts/build.sh
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
    file: $top/.libs/mod-lain.so
mod-lain:
  - id: default
    lainlet: $lainlet
    ttl: 60
template:
  - id: default
    global-module: mod-lain/default
CONF
knotc -c "$run/knot.conf" conf-check >/dev/null
knotd -c "$run/knot.conf" >/dev/null 2>&1 &
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
for q in "web-1.console.lain A" "web-3.hello.lain A" "redis-2.hello.redis.resource.lain A" \
	"hello.lain A" "grafana.lain A" "anything.example.com A" "10.1.20.172.in-addr.arpa PTR"; do
	printf '  %-40s -> %s\n' "$q" "$(ask $q | tr '\n' ' ')"
done
cat <<EOT

Query it:       kdig @127.0.0.1 -p $dns_port web-1.hello.lain A
Counters:       knotc -c $run/knot.conf stats mod-lain
Change a doc:   curl -X POST --data-binary @tests/fixtures/coreinfo.json \\
                  '$lainlet/_ctl/doc?name=coreinfo'
Logs:           $run/knotd.log
Stop it:        scripts/demo.sh stop
EOT
