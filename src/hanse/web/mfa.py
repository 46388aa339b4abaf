"""When MFA is required, and whether a user has it."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from hanse.access.principal import Principal
from hanse.instance.current import instance


def mfa_required(principal: Principal) -> bool:
    required = set(instance().mfa_required_roles)
    return any(r.value in required for r in principal.roles)


def has_confirmed_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()
