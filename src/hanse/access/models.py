"""Which roles each user holds."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from hanse.access.principal import DataKind
from hanse.access.roles import Role
from hanse.access.scope import Scope
from hanse.directory.models import User


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=[(r.value, r.label) for r in Role])
    created_at = models.DateTimeField()

    # As the user's own scope: a partner's staff, and its customers' users (whose roles a migration
    # moves with them).
    hanse_scope = Scope(
        partner=("user__tenant__partner_account", "user__tenant__customer__partner"),
        tenant="user__tenant_id",
        data=DataKind.USERS,
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"
