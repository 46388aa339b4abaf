"""Writing to the audit log: called by every service inside its own transaction."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from hanse import clock, context
from hanse.access.principal import Principal
from hanse.audit.chain import record_hash
from hanse.audit.models import AuditHead, AuditRecord


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record(
    *,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: Any,
    partner_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    grant_id: uuid.UUID | None = None,
) -> AuditRecord:
    """Append one record. Must run inside the caller's transaction, so that the change and its
    record commit together or not at all."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the transaction of the change it records")
    ctx = context.current()
    if grant_id is None and actor.is_operator and tenant_id is not None:
        # An operator changes a customer's data only under a grant: its record names the grant.
        grant_id = next((g.id for g in actor.grants if g.tenant_id == tenant_id and g.write), None)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        fields: dict[str, Any] = {
            "id": uuid.uuid4(),
            "seq": head.seq + 1,
            "at": clock.now(),
            "actor_id": actor.user_id,
            "actor_upn": actor.upn,
            "actor_tenant_id": actor.tenant_id,
            "partner_id": partner_id,
            "tenant_id": tenant_id,
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id),
            "before": _jsonable(before),
            "after": _jsonable(after),
            "request_id": ctx.request_id[:64],
            "correlation_id": ctx.correlation_id[:64],
            "client_address": ctx.client_address[:64],
            "grant_id": grant_id,
        }
        digest = record_hash(fields, head.hash)
        rec = AuditRecord.objects.create(**fields, prev_hash=head.hash, hash=digest)
        AuditHead.objects.filter(id=1).update(seq=rec.seq, hash=digest)
    return rec
