"""What a subscription accrues day by day, and the invoices and credit notes that bill it.

An issued invoice is a snapshot: it names its customers, subscriptions and offers by value, so
that it reads the same after a customer has moved away or been purged (docs/billing.md).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from hanse.access.principal import DataKind
from hanse.access.scope import Scope
from hanse.commerce.models import Subscription
from hanse.customers.models import Customer
from hanse.partners.models import PartnerAccount


class SeatChange(models.Model):
    """From ``day`` on (that whole day included), the subscription accrues ``seats`` seats: its
    quantity while active and paid, 0 while suspended, cancelled, in trial or moved away. The
    last change of a day is the day's state."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="seat_changes")
    partner = models.ForeignKey(PartnerAccount, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    seats = models.PositiveIntegerField()
    reason = models.CharField(max_length=32)  # the audit action that caused it
    created_at = models.DateTimeField()

    hanse_scope = Scope(partner="partner_id", tenant="customer__tenant_id", data=DataKind.SUBSCRIPTIONS)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["subscription", "day", "id"]),
            models.Index(fields=["partner", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.day} {self.seats}"


class InvoiceCounter(models.Model):
    """The last number issued in a year; locked while an invoice takes the next, so that numbers
    are gapless (a rolled-back issue rolls its number back with it)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Invoice(models.Model):
    class Type(models.TextChoices):
        INVOICE = "Invoice", _("Invoice")
        CREDIT_NOTE = "CreditNote", _("Credit note")

    number = models.CharField(primary_key=True, max_length=40)  # <instance>-<year>-<seq>
    partner = models.ForeignKey(PartnerAccount, on_delete=models.PROTECT, related_name="invoices")
    document_type = models.CharField(max_length=16, choices=Type.choices)
    amends = models.ForeignKey("self", on_delete=models.PROTECT, null=True, related_name="amendments")
    currency = models.CharField(max_length=3)
    period_start = models.DateField()
    period_end = models.DateField()  # the last day billed, included
    invoice_date = models.DateField()
    issued_at = models.DateTimeField()
    subtotal = models.DecimalField(max_digits=16, decimal_places=2)
    tax_total = models.DecimalField(max_digits=16, decimal_places=2)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    paid_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    tax_note = models.CharField(max_length=32, blank=True)  # a TaxCategory, for the document's note
    reason = models.TextField(max_length=1000, blank=True)  # a credit note's
    seller = models.JSONField()
    buyer = models.JSONField()

    hanse_scope = Scope(partner="partner_id", tenant="partner__tenant_id", data=None)

    class Meta:
        constraints: ClassVar = [
            # The billing run issues one invoice per partner, currency and period, whatever retries.
            models.UniqueConstraint(
                fields=["partner", "currency", "period_start"],
                condition=models.Q(document_type="Invoice"),
                name="invoice_once_per_period",
            )
        ]
        indexes: ClassVar = [models.Index(fields=["partner", "invoice_date", "number"])]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    number = models.PositiveIntegerField()
    credits = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, related_name="credited_by"
    )  # a credit note's line: the invoice line it takes back, once
    customer_id = models.UUIDField()
    customer_name = models.CharField(max_length=200)
    customer_domain = models.CharField(max_length=253)
    customer_country = models.CharField(max_length=2)
    subscription_id = models.UUIDField()
    subscription_name = models.CharField(max_length=200)
    order_id = models.UUIDField()
    offer_id = models.CharField(max_length=64)
    offer_name = models.CharField(max_length=200)
    sku_guid = models.UUIDField()
    billing_cycle = models.CharField(max_length=16)
    charge_type = models.CharField(max_length=32)
    charge_start = models.DateField()
    charge_end = models.DateField()
    quantity = models.PositiveIntegerField()  # the seats on the last day billed
    days = models.PositiveIntegerField()  # the days with at least one seat
    seat_days = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)  # a seat's month, last day billed
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    tax_category = models.CharField(max_length=32)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax = models.DecimalField(max_digits=16, decimal_places=2)

    hanse_scope = Scope(partner="invoice__partner_id", tenant="invoice__partner__tenant_id", data=None)

    class Meta:
        ordering: ClassVar = ["number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["invoice", "number"], name="invoice_line_number")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}#{self.number}"
