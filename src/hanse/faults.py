"""Crash points for the crash-safety tests (docs/migration.md, tests/migration/test_faults.py).

A process started with ``HANSE_CRASH_AT=name:n`` kills itself, with SIGKILL and its whole process
group (a server's master with its workers), the n-th time it reaches the point ``name``: a
``kill -9`` at an exact moment of the work, such as between a batch's rows and its commit, which
an outside signal could only hit by chance. Unset, as everywhere but in those tests, a point is
one comparison.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import Counter

_ARMED = os.environ.get("HANSE_CRASH_AT", "")
_POINT, _, _N = _ARMED.partition(":")
_seen: Counter[str] = Counter()
_lock = threading.Lock()


def crash_point(name: str) -> None:
    if name != _POINT:
        return
    with _lock:
        _seen[name] += 1
        hit = _seen[name] == int(_N or 1)
    if hit:
        sys.stderr.write(f"hanse: crash point {name} reached: kill -9\n")
        sys.stderr.flush()
        os.killpg(os.getpgid(0), signal.SIGKILL)
