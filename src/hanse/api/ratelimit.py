"""Fixed-window counters, kept out of the primary database, in memory a host's processes share.

Counting in the primary database made every request, reads included, a write there: on SQLite
each one queued for the one write lock. A SQLite file of their own then made every API call a
write transaction on that file, and every call of a host queued for its lock (an eighth of a
small list's time under 8 connections; SQLite's busy handler sleeps while it waits, which showed
in the p99).

The counters are now slots of a memory-mapped file (``settings.HANSE_RATE_LIMIT_FILE``, under the
data directory), read and written under a lock: ``flock`` between processes, a thread lock within
one (``flock`` belongs to the open file, which a process's threads share). Every web process of a
host maps the same file, so a limit holds exactly across them. Instances whose web processes run
on several hosts count per host: the limit then holds within hosts x limit (docs/operators.md).
Nothing is flushed to disk: a counter lost in a crash only lets a window start afresh.

A slot holds a key's digest, the end of its window and its count. A key's slots are the
``PROBES`` that follow its digest's position; a slot whose window has ended is free for any key.
When all of them are taken by keys still counting (a flood of distinct keys, tens of thousands a
window), the key is refused until one ends, as a full table refuses: counts already kept are
never lost to make room.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from hanse import clock

log = logging.getLogger("hanse.api")

MAGIC = b"HANSE-RL"
SLOTS = 1 << 16
PROBES = 32
_HEADER = struct.Struct("<8sq")  # magic, slots
_SLOT = struct.Struct("<16sqq")  # the key's digest, its window's end (epoch seconds), its count
SIZE = _HEADER.size + SLOTS * _SLOT.size  # 2 MiB
_EMPTY = bytes(16)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


@dataclass
class _Table:
    pid: int
    path: Path
    fd: int
    mm: mmap.mmap


_lock = threading.Lock()
_table: _Table | None = None


def _open(path: Path) -> _Table:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        # A new file (or one of another layout) is laid out once, under the lock, before any
        # process maps it; a file in use is never resized under another's mapping.
        if os.fstat(fd).st_size != SIZE or os.pread(fd, _HEADER.size, 0) != _HEADER.pack(MAGIC, SLOTS):
            os.ftruncate(fd, 0)
            os.ftruncate(fd, SIZE)
            os.pwrite(fd, _HEADER.pack(MAGIC, SLOTS), 0)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
    return _Table(os.getpid(), path, fd, mmap.mmap(fd, SIZE))


def _current() -> _Table:
    """This process's mapping (called under ``_lock``). A forked child maps the file again: its
    parent's open file would share the parent's ``flock``, which would then exclude nothing."""
    global _table
    path = Path(settings.HANSE_RATE_LIMIT_FILE)
    if _table is None or _table.pid != os.getpid() or _table.path != path:
        _table = _open(path)
    return _table


def hit(key: str, *, limit: int, window_seconds: int = 60) -> Verdict:
    """Count one event for ``key`` in the current window; refuse beyond ``limit``."""
    now = int(clock.now().timestamp())
    ends = (now // window_seconds + 1) * window_seconds
    retry_after = max(1, ends - now)
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    start = int.from_bytes(digest[:8], "little") % SLOTS
    with _lock:
        table = _current()
        fcntl.flock(table.fd, fcntl.LOCK_EX)
        try:
            count = _count(table.mm, digest, start, now, ends)
        finally:
            fcntl.flock(table.fd, fcntl.LOCK_UN)
    if count is None:
        log.warning("rate limit: no free counter for %s; refused until a window ends", key)
        return Verdict(allowed=False, retry_after=retry_after)
    return Verdict(allowed=count <= limit, retry_after=retry_after)


def _count(mm: mmap.mmap, digest: bytes, start: int, now: int, ends: int) -> int | None:
    """The key's count after this event, or None when no slot is free for it."""
    free = None
    for i in range(PROBES):
        offset = _HEADER.size + (start + i) % SLOTS * _SLOT.size
        held, slot_ends, count = _SLOT.unpack_from(mm, offset)
        if held == digest:
            count = count + 1 if slot_ends == ends else 1
            _SLOT.pack_into(mm, offset, digest, ends, count)
            return int(count)
        if held == _EMPTY:
            # Never used: the key is in no later slot, since a key takes the first free one.
            free = offset if free is None else free
            break
        if free is None and slot_ends <= now:
            free = offset
    if free is None:
        return None
    _SLOT.pack_into(mm, free, digest, ends, 1)
    return 1


def reset() -> None:
    """Forget every count (tests)."""
    with _lock:
        table = _current()
        fcntl.flock(table.fd, fcntl.LOCK_EX)
        try:
            table.mm[_HEADER.size :] = bytes(SIZE - _HEADER.size)
        finally:
            fcntl.flock(table.fd, fcntl.LOCK_UN)
