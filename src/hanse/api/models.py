"""API-wide state shared by every web process: idempotent POST results and rate windows."""

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
    status = models.PositiveSmallIntegerField(default=0)  # 0 while the first request runs
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


class RateWindow(models.Model):
    """Events counted per key (a partner tenant's API calls, an address's enrolments) and window."""

    key = models.CharField(max_length=100)
    window = models.BigIntegerField()  # windows since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["key", "window"], name="rate_window_unique")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}"
