"""The canonical form of every object a migration moves (docs/migration.md, verification).

The source exports each object in this form, and the target rebuilds the same form from what it
stored, under the source's ids and the target's offers. Both sides digest each object and the
whole customer the same way, so that a match proves the target holds exactly what was sent, and a
mismatch names the objects that differ.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The order of a customer's export: each kind refers only to kinds before it.
KINDS = ("customer", "user", "subscription", "licence", "audit", "checkpoint")

BILLING_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "culture",
    "language",
    "billing_company_name",
    "country",
    "city",
    "postal_code",
    "address_line1",
    "address_line2",
    "address_line3",
    "address_region",
    "address_state",
    "phone_number",
)
TOTP_FIELDS = ("name", "key", "confirmed", "digits", "step", "t0", "tolerance")


def when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") if value is not None else None


def parse_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def customer_item(customer: Any) -> dict[str, Any]:
    tenant = customer.tenant
    return {
        "kind": "customer",
        "id": str(customer.id),
        "domain": tenant.domain,
        "tenantName": tenant.name,
        "companyName": customer.company_name,
        "createdAt": when(customer.created_at),
        "billing": {f: getattr(customer, f) for f in BILLING_FIELDS},
    }


def user_item(user: Any, *, source_id: str, roles: Iterable[str], totp: Iterable[Any]) -> dict[str, Any]:
    # Not the sign-in's bookkeeping (last login, a TOTP device's drift and last step): the source's
    # users keep signing in while they move, and that is no change to their account.
    return {
        "kind": "user",
        "id": source_id,
        "upn": user.upn,
        "displayName": user.display_name,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "isActive": user.is_active,
        "usageLocation": user.usage_location,
        "mustChangePassword": user.must_change_password,
        "passwordHash": user.password,
        "createdAt": when(user.created_at),
        "deletedAt": when(user.deleted_at),
        "roles": sorted(roles),
        "totp": sorted(({f: getattr(d, f) for f in TOTP_FIELDS} for d in totp), key=lambda d: d["key"]),
    }


def subscription_item(sub: Any, *, source_id: str, order_id: str, offer: str, line: int) -> dict[str, Any]:
    return {
        "kind": "subscription",
        "id": source_id,
        "orderId": order_id,
        "orderCreatedAt": when(sub.order.created_at),
        "orderCreatedBy": sub.order.created_by,
        "line": line,
        "offer": offer,
        "friendlyName": sub.friendly_name,
        "quantity": sub.quantity,
        "status": sub.status,
        "autoRenew": sub.auto_renew,
        "isTrial": sub.is_trial,
        "billingCycle": sub.billing_cycle,
        "term": sub.term,
        "unitPrice": str(sub.unit_price),
        "currency": sub.currency,
        "createdAt": when(sub.created_at),
        "updatedAt": when(sub.updated_at),
        "cancelledAt": when(sub.cancelled_at),
    }


def licence_item(licence: Any, *, source_id: str, user_id: str, sku: str) -> dict[str, Any]:
    return {
        "kind": "licence",
        "id": source_id,
        "user": user_id,
        "sku": sku,
        "assignedAt": when(licence.assigned_at),
    }


def audit_item(
    *, source_id: str, seq: int, record_hash: str, record: dict[str, Any], prev_hash: str, path: list[str]
) -> dict[str, Any]:
    """A record of the customer's history, with what proves it in the source's log: the previous
    record's hash and the inclusion proof against the source's checkpoint (docs/audit.md §9)."""
    return {
        "kind": "audit",
        "id": source_id,
        "seq": seq,
        "hash": record_hash,
        "prev_hash": prev_hash,
        "record": record,
        "path": path,
    }


def checkpoint_item(*, size: int, note: str, keys: list[str]) -> dict[str, Any]:
    """The source's signed checkpoint that the history's proofs lead to, with its verifier keys."""
    return {"kind": "checkpoint", "id": str(size), "note": note, "keys": keys}


def digest(item: dict[str, Any]) -> str:
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Summary:
    """Per-kind counts, each object's digest, and one checksum over them all."""

    counts: dict[str, int]
    digests: dict[str, str]  # "kind:id" -> digest
    checksum: str

    @staticmethod
    def of(items: Iterable[dict[str, Any]]) -> Summary:
        digests = {f"{i['kind']}:{i['id']}": digest(i) for i in items}
        counts = Counter(key.split(":", 1)[0] for key in digests)
        lines = "\n".join(f"{key}:{value}" for key, value in sorted(digests.items()))
        return Summary(
            counts={k: counts.get(k, 0) for k in KINDS},
            digests=digests,
            checksum=hashlib.sha256(lines.encode()).hexdigest(),
        )

    def differences(self, other: dict[str, str]) -> list[str]:
        """The objects missing on either side or different, in a stable order."""
        keys = set(self.digests) | set(other)
        return sorted(k for k in keys if self.digests.get(k) != other.get(k))
