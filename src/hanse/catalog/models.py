"""Offers (what can be bought) and their prices per currency; a market's currency picks the price."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

# Graph and Partner Center name a SKU by a GUID. Derived from the offer's id, one offer has the same
# GUID on every instance, and a different offer (``…_DE`` against ``…``) has another: a migration
# maps one to the other through the offer mapping, never by assuming the GUID carries over.
SKU_NAMESPACE = uuid.UUID("5d0b7c8e-3f41-4a2e-9c6b-8a1f0e2d4b37")


def sku_guid(offer_id: str) -> uuid.UUID:
    return uuid.uuid5(SKU_NAMESPACE, offer_id)


class Offer(models.Model):
    class BillingCycle(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ANNUAL = "annual", _("Annual")

    # Stable, human-readable ids as in Partner Center's catalogue; "_DE" marks a sovereign offer.
    id = models.CharField(primary_key=True, max_length=64)
    guid = models.UUIDField(unique=True, editable=False)  # sku_guid(id): the SKU's id in Graph's shapes
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    product_id = models.CharField(max_length=64)
    product_name = models.CharField(max_length=200)
    sku_id = models.CharField(max_length=64)
    sku_name = models.CharField(max_length=200)
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(default=300)
    is_trial = models.BooleanField(default=False)
    billing_cycle = models.CharField(
        max_length=16, choices=BillingCycle.choices, default=BillingCycle.MONTHLY
    )
    term = models.CharField(max_length=8, default="P1M")  # ISO 8601 duration, as Partner Center
    is_sovereign = models.BooleanField(default=False)
    is_available = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(min_quantity__gte=1)
                & models.Q(max_quantity__gte=models.F("min_quantity")),
                name="offer_quantity_bounds",
            )
        ]

    def __str__(self) -> str:
        return self.id


# The price a catalogue file gives is in force from the start: billing rates every day, and a
# day before any price list would have no price.
SINCE_ALWAYS = date(2000, 1, 1)


class OfferPrice(models.Model):
    """A seat's monthly price in one currency, in force from ``valid_from`` until the next one."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    valid_from = models.DateField(default=SINCE_ALWAYS)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["offer", "currency", "valid_from"], name="offer_price_unique"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="offer_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id} {self.unit_price} {self.currency}"
