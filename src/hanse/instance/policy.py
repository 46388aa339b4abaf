"""The sovereign instance's rules from the source document, in one place."""

from __future__ import annotations

from django.utils.translation import gettext

from hanse.instance.current import instance


def instead() -> str:
    """The European instances to use instead, named from ``peers``, for refusal messages."""
    peers = instance().peers
    if not peers:
        return gettext("another European instance of your provider")
    return ", ".join(f"{p.name or p.id} ({p.url})" for p in peers)
