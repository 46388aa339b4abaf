"""This deployment's instance, read from settings each time so that tests can swap it."""

from __future__ import annotations

from django.conf import settings

from hanse.instance.config import InstanceConfig


def instance() -> InstanceConfig:
    return settings.HANSE_INSTANCE
