"""The link of a partner's CSP account here to its CSP account in a peer instance (docs/links.md):
one row per partner account, holding who linked it to which tenant, and the peer's tokens sealed."""

from __future__ import annotations

import uuid

from django.db import models

from hanse.access.scope import Scope
from hanse.directory.models import User
from hanse.partners.models import PartnerAccount


class TenantLink(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.OneToOneField(PartnerAccount, on_delete=models.PROTECT, related_name="tenant_link")
    peer = models.CharField(max_length=20)
    # The target, as the peer's ID token said at the moment of the link.
    target_tenant_id = models.UUIDField()
    target_partner_id = models.UUIDField(null=True)  # its CSP account at the peer
    target_domain = models.CharField(max_length=253)
    target_region = models.CharField(max_length=64)
    target_geography = models.CharField(max_length=32)
    target_account_state = models.CharField(max_length=16)
    target_user = models.CharField(max_length=254)  # the Global admin who signed in at the peer
    linked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()
    # The peer's tokens for that user, sealed with this instance's key (links.sealing).
    access_token = models.TextField()
    refresh_token = models.TextField(blank=True)
    token_expires_at = models.DateTimeField()

    # The partner's own record: its staff read it; it holds no customer's data.
    hanse_scope = Scope(partner="partner_id", tenant="partner__tenant_id", data=None)

    def __str__(self) -> str:
        return f"{self.partner_id} → {self.peer}:{self.target_domain}"
