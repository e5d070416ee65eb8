"""Where the integration tests find things: the source tree, the fixtures, the test
lainlet, knotd, knotc, kdig and the built module (from the environment `make check`
sets, else PATH), and the one network rule: loopback only."""

import ipaddress
import os
import shutil


HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get('MOD_LAIN_SRCDIR') or os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(SRCDIR, 'tests', 'fixtures')
LAINLET_PY = os.path.join(HERE, 'lainlet.py')
KEEP_TMP = os.environ.get('MOD_LAIN_KEEP_TMP', '') not in ('', '0')
WRAPPER = os.environ.get('MOD_LAIN_KNOTD_WRAPPER', '').split()
PRELOAD = os.environ.get('MOD_LAIN_KNOTD_PRELOAD', '')


def _tool(env, name, extra_dirs=('/usr/sbin', '/sbin', '/usr/bin')):
    val = os.environ.get(env, '')
    if val:
        return val
    found = shutil.which(name)
    if found:
        return found
    for d in extra_dirs:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return name


KNOTD = _tool('KNOTD', 'knotd')
KNOTC = _tool('KNOTC', 'knotc')
KDIG = _tool('KDIG', 'kdig')
MOD_LAIN_SO = os.environ.get('MOD_LAIN_SO') or os.path.join(SRCDIR, '.libs', 'mod-lain.so')


def check_loopback(addr):
    if ipaddress.ip_address(addr) not in ipaddress.ip_network('127.0.0.0/8'):
        raise ValueError('tests only use 127.0.0.0/8, not %s' % addr)
