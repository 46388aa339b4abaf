"""Signed decisions on operators' access requests (docs/audit.md §8): a C2SP signed note under the
log's key, whose text names the request, what it asked, the decision, the approver and the time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from hanse.audit import keys, notes
from hanse.instance.current import instance

HEADER = "hanse/decision/v1"


def _one_line(value: object) -> str:
    return " ".join(str(value).split()) or "-"


def sign_decision(
    *,
    request_id: uuid.UUID,
    tenant_id: uuid.UUID,
    kinds: Iterable[str],
    write: bool,
    hours: int,
    reason: str,
    decision: str,
    party: str,
    approver_upn: str,
    approver_id: uuid.UUID | None,
    at: datetime,
) -> str:
    cfg = instance()
    lines = [
        HEADER,
        f"origin {cfg.audit.origin}",
        f"request {request_id}",
        f"customer {tenant_id}",
        f"access {','.join(sorted(kinds))} {'readwrite' if write else 'read'} {hours}h",
        f"reason {_one_line(reason)}",
        f"decision {decision}",
        f"party {_one_line(party)}",
        f"approver {_one_line(approver_upn)} {approver_id or '-'}",
        f"time {at.isoformat(timespec='microseconds')}",
    ]
    return notes.sign("".join(line + "\n" for line in lines), keys.signer(cfg))


def decision_fields(note: str) -> dict[str, str]:
    """The note's lines as a mapping (``request``, ``decision``, …), unverified."""
    text = note[: note.rfind("\n\n") + 1] if "\n\n" in note else note
    return dict(line.partition(" ")[::2] for line in text.splitlines()[1:])


def decision_verifies(note: str) -> bool:
    """Whether the note is a decision signed by one of the log's keys, current or retired."""
    if not note:
        return False
    try:
        text, _ = notes.open_note(note, keys.verifiers())
    except notes.NoteError:
        return False
    return text.startswith(HEADER + "\n")
