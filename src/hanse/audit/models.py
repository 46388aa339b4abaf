"""The append-only, hash-chained audit log.

Each record's hash covers its content and the previous record's hash, so any modification,
deletion, insertion or reordering breaks the chain at a point that ``verify`` names. ``AuditHead``
holds the last sequence number and hash: it serialises writers (a row lock on PostgreSQL, the
write lock on SQLite) and lets ``verify`` notice records cut from the end.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models

from hanse.access.principal import DataKind
from hanse.access.scope import Scope


class AppendOnlyError(Exception):
    pass


class AuditRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor_id = models.UUIDField(null=True)
    actor_upn = models.CharField(max_length=254)
    actor_tenant_id = models.UUIDField(null=True)
    partner_id = models.UUIDField(null=True, db_index=True)
    tenant_id = models.UUIDField(null=True, db_index=True)  # the tenant whose data changed
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    request_id = models.CharField(max_length=64, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    # The operator's grant this act was done under (docs/trustee.md, access transparency).
    grant_id = models.UUIDField(null=True, blank=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    hanse_scope = Scope(partner="partner_id", tenant="tenant_id", data=DataKind.AUDIT)

    class Meta:
        ordering: ClassVar = ["seq"]
        indexes: ClassVar = [models.Index(fields=["partner_id", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit records are append-only")


class AuditHead(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class Checkpoint(models.Model):
    """A signed C2SP checkpoint of the log at ``size`` records (docs/audit.md)."""

    size = models.BigIntegerField(primary_key=True)
    root = models.CharField(max_length=64)  # hex of the RFC 6962 tree root over records 1..size
    note = models.TextField()  # the signed note, as served
    key_id = models.CharField(max_length=8)
    at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["size"]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class Cosignature(models.Model):
    """A witness's ``tlog-cosignature`` of one checkpoint."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.CharField(max_length=254)
    key_id = models.CharField(max_length=8)
    line = models.TextField()  # the signature line
    signed_at = models.DateTimeField()  # the cosignature's own time
    received_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["checkpoint", "received_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["checkpoint", "key_id"], name="cosignature_one_per_witness")
        ]

    def __str__(self) -> str:
        return f"{self.witness} cosigned {self.checkpoint_id}"
