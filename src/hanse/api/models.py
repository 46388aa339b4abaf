"""API-wide state shared by every web process: idempotent POST results."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class IdempotentRequest(models.Model):
    """The first result of a POST carrying ``MS-RequestId``, replayed to retries."""

    tenant_id = models.UUIDField()
    user_id = models.UUIDField(null=True)
    request_id = models.CharField(max_length=128)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    fingerprint = models.CharField(max_length=64, default="")  # SHA-256 of method, path and body
    # 0 while a row-by-row operation runs; any other request's claim commits with its outcome.
    status = models.PositiveSmallIntegerField(default=0)
    body = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=100, default="application/json")
    created_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["tenant_id", "user_id", "request_id"], name="idempotent_request_unique"
            )
        ]

    def __str__(self) -> str:
        return self.request_id
