"""The hash of one record: SHA-256 over a canonical JSON of its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64

HASHED_FIELDS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_upn",
    "actor_tenant_id",
    "partner_id",
    "tenant_id",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "request_id",
    "correlation_id",
    "client_address",
)

# Hashed only when set, so that records written before the field existed keep their hashes.
OPTIONAL_FIELDS = ("grant_id",)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def hashed_body(fields: dict[str, Any]) -> dict[str, Any]:
    """What a record's hash covers, as plain JSON values (a migrated customer's history keeps it)."""
    body = {k: _plain(fields[k]) for k in HASHED_FIELDS}
    body.update({k: _plain(fields[k]) for k in OPTIONAL_FIELDS if fields.get(k) is not None})
    return body


# One encoder for every record: json.dumps with these options made a new one each time.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_bytes(fields: dict[str, Any], prev_hash: str) -> bytes:
    """What a record's hash is the SHA-256 of: the previous hash, a newline, the canonical JSON."""
    return (prev_hash + "\n" + _CANONICAL.encode(hashed_body(fields))).encode()


def record_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical_bytes(fields, prev_hash)).hexdigest()
