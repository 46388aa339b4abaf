"""CSP accounts: a partner's account in this instance."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from hanse.access.scope import Scope
from hanse.directory.models import Tenant


class PartnerAccount(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.OneToOneField(Tenant, on_delete=models.PROTECT, related_name="partner_account")
    company_name = models.CharField(_("company name"), max_length=200)
    region = models.CharField(_("region"), max_length=64)
    country = models.CharField(_("country"), max_length=2)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    # Why the operator suspended it (required, shown to the partner); cleared on reactivation.
    suspension_reason = models.TextField(max_length=1000, blank=True)
    # The billing profile its invoices are addressed to, kept by its Billing admin.
    billing_address = models.TextField(_("billing address"), max_length=600, blank=True)
    vat_id = models.CharField(_("VAT number"), max_length=20, blank=True)
    invoice_language = models.CharField(_("invoice language"), max_length=5, default="en")

    # A partner account is the partner's own data, not its customers'.
    hanse_scope = Scope(partner="id", tenant="tenant_id", data=None)

    def __str__(self) -> str:
        return self.company_name

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class AgreementSignature(models.Model):
    """Who accepted which version of the partner agreement, when and from where."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(PartnerAccount, on_delete=models.PROTECT, related_name="signatures")
    version = models.CharField(max_length=20)
    signer_user_id = models.UUIDField()
    signer_name = models.CharField(max_length=200)
    signer_email = models.EmailField(max_length=254)
    signed_at = models.DateTimeField()
    client_address = models.CharField(max_length=64, blank=True)

    hanse_scope = Scope(partner="account_id", tenant="account__tenant_id", data=None)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "version"], name="agreement_signed_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} v{self.version}"
