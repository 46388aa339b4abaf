"""Every write and read of the migration at the target (docs/migration.md): a peer, with the
link's token, imports a customer for the partner whose Global admin linked it.

A batch is applied once: its id is stored with its rows in one transaction, and a batch sent
again is answered as the first time. Rows keep the source's ids beside their own
(``ImportedObject``), so that an object sent twice is found, not created twice. A customer is
*arriving* (nobody signs in) until its cutover, which checks the content checksum once more.
An attempt that is rolled back or superseded by the next is removed whole.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django_otp.plugins.otp_totp.models import TOTPDevice

from hanse import clock
from hanse.access.models import RoleAssignment
from hanse.access.principal import Principal, system_principal
from hanse.access.roles import Action, Role
from hanse.access.scope import require, scoped
from hanse.audit import notes
from hanse.audit import services as audit
from hanse.audit.offline import VerifyError, check_history
from hanse.billing.services import customer_seats_record
from hanse.catalog.models import Offer
from hanse.commerce.models import Order, OrderLineItem, Subscription
from hanse.customers import counts
from hanse.customers.models import Customer
from hanse.customers.services import customer_region, new_customers_closed
from hanse.directory.models import Tenant, User
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hanse.faults import crash_point
from hanse.licensing.models import LicenceAssignment
from hanse.migration import canonical, errors
from hanse.migration.canonical import BILLING_FIELDS, KINDS, TOTP_FIELDS, Summary, parse_when
from hanse.migration.models import Import, ImportBatch, ImportedAuditRecord, ImportedObject
from hanse.partners.models import PartnerAccount
from hanse.partners.services import ensure_active

IMPORT = Action.MIGRATION_IMPORT
# Uniqueness of names is the instance's, across partners: the one read beyond the peer's scope,
# and it answers only whether a name it was given is taken.
UNIQUE = system_principal("migration-unique")
MAX_ITEMS = 5000


def _peer(actor: Principal) -> str:
    return actor.upn.removeprefix("peer:")


def _import(actor: Principal, customer_id: uuid.UUID) -> Import | None:
    return (
        scoped(Import.objects.select_for_update(), actor, IMPORT)
        .filter(peer=_peer(actor), source_customer_id=customer_id)
        .first()
    )


@dataclass(frozen=True)
class BatchResult:
    batch: uuid.UUID
    applied: int
    replay: bool


def import_batch(*, actor: Principal, customer_id: uuid.UUID, body: dict[str, Any]) -> BatchResult:
    """Apply one batch, all of it or nothing. Two copies of a first batch at once: one creates
    the import, the other meets its unique key, and is answered as a replay on its second try."""
    try:
        return _apply_batch(actor, customer_id, body)
    except IntegrityError:
        return _apply_batch(actor, customer_id, body)


def _is_last(body: dict[str, Any]) -> bool:
    """The last batch of its attempt, as the source numbers them."""
    index, total = body.get("index"), body.get("total")
    return isinstance(index, int) and isinstance(total, int) and index == total - 1


def _batch_fields(body: dict[str, Any]) -> tuple[uuid.UUID, int, list[dict[str, Any]], str]:
    try:
        batch = uuid.UUID(str(body["batch"]))
        attempt = int(body["attempt"])
        items = body["items"]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(errors.IMPORT_INVALID, reason="batch, attempt and items are required") from None
    if not isinstance(items, list) or len(items) > MAX_ITEMS or attempt < 1:
        raise InvalidInput(errors.IMPORT_INVALID, reason=f"items: a list of at most {MAX_ITEMS}")
    if any(not isinstance(i, dict) or i.get("kind") not in KINDS or not i.get("id") for i in items):
        raise InvalidInput(errors.IMPORT_INVALID, reason="each item has a known kind and an id")
    digest = hashlib.sha256(json.dumps(items, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return batch, attempt, items, digest


@transaction.atomic
def _apply_batch(actor: Principal, customer_id: uuid.UUID, body: dict[str, Any]) -> BatchResult:
    require(actor, IMPORT)
    closed = new_customers_closed()
    if closed is not None:
        raise NotPermitted(errors.IMPORT_CLOSED)
    batch_id, attempt, items, digest = _batch_fields(body)
    account = scoped(PartnerAccount.objects.select_for_update(), actor, IMPORT).get(id=actor.partner_id)
    ensure_active(account)
    imp = _import(actor, customer_id)
    done = scoped(ImportBatch.objects.all(), actor, IMPORT).filter(id=batch_id).first()
    if done is not None:
        if done.digest != digest:
            raise Conflict(errors.IMPORT_BATCH_REUSED, batch=str(batch_id))
        return BatchResult(batch_id, done.items, replay=True)
    if imp is not None:
        if imp.status == Import.Status.ACTIVE:
            raise Conflict(errors.IMPORT_CUT_OVER, customer=str(customer_id))
        if imp.attempt > attempt or (imp.attempt == attempt and imp.status == Import.Status.REMOVED):
            raise Conflict(errors.IMPORT_STALE, attempt=attempt)
        if imp.attempt < attempt:
            _clear(actor, imp)  # the attempt before was given up: this one starts from nothing
            imp.attempt, imp.status = attempt, Import.Status.IMPORTING
            imp.save(update_fields=["attempt", "status"])
    importer = _Importer(actor, account, customer_id, imp)
    importer.prepare(items)
    for item in items:
        importer.apply(item, attempt=attempt, source=str(body.get("source", ""))[:100])
    importer.flush()
    crash_point("target.batch.applied")  # its rows written, not committed
    ImportBatch.objects.create(
        id=batch_id,
        imported=importer.imp,
        attempt=attempt,
        digest=digest,
        items=len(items),
        applied_at=clock.now(),
    )
    if importer.imp is not None and _is_last(body):
        # Read back from the rows just written, as the verification would read them.
        importer.imp.summary = _summary(actor, importer.imp)
        importer.imp.summary_batches = _batches_applied(actor, importer.imp)
        importer.imp.save(update_fields=["summary", "summary_batches"])
    kinds: dict[str, int] = {}
    for item in items:
        kinds[item["kind"]] = kinds.get(item["kind"], 0) + 1
    audit.record(
        actor=actor,
        action="migration.import",
        target_type="Customer",
        target_id=customer_id,
        partner_id=account.id,
        tenant_id=customer_id,
        after={"batch": str(batch_id), "attempt": attempt, "index": body.get("index"), "objects": kinds},
    )
    return BatchResult(batch_id, len(items), replay=False)


class _Importer:
    """Applies items of one customer; each finds its row by the source id, or creates it. The
    import's map of source ids is read once per batch. The rows a batch creates, and what it adds
    to the map, are written at the end (``flush``), one insert a table: a customer's batch costs
    a few statements, not one for each object."""

    def __init__(
        self, actor: Principal, account: PartnerAccount, customer_id: uuid.UUID, imp: Import | None
    ) -> None:
        self.actor, self.account, self.customer_id, self.imp = actor, account, customer_id, imp
        self._row: Customer | None = None
        self.known: dict[tuple[str, str], str] = {}
        self.added: list[ImportedObject] = []
        self.offers: dict[str, Offer | None] = {}
        self.taken: set[str] = set()
        self.history: list[tuple[str, ImportedAuditRecord]] = []
        # New rows, parents before children: inserted in this order.
        self.new: dict[type, list[Any]] = {
            model: []
            for model in (
                User,
                RoleAssignment,
                TOTPDevice,
                Order,
                Subscription,
                OrderLineItem,
                LicenceAssignment,
                ImportedAuditRecord,
            )
        }
        if imp is not None:
            self.known = {
                (kind, source): target
                for kind, source, target in scoped(ImportedObject.objects.all(), actor, IMPORT)
                .filter(imported=imp)
                .values_list("kind", "source_id", "target_id")
            }

    def prepare(self, items: list[dict[str, Any]]) -> None:
        """The batch's user names already taken in another tenant (ignoring case, as the unique
        index does), in one query."""
        upns = [str(i.get("upn", "")).strip().lower() for i in items if i.get("kind") == "user"]
        if upns:
            others = scoped(User.objects.all(), UNIQUE, IMPORT).exclude(tenant_id=self.customer_id)
            self.taken = set(
                others.annotate(key=Lower("upn")).filter(key__in=upns).values_list("key", flat=True)
            )

    def target(self, kind: str, source_id: str) -> str | None:
        return self.known.get((kind, source_id))

    def remember(self, kind: str, source_id: str, target_id: object) -> None:
        self.known[(kind, source_id)] = str(target_id)
        self.added.append(
            ImportedObject(imported=self.imp, kind=kind, source_id=source_id, target_id=str(target_id))
        )

    def offer(self, offer_id: str) -> Offer | None:
        if offer_id not in self.offers:
            self.offers[offer_id] = Offer.objects.filter(id=offer_id, is_available=True).first()
        return self.offers[offer_id]

    def flush(self) -> None:
        for model, rows in self.new.items():
            if model is ImportedAuditRecord:
                for row in rows:
                    row.imported = self.imp
            model.objects.bulk_create(rows)
            rows.clear()
        for source_id, row in self.history:
            self.remember("audit", source_id, row.id)
        self.history.clear()
        for obj in self.added:
            obj.imported = self.imp  # the first batch created the import after its first item
        ImportedObject.objects.bulk_create(self.added)
        self.added.clear()

    @property
    def customer(self) -> Customer:
        if self._row is None:
            if self.imp is None or self.imp.customer_id is None:
                raise InvalidInput(errors.IMPORT_INVALID, reason="the first batch starts with the customer")
            self._row = scoped(Customer.objects.select_related("tenant"), self.actor, IMPORT).get(
                id=self.imp.customer_id
            )
        return self._row

    def apply(self, item: dict[str, Any], *, attempt: int, source: str) -> None:
        step = {
            "customer": self._customer,
            "user": self._user,
            "subscription": self._subscription,
            "licence": self._licence,
            "audit": self._audit,
            "checkpoint": self._checkpoint,
        }[item["kind"]]
        try:
            step(item, attempt=attempt, source=source)
        except (KeyError, TypeError, ValueError, ArithmeticError) as e:
            what = f"{item['kind']} {str(item.get('id'))[:64]}"
            raise InvalidInput(
                errors.IMPORT_INVALID, reason=f"{what}: {type(e).__name__} {str(e)[:80]}"
            ) from None

    def _customer(self, item: dict[str, Any], *, attempt: int, source: str) -> None:
        tenant_id = uuid.UUID(item["id"])
        if tenant_id != self.customer_id:
            raise ValueError("the customer's id is its tenant's, the one of the path")
        billing = item["billing"]
        if self.imp is None or self.imp.customer_id is None:
            domain = str(item["domain"]).strip().lower()
            if (
                Tenant.objects.filter(domain__ieq=domain).exists()
                or Tenant.objects.filter(id=tenant_id).exists()
            ):
                raise Conflict(errors.IMPORT_DOMAIN_TAKEN, domain=domain)
            country = str(billing["country"]).upper()
            tenant = Tenant.objects.create(
                id=tenant_id,
                domain=domain,
                name=str(item["tenantName"])[:200],
                kind=Tenant.Kind.CUSTOMER,
                home_region=customer_region(country, self.account.region),
                country=country,
                state=Tenant.State.ARRIVING,
                created_at=clock.now(),
            )
            customer = Customer(
                id=tenant_id,
                partner=self.account,
                tenant=tenant,
                company_name=str(item["companyName"])[:200],
                created_at=parse_when(item["createdAt"]),
            )
            for f in BILLING_FIELDS:
                setattr(customer, f, str(billing[f]))
            customer.save(force_insert=True)
            counts.add(self.actor, IMPORT, self.account.id, 1)
            if self.imp is None:
                self.imp = Import.objects.create(
                    peer=_peer(self.actor),
                    source_customer_id=tenant_id,
                    partner=self.account,
                    customer=customer,
                    attempt=attempt,
                    source_instance=source,
                    created_at=clock.now(),
                )
            else:
                self.imp.customer = customer
                self.imp.save(update_fields=["customer"])
            self.remember("customer", item["id"], customer.id)
            self._row = customer
            return
        customer = self.customer
        customer.company_name = str(item["companyName"])[:200]
        for f in BILLING_FIELDS:
            setattr(customer, f, str(billing[f]))
        customer.save()
        customer.tenant.name = str(item["tenantName"])[:200]
        customer.tenant.save(update_fields=["name"])

    def _user(self, item: dict[str, Any], *, attempt: int, source: str) -> None:
        tenant = self.customer.tenant
        upn = str(item["upn"]).strip()
        known = self.target("user", item["id"])
        if upn.lower() in self.taken:
            raise Conflict(errors.IMPORT_UPN_TAKEN, upn=upn)
        if known is None:
            user = User(tenant=tenant, upn=upn, created_at=parse_when(item["createdAt"]))
        else:
            user = scoped(User.objects.all(), self.actor, IMPORT).get(id=known)
        user.upn = upn
        user.display_name = str(item["displayName"])[:200]
        user.first_name, user.last_name = str(item["firstName"])[:64], str(item["lastName"])[:64]
        user.is_active = bool(item["isActive"])
        user.usage_location = str(item["usageLocation"])[:2]
        user.must_change_password = bool(item["mustChangePassword"])
        user.password = str(item["passwordHash"])  # the hash, as the source stored it: never a password
        user.deleted_at = parse_when(item["deletedAt"])
        if known is None:
            self.new[User].append(user)
            self.remember("user", item["id"], user.id)
        else:  # sent again: its roles and devices as the source has them now
            user.save()
            scoped(RoleAssignment.objects.all(), self.actor, IMPORT).filter(user=user).delete()
            TOTPDevice.objects.filter(user=user).delete()
        self.new[RoleAssignment] += [
            RoleAssignment(user=user, role=Role(role), created_at=clock.now()) for role in item["roles"]
        ]
        self.new[TOTPDevice] += [
            TOTPDevice(user=user, **{f: device[f] for f in TOTP_FIELDS}) for device in item["totp"]
        ]

    def _subscription(self, item: dict[str, Any], *, attempt: int, source: str) -> None:
        customer = self.customer
        offer = self.offer(str(item["offer"]))
        if offer is None:
            raise Conflict(errors.IMPORT_OFFER_UNKNOWN, offer=str(item["offer"])[:64])
        order_id = self.target("order", item["orderId"])
        if order_id is None:
            order = Order(
                customer=customer,
                partner=self.account,
                currency=str(item["currency"])[:3],
                created_at=parse_when(item["orderCreatedAt"]),
                created_by=str(item["orderCreatedBy"])[:254],
            )
            self.new[Order].append(order)
            self.remember("order", item["orderId"], order.id)
        else:
            order = next((o for o in self.new[Order] if str(o.id) == order_id), None) or scoped(
                Order.objects.all(), self.actor, IMPORT
            ).get(id=order_id)
        known = self.target("subscription", item["id"])
        sub = (
            Subscription(customer=customer, partner=self.account, order=order)
            if known is None
            else scoped(Subscription.objects.all(), self.actor, IMPORT).get(id=known)
        )
        sub.offer = offer
        sub.friendly_name = str(item["friendlyName"])[:200]
        sub.quantity = int(item["quantity"])
        sub.status = Subscription.Status(item["status"])
        sub.auto_renew, sub.is_trial = bool(item["autoRenew"]), bool(item["isTrial"])
        sub.billing_cycle, sub.term = str(item["billingCycle"])[:16], str(item["term"])[:8]
        sub.unit_price, sub.currency = Decimal(str(item["unitPrice"])), str(item["currency"])[:3]
        sub.created_at, sub.updated_at = parse_when(item["createdAt"]), parse_when(item["updatedAt"])
        sub.cancelled_at = parse_when(item["cancelledAt"])
        if known is not None:
            sub.save()
            return
        self.new[Subscription].append(sub)
        self.remember("subscription", item["id"], sub.id)
        self.new[OrderLineItem].append(
            OrderLineItem(
                order=order,
                number=int(item["line"]),
                offer=offer,
                quantity=sub.quantity,
                friendly_name=sub.friendly_name,
                subscription=sub,
            )
        )

    def _licence(self, item: dict[str, Any], *, attempt: int, source: str) -> None:
        user_id = self.target("user", item["user"])
        if user_id is None:
            raise ValueError("its user was not imported")
        sku = self.offer(str(item["sku"]))
        if sku is None:
            raise Conflict(errors.IMPORT_OFFER_UNKNOWN, offer=str(item["sku"])[:64])
        known = self.target("licence", item["id"])
        licence = (
            LicenceAssignment(customer=self.customer)
            if known is None
            else scoped(LicenceAssignment.objects.all(), self.actor, IMPORT).get(id=known)
        )
        licence.user_id, licence.sku, licence.assigned_at = user_id, sku, parse_when(item["assignedAt"])
        if known is not None:
            licence.save()
            return
        self.new[LicenceAssignment].append(licence)
        self.remember("licence", item["id"], licence.id)

    def _audit(self, item: dict[str, Any], *, attempt: int, source: str) -> None:
        if self.target("audit", item["id"]) is not None:
            return  # history does not change
        record = item["record"]
        row = ImportedAuditRecord(
            imported=self.imp,
            customer=self.customer,
            source_id=uuid.UUID(item["id"]),
            seq=int(item["seq"]),
            at=parse_when(record["at"]),
            actor=str(record.get("actor_upn", ""))[:254],
            action=str(record.get("action", ""))[:64],
            record=record,
            hash=str(item["hash"])[:64],
            prev_hash=str(item["prev_hash"])[:64],
            path=[str(h) for h in item["path"]][:64],
        )
        self.new[ImportedAuditRecord].append(row)
        self.known[("audit", item["id"])] = ""  # mapped when inserted: its id is the database's
        self.history.append((item["id"], row))

    def _checkpoint(self, item: dict[str, Any], *, attempt: int, source: str) -> None:
        """The history's proofs are checked against the source's signed checkpoint before it is
        kept: the customer's admin can trust, and prove, what arrived (docs/audit.md §9)."""
        note, keys = str(item["note"]), [str(k) for k in item["keys"]]
        self.flush()  # the history this batch brought is read back with the rest
        rows = scoped(ImportedAuditRecord.objects.all(), self.actor, IMPORT).filter(imported=self.imp)
        lines = [r.as_line() for r in rows]
        try:
            check_history(note, keys, lines)
        except VerifyError as e:
            raise InvalidInput(errors.IMPORT_INVALID, reason=f"history: {e}") from None
        self.imp.source_checkpoint, self.imp.source_log_keys = note, keys
        self.imp.save(update_fields=["source_checkpoint", "source_log_keys"])


def _clear(actor: Principal, imp: Import) -> None:
    """Remove every row an attempt imported; the import stays, to refuse its late batches."""
    if imp.customer_id is not None:
        cid = imp.customer_id
        tenant_users = scoped(User.objects.all(), actor, IMPORT).filter(tenant_id=cid)
        scoped(LicenceAssignment.objects.all(), actor, IMPORT).filter(customer_id=cid).delete()
        scoped(OrderLineItem.objects.all(), actor, IMPORT).filter(order__customer_id=cid).delete()
        scoped(Subscription.objects.all(), actor, IMPORT).filter(customer_id=cid).delete()
        scoped(Order.objects.all(), actor, IMPORT).filter(customer_id=cid).delete()
        TOTPDevice.objects.filter(user__in=tenant_users).delete()
        tenant_users.delete()
        scoped(ImportedAuditRecord.objects.all(), actor, IMPORT).filter(customer_id=cid).delete()
        scoped(Import.objects.all(), actor, IMPORT).filter(id=imp.id).update(
            customer=None, source_checkpoint="", source_log_keys=[]
        )
        removed, _ = scoped(Customer.objects.all(), actor, IMPORT).filter(id=cid).delete()
        counts.add(actor, IMPORT, imp.partner_id, -removed)
        Tenant.objects.filter(id=cid, state=Tenant.State.ARRIVING).delete()
        imp.customer = None
    scoped(ImportedObject.objects.all(), actor, IMPORT).filter(imported=imp).delete()


def import_summary(*, actor: Principal, customer_id: uuid.UUID) -> dict[str, Any]:
    """The target's side of the verification: the same canonical form, rebuilt from its rows."""
    require(actor, IMPORT)
    imp = (
        scoped(Import.objects.all(), actor, IMPORT)
        .filter(peer=_peer(actor), source_customer_id=customer_id)
        .first()
    )
    if imp is None:
        raise NotFound(errors.IMPORT_NOT_FOUND, customer=str(customer_id))
    summary = _kept_summary(actor, imp) or _summary(actor, imp)
    crash_point("target.summary")
    return {"customerId": str(customer_id), "attempt": imp.attempt, "status": imp.status, **summary}


def _summary(actor: Principal, imp: Import) -> dict[str, Any]:
    summary = Summary.of(_rebuild(actor, imp))
    return {"counts": summary.counts, "checksum": summary.checksum, "digests": summary.digests}


def _kept_summary(actor: Principal, imp: Import) -> dict[str, Any] | None:
    """The summary its last batch left, while the customer arrives and no batch came since."""
    if imp.status != Import.Status.IMPORTING or not imp.summary:
        return None
    return imp.summary if _batches_applied(actor, imp) == imp.summary_batches else None


def _batches_applied(actor: Principal, imp: Import) -> int:
    """Batches of every attempt, never deleted (a late one is refused by its id): it only grows."""
    return scoped(ImportBatch.objects.all(), actor, IMPORT).filter(imported=imp).count()


def _rebuild(actor: Principal, imp: Import) -> list[dict[str, Any]]:
    if imp.customer_id is None:
        return []
    sources: dict[tuple[str, str], str] = {
        (kind, target): source
        for kind, source, target in scoped(ImportedObject.objects.all(), actor, IMPORT)
        .filter(imported=imp)
        .values_list("kind", "source_id", "target_id")
    }

    def source_of(kind: str, target_id: object) -> str:
        return sources.get((kind, str(target_id)), f"not-imported:{target_id}")

    customer = scoped(Customer.objects.select_related("tenant"), actor, IMPORT).get(id=imp.customer_id)
    items = [canonical.customer_item(customer)]
    users = list(scoped(User.objects.all(), actor, IMPORT).filter(tenant_id=customer.tenant_id))
    roles: dict[Any, list[str]] = {}
    for user_id, role in (
        scoped(RoleAssignment.objects.all(), actor, IMPORT)
        .filter(user__in=users)
        .values_list("user_id", "role")
    ):
        roles.setdefault(user_id, []).append(role)
    devices: dict[Any, list[TOTPDevice]] = {}
    for device in TOTPDevice.objects.filter(user__in=users):
        devices.setdefault(device.user_id, []).append(device)
    items += [
        canonical.user_item(
            u, source_id=source_of("user", u.id), roles=roles.get(u.id, []), totp=devices.get(u.id, [])
        )
        for u in users
    ]
    lines = dict(
        scoped(OrderLineItem.objects.all(), actor, IMPORT)
        .filter(order__customer=customer)
        .values_list("subscription_id", "number")
    )
    items += [
        canonical.subscription_item(
            s,
            source_id=source_of("subscription", s.id),
            order_id=source_of("order", s.order_id),
            offer=s.offer_id,
            line=lines.get(s.id, 0),
        )
        for s in scoped(Subscription.objects.select_related("order"), actor, IMPORT).filter(customer=customer)
    ]
    items += [
        canonical.licence_item(
            a, source_id=source_of("licence", a.id), user_id=source_of("user", a.user_id), sku=a.sku_id
        )
        for a in scoped(LicenceAssignment.objects.all(), actor, IMPORT).filter(customer=customer)
    ]
    items += [
        canonical.audit_item(
            source_id=str(r.source_id),
            seq=r.seq,
            record_hash=r.hash,
            record=r.record,
            prev_hash=r.prev_hash,
            path=r.path,
        )
        for r in scoped(ImportedAuditRecord.objects.all(), actor, IMPORT).filter(customer=customer)
    ]
    imp = scoped(Import.objects.all(), actor, IMPORT).filter(customer=customer).first()
    if imp is not None and imp.source_checkpoint:
        size = notes.parse_checkpoint(notes.split(imp.source_checkpoint)[0]).size
        items.append(
            canonical.checkpoint_item(size=size, note=imp.source_checkpoint, keys=imp.source_log_keys)
        )
    return items


@transaction.atomic
def import_cutover(*, actor: Principal, customer_id: uuid.UUID, attempt: int, checksum: str) -> Import:
    """The customer is served here from now on: its tenant becomes active, its users sign in.
    Only if what is here still digests to the checksum both sides verified; sent again, nothing
    changes. What is here is digested again unless no batch came since the last one left its
    summary: nothing else writes an arriving customer (migration.freeze)."""
    require(actor, IMPORT)
    imp = _import(actor, customer_id)
    if imp is None:
        raise NotFound(errors.IMPORT_NOT_FOUND, customer=str(customer_id))
    if imp.attempt != attempt or imp.status == Import.Status.REMOVED:
        raise Conflict(errors.IMPORT_STALE, attempt=attempt)
    if imp.status == Import.Status.ACTIVE:
        return imp
    if (_kept_summary(actor, imp) or _summary(actor, imp))["checksum"] != checksum:
        raise Conflict(errors.CUTOVER_CHECKSUM, checksum=checksum[:64])
    Tenant.objects.filter(id=imp.customer_id, state=Tenant.State.ARRIVING).update(state=Tenant.State.ACTIVE)
    crash_point("target.cutover.written")  # the tenant active, not committed
    imp.status, imp.cutover_at = Import.Status.ACTIVE, clock.now()
    imp.save(update_fields=["status", "cutover_at"])
    # From the day it answers as cutoverAt, not from a second reading of the clock past midnight.
    customer_seats_record(
        actor=actor,
        action=IMPORT,
        customer_id=customer_id,
        reason="migration.cutover",
        day=imp.cutover_at.astimezone(UTC).date(),
    )
    audit.record(
        actor=actor,
        action="migration.cutover",
        target_type="Customer",
        target_id=customer_id,
        partner_id=imp.partner_id,
        tenant_id=customer_id,
        after={"attempt": attempt, "checksum": checksum, "from": imp.source_instance},
    )
    return imp


@transaction.atomic
def import_remove(*, actor: Principal, customer_id: uuid.UUID, attempt: int) -> Import | None:
    """A rollback: every row of the attempt goes; its late batches are refused. Sent again, or
    for a customer never imported, nothing changes."""
    require(actor, IMPORT)
    imp = _import(actor, customer_id)
    if imp is None or imp.attempt > attempt or imp.status == Import.Status.REMOVED:
        return imp
    if imp.status == Import.Status.ACTIVE:
        raise Conflict(errors.IMPORT_CUT_OVER, customer=str(customer_id))
    _clear(actor, imp)
    imp.attempt, imp.status = attempt, Import.Status.REMOVED
    imp.save(update_fields=["attempt", "status", "customer"])
    audit.record(
        actor=actor,
        action="migration.import_remove",
        target_type="Customer",
        target_id=customer_id,
        partner_id=imp.partner_id,
        tenant_id=customer_id,
        after={"attempt": attempt},
    )
    return imp


def import_check(*, actor: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """The dry run's questions: which mapped offers this instance does not sell, and which of a
    customer's user names and domain are taken here (by anyone but this very import)."""
    require(actor, IMPORT)
    offers = [str(o)[:64] for o in (body.get("offers") or []) if isinstance(o, str)][:1000]
    sold = set(Offer.objects.filter(id__in=offers, is_available=True).values_list("id", flat=True))
    answer: dict[str, Any] = {"unknownOffers": sorted(set(offers) - sold), "customers": {}}
    customers = body.get("customers") or []
    if not isinstance(customers, list) or len(customers) > 500:
        raise InvalidInput(errors.IMPORT_INVALID, reason="customers: a list of at most 500")
    for c in customers:
        try:
            cid = uuid.UUID(str(c.get("id")))
        except (AttributeError, ValueError):
            raise InvalidInput(
                errors.IMPORT_INVALID, reason="each customer: an object with a UUID id"
            ) from None
        upns = [str(u)[:254] for u in (c.get("users") or []) if isinstance(u, str)][:10000]
        domain = str(c.get("domain") or "")[:253]
        ours = (
            scoped(Import.objects.all(), actor, IMPORT)
            .filter(peer=_peer(actor), source_customer_id=cid)
            .exists()
        )
        tenants = Tenant.objects.exclude(id=cid) if ours else Tenant.objects.all()
        # Ignoring case, as the unique index does: "Alice@x" takes "alice@x".
        users = (
            scoped(User.objects.all(), UNIQUE, IMPORT)
            .alias(key=Lower("upn"))
            .filter(key__in=[u.strip().lower() for u in upns])
        )
        if ours:
            users = users.exclude(tenant_id=cid)
        answer["customers"][str(cid)] = {
            "domainTaken": bool(domain) and tenants.filter(domain__ieq=domain).exists(),
            "takenUsers": sorted(users.values_list("upn", flat=True)) if upns else [],
        }
    return answer
