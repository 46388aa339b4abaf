"""The migration's records (docs/migration.md).

At the source: each customer's consent, and its migration, a state machine persisted step by
step (no progress is kept in memory, so that any process may die and another resume it), with its
timeline. At the target: what a peer imported, under the source's ids, and the batches applied,
so that a batch sent twice is applied once.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from hanse.access.principal import DataKind
from hanse.access.scope import Scope
from hanse.customers.models import Customer
from hanse.directory.models import User
from hanse.partners.models import PartnerAccount


class Consent(models.Model):
    """The customer's consent to leave the data boundary: given by its Global admin, or recorded
    by the partner from the customer's written consent where the instance allows it."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Given by the customer")
        PARTNER_ATTESTED = "partner-attested", _("Attested by the partner")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="migration_consent")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    given_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    given_by_upn = models.CharField(max_length=254)
    reference = models.CharField(max_length=200, blank=True)  # the written consent's reference
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    hanse_scope = Scope(partner="customer__partner_id", tenant="customer__tenant_id", data=DataKind.PROFILE)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.kind}"

    @property
    def is_given(self) -> bool:
        return self.withdrawn_at is None


class State(models.TextChoices):
    PLANNED = "planned", _("Planned")
    FROZEN = "frozen", _("Frozen")
    COPYING = "copying", _("Copying")
    VERIFYING = "verifying", _("Verifying")
    READY = "ready", _("Ready")
    CUTTING_OVER = "cutting_over", _("Cutting over")
    CUT_OVER = "cut_over", _("Cut over")
    FAILED = "failed", _("Failed")
    ROLLING_BACK = "rolling_back", _("Rolling back")
    ROLLED_BACK = "rolled_back", _("Rolled back")


# While in these, the customer is frozen at the source: nothing of it may change.
FROZEN_STATES = frozenset(
    {
        State.FROZEN,
        State.COPYING,
        State.VERIFYING,
        State.READY,
        State.CUTTING_OVER,
        State.FAILED,
        State.ROLLING_BACK,
    }
)
# A job moves these forward; at worker start, each is resumed.
ACTIVE_STATES = frozenset(
    {
        State.PLANNED,
        State.FROZEN,
        State.COPYING,
        State.VERIFYING,
        State.READY,
        State.CUTTING_OVER,
        State.ROLLING_BACK,
    }
)


class CustomerMigration(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="migration")
    partner = models.ForeignKey(PartnerAccount, on_delete=models.PROTECT, related_name="+")
    peer = models.CharField(max_length=20)
    target_url = models.CharField(max_length=300)  # where the customer lives after cutover
    state = models.CharField(max_length=16, choices=State.choices, default=State.PLANNED)
    # Each attempt (a run, or a run after a rollback) is a fresh import at the target.
    attempt = models.PositiveIntegerField(default=1)
    started_by = models.CharField(max_length=254)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    batches_total = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)  # the source's per-kind counts
    checksum = models.CharField(max_length=64, blank=True)
    target_counts = models.JSONField(default=dict)
    target_checksum = models.CharField(max_length=64, blank=True)
    mismatches = models.JSONField(default=list)  # ["user:<id>", …]: the objects that differ
    error_code = models.PositiveIntegerField(null=True, blank=True)
    error_params = models.JSONField(default=dict)
    transient_errors = models.PositiveIntegerField(default=0)  # in a row, reset by progress
    audit_until = models.PositiveBigIntegerField(default=0)  # the customer's history moves up to it
    job_id = models.CharField(max_length=64, blank=True)  # the job queued last for it
    frozen_at = models.DateTimeField(null=True, blank=True)
    cutover_at = models.DateTimeField(null=True, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    hanse_scope = Scope(partner="partner_id", tenant="customer__tenant_id", data=None)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["partner", "state"])]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.state}"

    @property
    def is_frozen(self) -> bool:
        # A move that failed before its freeze (a blocker found at its start) froze nothing.
        return self.state in FROZEN_STATES and self.frozen_at is not None


class MigrationEvent(models.Model):
    """One step of a customer's migration, for its timeline and the dashboard's chart."""

    migration = models.ForeignKey(CustomerMigration, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices)
    detail = models.JSONField(default=dict)

    hanse_scope = Scope(partner="migration__partner_id", tenant="migration__customer__tenant_id", data=None)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["migration", "at"])]

    def __str__(self) -> str:
        return f"{self.migration_id} {self.state} {self.at}"


class Import(models.Model):
    """At the target: a customer a peer is moving here, under the linked partner."""

    class Status(models.TextChoices):
        IMPORTING = "importing", _("Importing")
        ACTIVE = "active", _("Active")
        REMOVED = "removed", _("Removed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    peer = models.CharField(max_length=100)  # the OAuth client of the source instance
    source_customer_id = models.UUIDField()
    partner = models.ForeignKey(PartnerAccount, on_delete=models.PROTECT, related_name="+")
    customer = models.OneToOneField(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="imported_from"
    )
    attempt = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IMPORTING)
    source_instance = models.CharField(max_length=100, blank=True)
    # The source's signed checkpoint that the history's proofs lead to, and its verifier keys.
    source_checkpoint = models.TextField(blank=True)
    source_log_keys = models.JSONField(default=list)
    # The summary (counts, digests, checksum) of what its last batch left, and how many batches
    # had come then: until another comes, the verification and the cutover read it instead of
    # digesting the rows again (an arriving customer changes only through its batches,
    # migration.freeze).
    summary = models.JSONField(default=dict)
    summary_batches = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    cutover_at = models.DateTimeField(null=True, blank=True)

    hanse_scope = Scope(partner="partner_id", tenant="source_customer_id", data=None)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["peer", "source_customer_id"], name="one_import_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.peer}:{self.source_customer_id} ({self.status})"


class ImportedObject(models.Model):
    """A source id beside the target's own: a retry finds what is already here."""

    imported = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="mapped")
    kind = models.CharField(max_length=16)
    source_id = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)

    hanse_scope = Scope(partner="imported__partner_id", tenant="imported__source_customer_id", data=None)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["imported", "kind", "source_id"], name="imported_object_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.source_id}→{self.target_id}"


class ImportBatch(models.Model):
    """A batch applied, committed with its rows: sent again, it changes nothing."""

    id = models.UUIDField(primary_key=True)  # the source's batch id
    imported = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="batches")
    attempt = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)  # SHA-256 of its items: the same id with others is refused
    items = models.PositiveIntegerField()
    applied_at = models.DateTimeField()

    hanse_scope = Scope(partner="imported__partner_id", tenant="imported__source_customer_id", data=None)

    def __str__(self) -> str:
        return str(self.id)


class ImportedAuditRecord(models.Model):
    """A moved customer's own audit history, kept as the source wrote it (its hash included), for
    the customer's admin to read at the target."""

    imported = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="audit_records")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="imported_audit")
    source_id = models.UUIDField()
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor = models.CharField(max_length=254)
    action = models.CharField(max_length=64)
    record = models.JSONField()  # every field the source hashed, as it hashed them
    hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, blank=True)
    path = models.JSONField(default=list)  # its inclusion proof in the source's checkpoint (base64)

    hanse_scope = Scope(partner="customer__partner_id", tenant="customer__tenant_id", data=DataKind.AUDIT)

    class Meta:
        ordering: ClassVar = ["seq"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["imported", "source_id"], name="imported_audit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}#{self.seq}"

    def as_line(self) -> dict[str, Any]:
        """The record as an export's line, with its proof (docs/audit.md §6)."""
        return {
            "seq": self.seq,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "body": self.record,
            "path": self.path,
        }
