"""The rate limit's counters (hanse.api.ratelimit): exact within a window, across threads and
processes, and never losing a count to make room for another key."""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from datetime import UTC, datetime

import pytest

from hanse import clock
from hanse.api import ratelimit

START = 1_800_000_000  # a window's start for 60-second windows (a multiple of 60)


def at(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime.fromtimestamp(seconds, tz=UTC))


def test_a_key_is_refused_past_its_limit_until_its_window_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, START + 45)
    verdicts = [ratelimit.hit("api:a", limit=3) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after == 15
    assert ratelimit.hit("api:b", limit=3).allowed  # another key counts on its own
    at(monkeypatch, START + 60)
    assert [ratelimit.hit("api:a", limit=3).allowed for _ in range(4)] == [True, True, True, False]


def test_windows_of_an_hour_end_on_the_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    hour = START - START % 3600
    at(monkeypatch, hour + 3599)
    assert ratelimit.hit("enrol:x", limit=1, window_seconds=3600).allowed
    refused = ratelimit.hit("enrol:x", limit=1, window_seconds=3600)
    assert not refused.allowed and refused.retry_after == 1
    at(monkeypatch, hour + 3600)
    assert ratelimit.hit("enrol:x", limit=1, window_seconds=3600).allowed


def hammer(key: str, threads: int, each: int) -> None:
    def run() -> None:
        for _ in range(each):
            ratelimit.hit(key, limit=10**9)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_counts_are_exact_across_threads_and_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three forked processes of four threads each and this one count the same key: every event
    is counted once. A child maps the file afresh (its parent's lock would exclude nothing)."""
    at(monkeypatch, START)
    ratelimit.hit("api:shared", limit=10**9)  # this process has mapped the file before forking
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                hammer("api:shared", threads=4, each=250)
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    hammer("api:shared", threads=4, each=250)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    # 1 + 4 x 250 x 4 events so far; this one is the next.
    assert not ratelimit.hit("api:shared", limit=4001).allowed
    assert ratelimit.hit("api:other", limit=1).allowed


def keys_at_one_slot(n: int) -> list[str]:
    """``n`` keys whose digests start at the same slot."""
    by_slot: dict[int, list[str]] = {}
    for i in itertools.count():
        key = f"enrol:10.0.{i}"
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        same = by_slot.setdefault(int.from_bytes(digest[:8], "little") % ratelimit.SLOTS, [])
        same.append(key)
        if len(same) == n:
            return same
    raise AssertionError


def test_a_flood_of_keys_is_refused_and_takes_no_count_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "PROBES", 2)
    first, second, flood = keys_at_one_slot(3)
    at(monkeypatch, START)
    assert ratelimit.hit(first, limit=2).allowed
    assert ratelimit.hit(second, limit=2).allowed
    refused = ratelimit.hit(flood, limit=2)
    assert not refused.allowed and refused.retry_after == 60
    # The kept counts go on: the first key's second event is allowed, its third is not.
    assert ratelimit.hit(first, limit=2).allowed
    assert not ratelimit.hit(first, limit=2).allowed
    at(monkeypatch, START + 60)  # their windows ended: their slots are free for anyone
    assert ratelimit.hit(flood, limit=2).allowed
    assert ratelimit.hit(first, limit=2).allowed
    assert ratelimit.hit(first, limit=2).allowed
    assert not ratelimit.hit(first, limit=2).allowed
    assert not ratelimit.hit(second, limit=2).allowed  # no slot left: both are counting again


def test_a_key_found_behind_a_freed_slot_keeps_its_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slot freed before a key's own is not taken for it: the key is looked for first."""
    first, second = keys_at_one_slot(2)
    at(monkeypatch, START)
    ratelimit.hit(first, limit=5, window_seconds=60)
    ratelimit.hit(second, limit=2, window_seconds=120)  # its window runs on after the first's ends
    at(monkeypatch, START + 60)
    assert ratelimit.hit(second, limit=2, window_seconds=120).allowed
    assert not ratelimit.hit(second, limit=2, window_seconds=120).allowed
