"""TAP output for the integration tests: a Tap producer, run(main), skip_all() and
require() (skip when knotd, knotc, kdig or the built module is missing)."""

import os
import shutil
import sys
import traceback

from testenv import KDIG, KNOTC, KNOTD, MOD_LAIN_SO


class Tap:
    """A TAP producer. ok() returns the condition; done() prints the plan."""

    def __init__(self):
        self.n = 0
        self.failed = []
        self.todo_failed = []
        self.todo_passed = []

    @staticmethod
    def _clean(text):
        # '#' starts a directive in TAP; newlines would break the line
        return str(text).replace('#', 'No.').replace('\n', ' ')

    def ok(self, cond, desc, diag=None, todo=None, skip=None):
        cond = bool(cond) or skip is not None
        self.n += 1
        line = '%s %d - %s' % ('ok' if cond else 'not ok', self.n, self._clean(desc))
        if skip is not None:
            line += ' # SKIP ' + self._clean(skip)
        elif todo is not None:
            line += ' # TODO ' + self._clean(todo)
            (self.todo_passed if cond else self.todo_failed).append(self.n)
        elif not cond:
            self.failed.append(self.n)
        print(line, flush=True)
        if not cond and diag:
            self.diag(diag)
        return cond

    def skip(self, desc, reason):
        return self.ok(True, desc, skip=reason)

    def diag(self, msg):
        if isinstance(msg, (list, tuple)):
            msg = '\n'.join(str(m) for m in msg)
        for line in str(msg).rstrip('\n').split('\n'):
            print('# ' + line, flush=True)

    def bail(self, reason):
        print('Bail out! ' + self._clean(reason), flush=True)
        sys.exit(1)

    def done(self):
        print('1..%d' % self.n, flush=True)
        if self.failed:
            self.diag('failed: %s' % ' '.join(map(str, self.failed)))
        return 1 if self.failed else 0


def skip_all(reason):
    print('1..0 # SKIP ' + Tap._clean(reason), flush=True)
    sys.exit(0)


def require(knotd=False, kdig=False, module=False, knotc=None):
    """skip_all() when a needed tool or the built module is missing."""
    if knotc is None:
        knotc = knotd
    for want, path, what in ((knotd, KNOTD, 'knotd'), (knotc, KNOTC, 'knotc'),
                             (kdig, KDIG, 'kdig')):
        if want and not (shutil.which(path) or os.access(path, os.X_OK)):
            skip_all('%s not found (set %s)' % (what, what.upper()))
    if module and not os.path.exists(MOD_LAIN_SO):
        skip_all('module not built: %s' % MOD_LAIN_SO)


def run(main):
    """Runs main(tap) and exits with the TAP result; an exception is a Bail out."""
    tap = Tap()
    try:
        main(tap)
    except SystemExit:
        raise
    except BaseException:
        tap.diag(traceback.format_exc())
        tap.bail('unexpected exception: %s' % sys.exc_info()[1])
    sys.exit(tap.done())
