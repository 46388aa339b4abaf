"""Every write to licences: assign and remove several SKUs for one user, atomically."""

from __future__ import annotations

import uuid

from django.db import transaction

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.catalog.selectors import offer_ids
from hanse.commerce.models import Subscription
from hanse.directory.customer_users import customer_user_for_update
from hanse.directory.services import audit_user
from hanse.errors import Conflict, InvalidInput
from hanse.instance.routing import admin_center_users, ensure_partner_center
from hanse.licensing import errors
from hanse.licensing.models import LicenceAssignment
from hanse.licensing.selectors import consumed, seats

MANAGE = Action.CUSTOMER_USER_MANAGE


@transaction.atomic
def licence_update(
    *, actor: Principal, customer_id: uuid.UUID, user_id: uuid.UUID, add: list[str], remove: list[str]
) -> list[str]:
    """Add and remove SKUs for one user; all of it or nothing. Returns the user's SKUs after."""
    ensure_partner_center("licences", endpoint=admin_center_users(customer_id, f"/{user_id}/assignLicense"))
    add, remove = list(dict.fromkeys(offer_ids(add))), list(dict.fromkeys(offer_ids(remove)))
    user = customer_user_for_update(actor, customer_id, user_id)  # not found comes first
    both = set(add) & set(remove)
    if both:
        raise InvalidInput(errors.LICENCE_BOTH_WAYS, sku=sorted(both)[0])
    assigned = scoped(LicenceAssignment.objects.all(), actor, MANAGE).filter(user=user)
    held = set(assigned.values_list("sku_id", flat=True))
    before = sorted(held)
    for sku in remove:
        if sku not in held:
            raise InvalidInput(errors.LICENCE_NOT_ASSIGNED, sku=sku[:64])
    assigned.filter(sku_id__in=remove).delete()
    to_add = [sku for sku in add if sku not in held]
    if to_add and not user.usage_location:
        raise InvalidInput(errors.USAGE_LOCATION_REQUIRED)
    customer_id = user.tenant.customer.id
    for sku in to_add:
        if "\x00" in sku:  # no SKU has one, and PostgreSQL refuses to even compare it
            raise InvalidInput(errors.SKU_NOT_SUBSCRIBED, sku=sku[:64].replace("\x00", ""))
        # Lock the SKU's subscriptions: concurrent assignments of its last seat queue here, and the
        # count below sees every assignment committed before (one winner, on SQLite and PostgreSQL).
        locked = list(
            scoped(Subscription.objects.select_for_update(), actor, MANAGE)
            .filter(customer_id=customer_id, offer_id=sku, status=Subscription.Status.ACTIVE)
            .values_list("id", flat=True)
        )
        if not locked:
            raise InvalidInput(errors.SKU_NOT_SUBSCRIBED, sku=sku[:64])
        prepaid = seats(actor, MANAGE, customer_id, sku)
        if consumed(actor, MANAGE, customer_id, sku) >= prepaid:
            raise Conflict(
                errors.OUT_OF_SEATS, sku=sku, prepaid=prepaid, data=[{"skuId": sku, "prepaid": prepaid}]
            )
        LicenceAssignment.objects.create(
            customer_id=customer_id, user=user, sku_id=sku, assigned_at=clock.now()
        )
    after = sorted((held - set(remove)) | set(to_add))
    if after != before:
        audit_user(actor, "licence.update", user, before={"licences": before}, after={"licences": after})
    return after


def ensure_seats_cover(
    *, actor: Principal, subscription: Subscription, quantity: int | None, status: str
) -> None:
    """A subscription may not drop below the seats its customer has assigned (its refusal says what to do)."""
    action = Action.SUBSCRIPTION_MANAGE
    sku = subscription.offer_id
    others = seats(actor, action, subscription.customer_id, sku, excluding=subscription.id)
    remaining = others + (quantity if status == Subscription.Status.ACTIVE and quantity else 0)
    used = consumed(actor, action, subscription.customer_id, sku)
    if used > remaining:
        raise Conflict(errors.SEATS_IN_USE, consumed=used, sku=subscription.offer_id, remaining=remaining)
