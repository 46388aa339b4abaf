"""Processes as Linux's /proc lists them (the machines CI runs on): which are alive, under which
parent, in which process group. Zombies are left out: they run nothing and hold no socket."""

from __future__ import annotations

from pathlib import Path


def living() -> list[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every process that is not a zombie."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            found.append((int(entry.name), int(fields[1]), int(fields[2])))
    return found


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid``."""
    children: dict[int, list[int]] = {}
    for child, parent, _group in living():
        children.setdefault(parent, []).append(child)
    found, frontier = set(), [pid]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        found.update(frontier)
    return found


def group_members(pgid: int) -> list[int]:
    """The living processes of a process group."""
    return [pid for pid, _parent, group in living() if group == pgid]


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
