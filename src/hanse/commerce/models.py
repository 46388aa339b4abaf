"""Orders and the subscriptions they create."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from hanse.access.principal import DataKind
from hanse.access.scope import Scope
from hanse.catalog.models import Offer
from hanse.customers.models import Customer
from hanse.partners.models import PartnerAccount


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    partner = models.ForeignKey(PartnerAccount, on_delete=models.PROTECT, related_name="orders")
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=254)

    hanse_scope = Scope(partner="partner_id", tenant="customer__tenant_id", data=DataKind.SUBSCRIPTIONS)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["customer", "created_at", "id"])]

    def __str__(self) -> str:
        return str(self.id)


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        DELETED = "deleted", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="subscriptions")
    partner = models.ForeignKey(PartnerAccount, on_delete=models.PROTECT, related_name="subscriptions")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="subscriptions")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="subscriptions")
    friendly_name = models.CharField(_("friendly name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    auto_renew = models.BooleanField(default=True)
    is_trial = models.BooleanField(default=False)
    billing_cycle = models.CharField(max_length=16)
    term = models.CharField(max_length=8)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    hanse_scope = Scope(partner="partner_id", tenant="customer__tenant_id", data=DataKind.SUBSCRIPTIONS)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["customer", "created_at", "id"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="subscription_qty")
        ]

    def __str__(self) -> str:
        return f"{self.friendly_name} ({self.quantity})"

    @property
    def etag(self) -> str:
        return self.etag_of(self.version)

    @staticmethod
    def etag_of(version: int) -> str:
        return f'W/"{version}"'


class OrderLineItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="line_items")
    number = models.PositiveSmallIntegerField()
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    friendly_name = models.CharField(max_length=200)
    subscription = models.OneToOneField(Subscription, on_delete=models.PROTECT, related_name="line_item")

    hanse_scope = Scope(
        partner="order__partner_id", tenant="order__customer__tenant_id", data=DataKind.SUBSCRIPTIONS
    )

    class Meta:
        ordering: ClassVar = ["number"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["order", "number"], name="line_item_number")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.number}"
