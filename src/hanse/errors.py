"""Typed domain errors with stable numeric codes (docs/architecture.md §4).

Each app declares its errors as ``ErrorSpec`` constants in its own ``errors.py``. The API renders
``{"code", "description", "data", "source"}``; the UI shows the same translated description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext

REGISTRY: dict[int, ErrorSpec] = {}


@dataclass(frozen=True)
class ErrorSpec:
    code: int
    status: int
    message: str | Promise  # a lazy translatable string with %(name)s placeholders
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        other = REGISTRY.get(self.code)
        if other is not None and other is not self and other.message != self.message:
            raise RuntimeError(f"error code {self.code} is declared twice")
        REGISTRY[self.code] = self


class DomainError(Exception):
    """A refusal the caller can act on. ``data`` carries machine-readable details."""

    def __init__(self, spec: ErrorSpec, *, data: list[Any] | None = None, **params: Any) -> None:
        self.spec = spec
        self.data = data or []
        self.params = params
        super().__init__(f"{spec.code}: {self.description}")

    @property
    def code(self) -> int:
        return self.spec.code

    @property
    def status(self) -> int:
        return self.spec.status

    @property
    def description(self) -> str:
        # Rendered on each read so that it follows the language active at that moment.
        msg = self.spec.message
        text = str(msg) if isinstance(msg, Promise) else gettext(msg)
        return text % self.params if self.params else text


class NotFound(DomainError):
    pass


class NotPermitted(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class Conflict(DomainError):
    pass
