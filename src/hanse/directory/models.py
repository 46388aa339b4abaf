"""Tenants, users and API tokens."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from hanse.access.principal import DataKind
from hanse.access.scope import Scope


class Tenant(models.Model):
    class Kind(models.TextChoices):
        PROVIDER = "provider", _("Provider")
        TRUSTEE = "trustee", _("Data trustee")
        PARTNER = "partner", _("Partner")
        CUSTOMER = "customer", _("Customer")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        # Moving here from another instance: nobody signs in until its cutover (docs/migration.md).
        ARRIVING = "arriving", _("Arriving")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    domain = models.CharField(_("domain"), max_length=253)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    home_region = models.CharField(_("home region"), max_length=64)
    country = models.CharField(_("country"), max_length=2)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("domain"), name="tenant_domain_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # UPNs are case-insensitive, as in every directory partners know.
        return self.get(upn__ieq=username or "", deleted_at__isnull=True)


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="users")
    upn = models.CharField(_("user principal name"), max_length=254)
    display_name = models.CharField(_("display name"), max_length=200)
    first_name = models.CharField(_("first name"), max_length=64, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=64, blank=True, default="")
    is_active = models.BooleanField(default=True)
    # Where the user works (ISO country): a licence needs one, as in Microsoft 365.
    usage_location = models.CharField(_("usage location"), max_length=2, blank=True, default="")
    must_change_password = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Bumped on password reset so every session and token issued before it stops working.
    credentials_version = models.PositiveIntegerField(default=1)

    objects = UserManager()

    hanse_scope = Scope(
        partner=("tenant__partner_account", "tenant__customer__partner"),
        tenant="tenant_id",
        data=DataKind.USERS,
    )

    USERNAME_FIELD = "upn"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("upn"), name="user_upn_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.upn

    # Django's auth machinery and django-otp expect these on the user model.
    @property
    def is_staff(self) -> bool:
        return False

    @property
    def is_superuser(self) -> bool:
        return False

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def get_session_auth_hash(self) -> str:
        # Include the credentials version so that a revocation logs out existing sessions.
        return f"{super().get_session_auth_hash()}:{self.credentials_version}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    credentials_version = models.PositiveIntegerField(default=1)
    # The credential that minted it: revoking that one revokes this one (and what it minted).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    parent_oauth_checksum = models.CharField(max_length=64, blank=True)  # an OAuth access token's SHA-256

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"


class UserImport(models.Model):
    """A CSV import of a customer's users too large to run within one request: a job, row by row.
    Each row's user and the job's progress commit in one transaction, so that a worker that dies
    resumes at the first row not done, and no row is created twice or lost with its password."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="user_imports")
    partner_id = models.UUIDField(null=True)
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    rows = models.JSONField()  # [line, userPrincipalName, displayName, usageLocation]
    next_row = models.PositiveIntegerField(default=0)
    created = models.JSONField(default=list)  # [line, userPrincipalName, temporary password | null]
    refused = models.JSONField(default=list)  # [line, userPrincipalName, error code, its parameters]
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    passwords_shown_at = models.DateTimeField(null=True, blank=True)  # then cleared: shown once

    hanse_scope = Scope(partner="partner_id", tenant="tenant_id", data=DataKind.USERS)

    def __str__(self) -> str:
        return f"import {self.id} ({self.next_row}/{len(self.rows)})"


class CredentialEpoch(models.Model):
    """One row: a number that changes whenever a credential, a user, a tenant or a role changes
    in a way that can change what a bearer token acts as. A web process keeps the principal of a
    token it has verified beside the number it read first; a request reads the number (one
    primary-key lookup) and uses the kept principal only while it is unchanged
    (``hanse.directory.bearer``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)
