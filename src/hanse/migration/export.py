"""What of a customer moves, read at the source in the canonical form (canonical.py): the
profile, the users with their password hashes, roles and TOTP devices, the subscriptions under
the target's offers, the licences under the target's SKUs, and the customer's own audit history.
Read as the instance, in a stable order, so that the same frozen customer always exports the same
items and therefore the same batches."""

from __future__ import annotations

import base64
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from hanse.access.models import RoleAssignment
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.audit.chain import HASHED_FIELDS, OPTIONAL_FIELDS, hashed_body
from hanse.audit.models import AuditRecord
from hanse.audit.selectors import records_proofs, signed_by
from hanse.audit.services import checkpoint_covering
from hanse.commerce.models import OrderLineItem, Subscription
from hanse.customers.models import Customer
from hanse.directory.models import User
from hanse.licensing.models import LicenceAssignment
from hanse.migration import canonical
from hanse.migration.mapping import target_offer

READ = Action.MIGRATION_MANAGE


def export_items(reader: Principal, customer: Customer, *, audit_until: int) -> list[dict[str, Any]]:
    """Every item of the customer, in the order of canonical.KINDS; its audit history up to the
    record ``audit_until`` (the last before its freeze: what the move itself records stays here).
    An offer without a mapping exports as "": the plan refuses such a customer before it moves."""
    users = list(
        scoped(User.objects.all(), reader, READ)
        .filter(tenant_id=customer.tenant_id)
        .order_by("created_at", "id")
    )
    ids = [u.id for u in users]
    roles: dict[Any, list[str]] = {}
    for user_id, role in (
        scoped(RoleAssignment.objects.all(), reader, READ)
        .filter(user_id__in=ids)
        .values_list("user_id", "role")
    ):
        roles.setdefault(user_id, []).append(role)
    devices: dict[Any, list[TOTPDevice]] = {}
    for device in TOTPDevice.objects.filter(user_id__in=ids).order_by("id"):
        devices.setdefault(device.user_id, []).append(device)
    items = [canonical.customer_item(customer)]
    items += [
        canonical.user_item(u, source_id=str(u.id), roles=roles.get(u.id, []), totp=devices.get(u.id, []))
        for u in users
    ]
    subs = list(
        scoped(Subscription.objects.select_related("order"), reader, READ)
        .filter(customer_id=customer.id)
        .order_by("created_at", "id")
    )
    lines = dict(
        scoped(OrderLineItem.objects.all(), reader, READ)
        .filter(subscription_id__in=[s.id for s in subs])
        .values_list("subscription_id", "number")
    )
    items += [
        canonical.subscription_item(
            s,
            source_id=str(s.id),
            order_id=str(s.order_id),
            offer=target_offer(s.offer_id) or "",
            line=lines.get(s.id, 0),
        )
        for s in subs
    ]
    items += [
        canonical.licence_item(
            a, source_id=str(a.id), user_id=str(a.user_id), sku=target_offer(a.sku_id) or ""
        )
        for a in scoped(LicenceAssignment.objects.all(), reader, READ)
        .filter(customer_id=customer.id)
        .order_by("assigned_at", "id")
    ]
    history = list(
        scoped(AuditRecord.objects.all(), reader, Action.AUDIT_VIEW)
        .filter(tenant_id=customer.tenant_id, seq__lte=audit_until)
        .order_by("seq")
    )
    if history:
        # The first checkpoint that holds its last record: one already signed, as a rule, so that
        # a move signs none of its own (each signing reads the whole log), and the same one for
        # every export of the same frozen history.
        checkpoint = checkpoint_covering(history[-1].seq)
        proofs = records_proofs(history, checkpoint)
        items += [
            canonical.audit_item(
                source_id=str(r.id),
                seq=r.seq,
                record_hash=r.hash,
                prev_hash=r.prev_hash,
                record=hashed_body({k: getattr(r, k) for k in (*HASHED_FIELDS, *OPTIONAL_FIELDS)}),
                path=[base64.b64encode(h).decode() for h in proof],
            )
            for r, proof in zip(history, proofs, strict=True)
        ]
        items.append(
            canonical.checkpoint_item(size=checkpoint.size, note=checkpoint.note, keys=signed_by(checkpoint))
        )
    return items
