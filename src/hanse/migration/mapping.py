"""The offer mapping (docs/migration.md): which offer of the target replaces each offer here.

The rule of the catalogues is ``X_DE`` → ``X``, as in the Cloud Deutschland migration; an override
file (``[migration] offer_map_file``, a JSON object of source offer → target offer) adds or
replaces entries. SKU GUIDs differ between the offers (catalog.models.sku_guid), so licences are
re-assigned through this mapping too, never by their GUIDs.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from hanse.errors import DomainError
from hanse.instance.current import instance
from hanse.migration import errors

SOVEREIGN_SUFFIX = "_DE"


@lru_cache(maxsize=4)
def _overrides(path: Path | None, mtime: float) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DomainError(errors.MAP_FILE_INVALID, file=str(path), reason=str(e)[:200]) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in data.items()
    ):
        raise DomainError(errors.MAP_FILE_INVALID, file=str(path), reason="an object of offer id → offer id")
    return data


def overrides() -> dict[str, str]:
    path = instance().migration.offer_map_file
    mtime = path.stat().st_mtime if path is not None and path.exists() else 0.0
    return _overrides(path, mtime)


def target_offer(offer_id: str) -> str | None:
    """The target's offer for ``offer_id``, or None when nothing maps it."""
    override = overrides().get(offer_id)
    if override:
        return override
    if offer_id.endswith(SOVEREIGN_SUFFIX):
        return offer_id[: -len(SOVEREIGN_SUFFIX)]
    return None


def mapping_for(offer_ids: set[str]) -> dict[str, str | None]:
    return {o: target_offer(o) for o in sorted(offer_ids)}
