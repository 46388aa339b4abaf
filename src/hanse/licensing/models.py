"""Licences: seats of a customer's subscriptions assigned to its users, one row per user and SKU."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models

from hanse.access.principal import DataKind
from hanse.access.scope import Scope
from hanse.catalog.models import Offer
from hanse.customers.models import Customer
from hanse.directory.models import User


class LicenceAssignment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="licences")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="licences")
    # A SKU is an offer of the catalogue: its seats are the quantities of the customer's active
    # subscriptions to it.
    sku = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()

    hanse_scope = Scope(partner="customer__partner_id", tenant="customer__tenant_id", data=DataKind.LICENCES)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "sku"], name="one_licence_per_user_sku")
        ]
        indexes: ClassVar = [models.Index(fields=["customer", "sku"])]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.sku_id}"
