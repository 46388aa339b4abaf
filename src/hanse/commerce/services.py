"""Every write to orders and subscriptions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter

from django.db import transaction

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.audit import services as audit
from hanse.billing.services import seat_change_record
from hanse.catalog.models import Offer
from hanse.catalog.selectors import market_offer
from hanse.commerce import errors
from hanse.commerce.models import Order, OrderLineItem, Subscription
from hanse.customers.selectors import customer_get
from hanse.errors import Conflict, DomainError, InvalidInput, NotFound
from hanse.licensing.services import ensure_seats_cover
from hanse.migration.freeze import ensure_unfrozen
from hanse.partners.models import PartnerAccount
from hanse.partners.services import account_for_update, ensure_active

MAX_LINES = 50
S = Subscription.Status


@dataclass(frozen=True)
class LineItem:
    offer_id: str
    quantity: int
    friendly_name: str = ""
    number: int | None = None


def subscription_snapshot(s: Subscription) -> dict[str, object]:
    return {
        "offerId": s.offer_id,
        "friendlyName": s.friendly_name,
        "quantity": s.quantity,
        "status": s.status,
        "autoRenewEnabled": s.auto_renew,
        "isTrial": s.is_trial,
        "unitPrice": s.unit_price,
        "currency": s.currency,
    }


def quantity_check(offer: Offer, quantity: int) -> None:
    """An offer is bought in its own range of seats: the order, a quantity change, and the cart
    (which checks on add and on change, so that a wrong number is said where it was typed)."""
    if not offer.min_quantity <= quantity <= offer.max_quantity:
        raise InvalidInput(
            errors.QUANTITY_OUT_OF_RANGE,
            offer=offer.name,
            id=offer.id,
            min=offer.min_quantity,
            max=offer.max_quantity,
            quantity=quantity,
        )


@transaction.atomic
def order_create(*, actor: Principal, customer_id: uuid.UUID, lines: list[LineItem]) -> Order:
    """All of an order's subscriptions, or none."""
    customer = customer_get(principal=actor, customer_id=customer_id, action=Action.SUBSCRIPTION_MANAGE)
    ensure_unfrozen(customer_id=customer.id)
    account = account_for_update(actor, Action.SUBSCRIPTION_MANAGE, customer.partner_id)
    ensure_active(account)
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidInput(errors.ORDER_EMPTY, max=MAX_LINES)
    # A line without a number takes the lowest number no line was given, in order.
    given = {line.number for line in lines if line.number is not None}
    free = (n for n in range(len(lines) + len(given)) if n not in given)
    numbers = [line.number if line.number is not None else next(free) for line in lines]
    duplicates = {n for n in numbers if numbers.count(n) > 1}
    if duplicates:
        raise InvalidInput(errors.DUPLICATE_LINE, number=min(duplicates))
    priced = []
    for line in lines:
        item = market_offer(offer_id=line.offer_id, country=customer.country)
        offer = item.offer
        quantity_check(offer, line.quantity)
        trial_twice = any(earlier.offer.id == offer.id for _, earlier in priced)
        if offer.is_trial and (
            trial_twice
            or scoped(Subscription.objects.all(), actor, Action.SUBSCRIPTION_MANAGE)
            .filter(customer=customer, offer=offer)
            .exists()
        ):
            raise Conflict(errors.TRIAL_ALREADY_USED, offer=offer.id)
        priced.append((line, item))
    now = clock.now()
    currency = priced[0][1].currency
    order = Order.objects.create(
        customer=customer, partner=account, currency=currency, created_at=now, created_by=actor.upn
    )
    for number, (line, item) in zip(numbers, priced, strict=True):
        sub = Subscription.objects.create(
            customer=customer,
            partner=account,
            order=order,
            offer=item.offer,
            friendly_name=(line.friendly_name or "").strip()[:200] or item.offer.name,
            quantity=line.quantity,
            is_trial=item.offer.is_trial,
            auto_renew=not item.offer.is_trial,
            billing_cycle=item.offer.billing_cycle,
            term=item.offer.term,
            unit_price=item.unit_price,
            currency=item.currency,
            created_at=now,
            updated_at=now,
        )
        OrderLineItem.objects.create(
            order=order,
            number=number,
            offer=item.offer,
            quantity=line.quantity,
            friendly_name=sub.friendly_name,
            subscription=sub,
        )
        seat_change_record(sub, actor=actor, action=Action.SUBSCRIPTION_MANAGE, reason="subscription.create")
        audit.record(
            actor=actor,
            action="subscription.create",
            target_type="Subscription",
            target_id=sub.id,
            partner_id=account.id,
            tenant_id=customer.tenant_id,
            after=subscription_snapshot(sub),
        )
    audit.record(
        actor=actor,
        action="order.create",
        target_type="Order",
        target_id=order.id,
        partner_id=account.id,
        tenant_id=customer.tenant_id,
        after={"lineItems": [{"offerId": li.offer_id, "quantity": li.quantity} for li, _ in priced]},
    )
    return order


@dataclass(frozen=True)
class SubscriptionChange:
    quantity: int | None = None
    friendly_name: str | None = None
    status: str | None = None
    auto_renew: bool | None = None
    # What the caller read of the fields it cannot change (Partner Center's clients send the
    # whole subscription back): name shown in the error -> (attribute path, value read).
    unchanged: Mapping[str, tuple[str, object]] = field(default_factory=dict)


def _same(stored: object, read: object) -> bool:
    if isinstance(stored, datetime) and isinstance(read, datetime):
        # The API writes times to the millisecond, as Django's JSON encoder does.
        return stored.replace(microsecond=stored.microsecond // 1000 * 1000) == read
    return stored == read


@transaction.atomic
def subscription_update(
    *,
    actor: Principal,
    customer_id: uuid.UUID,
    subscription_id: uuid.UUID,
    change: SubscriptionChange,
    if_match: str | None,
    etag: str | None = None,
) -> Subscription:
    """``if_match`` (the header) and ``etag`` (Partner Center's ``attributes.etag`` in the body):
    each one given must name the current version."""
    sub = (
        scoped(Subscription.objects.select_for_update(), actor, Action.SUBSCRIPTION_MANAGE)
        .select_related("offer", "customer")
        .filter(id=subscription_id, customer_id=customer_id)
        .first()
    )
    if sub is None:
        raise NotFound(errors.SUBSCRIPTION_NOT_FOUND)
    ensure_unfrozen(customer_id=sub.customer_id)
    for tag in (if_match, etag):
        if tag is not None and tag.strip() not in (sub.etag, sub.etag[2:], str(sub.version)):
            raise DomainError(errors.ETAG_MISMATCH)
    for name, (path, value) in change.unchanged.items():
        if not _same(attrgetter(path)(sub), value):
            raise Conflict(errors.READ_ONLY_CHANGED, field=name)
    if sub.status == S.DELETED:
        raise Conflict(errors.SUBSCRIPTION_CANCELLED)
    ensure_active(
        scoped(PartnerAccount.objects.all(), actor, Action.SUBSCRIPTION_MANAGE).get(id=sub.partner_id)
    )
    if change.status is not None and change.status not in S.values:
        raise InvalidInput(errors.STATUS_INVALID, status=str(change.status)[:20])
    before = subscription_snapshot(sub)
    target_status = change.status or sub.status
    if change.quantity is not None and change.quantity != sub.quantity:
        # The quantity applies to the subscription as it will be after this request.
        if target_status != S.ACTIVE:
            raise Conflict(errors.SUBSCRIPTION_SUSPENDED)
        quantity_check(sub.offer, change.quantity)
        sub.quantity = change.quantity
    if change.friendly_name is not None:
        if not change.friendly_name.strip():
            raise InvalidInput(errors.FRIENDLY_NAME_EMPTY)
        sub.friendly_name = change.friendly_name.strip()[:200]
    if change.auto_renew is not None:
        sub.auto_renew = change.auto_renew
    reduces = target_status != S.ACTIVE or (
        change.quantity is not None and change.quantity < before["quantity"]
    )
    if reduces and sub.status == S.ACTIVE:
        ensure_seats_cover(actor=actor, subscription=sub, quantity=sub.quantity, status=target_status)
    action = "subscription.update"
    if target_status != sub.status:
        action = {
            S.ACTIVE: "subscription.reactivate",
            S.SUSPENDED: "subscription.suspend",
            S.DELETED: "subscription.cancel",
        }[S(target_status)]
        sub.status = target_status
        if target_status == S.DELETED:
            sub.cancelled_at = clock.now()
            sub.auto_renew = False
    after = subscription_snapshot(sub)
    if after == before:
        return sub
    sub.version += 1
    sub.updated_at = clock.now()
    sub.save()
    seat_change_record(sub, actor=actor, action=Action.SUBSCRIPTION_MANAGE, reason=action)
    audit.record(
        actor=actor,
        action=action,
        target_type="Subscription",
        target_id=sub.id,
        partner_id=sub.partner_id,
        tenant_id=sub.customer.tenant_id,
        before=before,
        after=after,
    )
    return sub
