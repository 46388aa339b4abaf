"""Operators' requests for access to a customer's data, and the grants they become (docs/trustee.md).

A request is pending until every approver of the instance's policy has approved it, or one has
denied it, or its decision time is over. An approved request is a grant until it expires, is
revoked by an approver, or is completed early by its operator. Which of these holds *now* follows
the one clock: ``state_at`` reads it from the timestamps, so a grant is valid at
``expires_at - 1µs`` and not at ``expires_at`` without any job having to run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from hanse.access.principal import DataKind
from hanse.access.scope import Scope
from hanse.customers.models import Customer
from hanse.directory.models import User


class State(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    COMPLETED = "completed", _("Completed")


class Reason(models.TextChoices):
    CUSTOMER_SUPPORT = "customer_support", _("Customer-initiated support")
    INCIDENT_RESPONSE = "incident_response", _("Incident response")
    SERVICE_MAINTENANCE = "service_maintenance", _("Service maintenance")
    LEGAL_DEMAND = "legal_demand", _("Legal demand")
    FRAUD_INVESTIGATION = "fraud_investigation", _("Fraud investigation")


DATA_KIND_LABELS = {
    DataKind.PROFILE: _("Profile"),
    DataKind.USERS: _("Users"),
    DataKind.SUBSCRIPTIONS: _("Subscriptions"),
    DataKind.LICENCES: _("Licences"),
    DataKind.AUDIT: _("Audit detail"),
}


class AccessRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="access_requests")
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_requests")
    kinds = models.JSONField()  # sorted DataKind values
    write = models.BooleanField(default=False)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    justification = models.TextField(max_length=2000)
    case_ref = models.CharField(max_length=64, blank=True)
    hours = models.PositiveSmallIntegerField()
    # The stored state: pending, approved, or a final decision; expiry is read from the clock.
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    decide_by = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    end_reason = models.TextField(max_length=2000, blank=True)
    # Break-glass: opened by two operators without prior approval, flagged until reviewed.
    break_glass = models.BooleanField(default=False)
    second_operator = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    review_note = models.TextField(max_length=2000, blank=True)
    # A revocation, signed under the log's key (docs/audit.md §8).
    end_signature = models.TextField(blank=True)

    # The requests about a customer are that customer's data; the customer's admin sees them.
    hanse_scope = Scope(partner="customer__partner_id", tenant="customer__tenant_id", data=None)

    class Meta:
        ordering: ClassVar = ["-created_at", "id"]
        indexes: ClassVar = [
            models.Index(fields=["requester", "state"]),
            models.Index(fields=["customer", "state"]),
            models.Index(fields=["state", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"access {self.id} ({self.state})"

    def state_at(self, now: datetime) -> State:
        if self.state == State.PENDING and now >= self.decide_by:
            return State.EXPIRED
        if self.state == State.APPROVED and self.expires_at is not None and now >= self.expires_at:
            return State.EXPIRED
        return State(self.state)

    @property
    def data_kinds(self) -> frozenset[DataKind]:
        return frozenset(DataKind(k) for k in self.kinds)


class Decision(models.Model):
    """One approver's decision, in turn: under ``trustee+customer`` a grant needs two."""

    class Party(models.TextChoices):
        TRUSTEE = "trustee", _("Data trustee")
        CUSTOMER = "customer", _("Customer")
        OPERATOR = "operator", _("Second operator")  # break-glass: the two operators together

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="decisions")
    party = models.CharField(max_length=16, choices=Party.choices)
    approver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField()
    note = models.TextField(max_length=2000, blank=True)
    at = models.DateTimeField()
    signature = models.TextField(blank=True)  # the decision as a signed note (docs/audit.md §8)

    hanse_scope = Scope(
        partner="request__customer__partner_id", tenant="request__customer__tenant_id", data=None
    )

    class Meta:
        ordering: ClassVar = ["at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["request", "party"], name="decision_one_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.party} {'approved' if self.approved else 'denied'} {self.request_id}"
