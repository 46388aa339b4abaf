"""Every write to the catalogue: adding offers, loading a catalogue file."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import require
from hanse.audit import services as audit
from hanse.catalog import errors
from hanse.catalog.models import Offer, OfferPrice, sku_guid
from hanse.errors import Conflict, InvalidInput, NotPermitted
from hanse.instance.current import instance

CURRENCIES = {"EUR", "CHF", "NOK", "ISK", "SEK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN"}
FIELDS = {
    "id",
    "name",
    "description",
    "productId",
    "productName",
    "skuId",
    "skuName",
    "minQuantity",
    "maxQuantity",
    "isTrial",
    "billingCycle",
    "termDuration",
    "isSovereign",
    "prices",
}


def _clean(spec: dict[str, Any]) -> dict[str, Any]:
    oid = str(spec.get("id", ""))[:64]

    def bad(reason: str) -> InvalidInput:
        return InvalidInput(errors.OFFER_INVALID, offer=oid or "?", reason=reason)

    if not oid or not all(c.isalnum() or c in "-_:." for c in oid):
        raise bad("id must be letters, digits, '-', '_', ':' or '.'")
    unknown = set(spec) - FIELDS
    if unknown:
        raise bad(f"unknown field {sorted(unknown)[0]}")
    try:
        lo, hi = int(spec.get("minQuantity", 1)), int(spec.get("maxQuantity", 300))
    except (TypeError, ValueError):
        raise bad("minQuantity and maxQuantity must be whole numbers") from None
    if lo < 1 or hi < lo or hi > 100000:
        raise bad("1 <= minQuantity <= maxQuantity <= 100000")
    if spec.get("billingCycle", "monthly") not in Offer.BillingCycle.values:
        raise bad("billingCycle must be monthly or annual")
    prices = spec.get("prices")
    if not isinstance(prices, dict) or not prices:
        raise bad("prices must map currencies to amounts")
    parsed: dict[str, Decimal] = {}
    for currency, amount in prices.items():
        if currency not in CURRENCIES:
            raise bad(f"unknown currency {currency}")
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            raise bad(f"price {amount!r} is not a number") from None
        if value < 0 or value != value.quantize(Decimal("0.01")):
            raise bad(f"price {amount!r} must be non-negative with at most two decimals")
        parsed[currency] = value
    name = str(spec.get("name", "")).strip()
    if not name:
        raise bad("name is required")
    return {
        "id": oid,
        "name": name[:200],
        "description": str(spec.get("description", ""))[:2000],
        "product_id": str(spec.get("productId", oid))[:64],
        "product_name": str(spec.get("productName", name))[:200],
        "sku_id": str(spec.get("skuId", "0001"))[:64],
        "sku_name": str(spec.get("skuName", name))[:200],
        "min_quantity": lo,
        "max_quantity": hi,
        "is_trial": bool(spec.get("isTrial", False)),
        "billing_cycle": spec.get("billingCycle", "monthly"),
        "term": str(spec.get("termDuration", "P1M"))[:8],
        "is_sovereign": bool(spec.get("isSovereign", False)),
        "prices": parsed,
    }


def _create(actor: Principal, data: dict[str, Any]) -> Offer:
    prices = data.pop("prices")
    offer = Offer.objects.create(**data, guid=sku_guid(data["id"]), created_at=clock.now())
    OfferPrice.objects.bulk_create(
        [OfferPrice(offer=offer, currency=c, unit_price=p) for c, p in prices.items()]
    )
    audit.record(
        actor=actor,
        action="offer.add",
        target_type="Offer",
        target_id=offer.id,
        after={**data, "prices": {c: str(p) for c, p in prices.items()}},
    )
    return offer


@transaction.atomic
def offer_add(*, actor: Principal, spec: dict[str, Any]) -> Offer:
    """Deploy a new offer. A sovereign instance closed to new services refuses (stable code 6103)."""
    if not actor.is_system:
        require(actor, Action.INSTANCE_OPERATE)
    data = _clean(spec)
    if not instance().accepts_new_services:
        raise NotPermitted(errors.NEW_SERVICES_CLOSED, offer=data["id"])
    if Offer.objects.filter(id=data["id"]).exists():
        raise Conflict(errors.OFFER_EXISTS, offer=data["id"])
    return _create(actor, data)


@transaction.atomic
def catalog_load(*, actor: Principal, path: Path) -> list[Offer]:
    """Load a catalogue file (a JSON list of offers); all of it or nothing.

    An instance's first catalogue is its existing services, so it loads even where new services
    are closed; after that, every offer it adds is a new service and follows ``offer_add``.
    """
    try:
        specs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InvalidInput(errors.CATALOG_FILE_INVALID, reason=str(e)[:200]) from None
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise InvalidInput(errors.CATALOG_FILE_INVALID, reason="expected a JSON list of offers")
    if not Offer.objects.exists():
        return [_create(actor, _clean(spec)) for spec in specs]
    return [offer_add(actor=actor, spec=spec) for spec in specs]
