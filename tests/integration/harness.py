"""Shared pieces of mod-lain's integration tests (Python 3 standard library only), one
module per job, all re-exported here: tap (TAP output), testenv (paths, tools, loopback),
processes (knotd, ports, PIDs, waits), lainlet_client (the test lainlet, its streams,
the fixtures), dns_wire (queries and answers).

Every test is a standalone script run by Automake's TAP driver:

    import harness
    from harness import Tap, Lainlet, Knotd, dig

    def main(tap):
        harness.require(knotd=True, kdig=True, module=True)   # else "1..0 # SKIP"
        with Lainlet() as ll, Knotd(lainlets=[ll.url]) as kd:
            ok = harness.wait_until(lambda: dig(kd.port, 'web-1.console.lain').rcode == 'NOERROR', 10)
            tap.ok(ok, 'module answers')

    if __name__ == '__main__':
        harness.run(main)

Environment (set by `make check`): MOD_LAIN_SO, MOD_LAIN_SRCDIR, KNOTD, KNOTC, KDIG.
make check runs every test through scripts/knot-dev.sh (knotd loads the built module even
when `make install` put a copy in its module directory); so does a test run by hand:
`scripts/knot-dev.sh python3 tests/integration/test_x.py`.
MOD_LAIN_KEEP_TMP=1 keeps the temporary directories (their paths are printed as TAP
comments). Only 127.0.0.0/8 is used; every process is started with a parent-death
signal and stopped by its PID; every wait has a deadline.
"""

from testenv import (check_loopback, FIXTURES, HERE, KDIG, KEEP_TMP, KNOTC, KNOTD,
    LAINLET_PY, MOD_LAIN_SO, PRELOAD, SRCDIR, _tool, WRAPPER)  # noqa: F401
from tap import (require, run, skip_all, Tap)  # noqa: F401
from processes import (free_port, Knotd, mod_stats, mount_ns, _pdeathsig, proc_fds,
    proc_rss_kb, proc_tasks, RssPeak, _read, stop_process, _tail, wait_until)  # noqa: F401
from lainlet_client import (fixture, Lainlet, make_cert, map_nodes, NODE_MAP, SseClient,
    with_ip)  # noqa: F401
from dns_wire import (Answer, build_query, dig, FLAG_NAMES, parse_response, query,
    QueryLoad, RCODES, read_labels, _read_name, TYPE_NAMES, TYPES)  # noqa: F401
