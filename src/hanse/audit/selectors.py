"""Reads of the audit log, through the scope helper."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.api import errors as api_errors
from hanse.api.filters import Match
from hanse.api.paging import Page, page
from hanse.audit import errors as audit_errors
from hanse.audit import tree
from hanse.audit.models import AuditRecord, Checkpoint, Cosignature
from hanse.audit.partner_center import RESOURCE_TYPES, resource_condition
from hanse.customers.models import Customer
from hanse.directory.models import User
from hanse.errors import Conflict, InvalidInput, NotFound


def with_customer(qs: QuerySet[AuditRecord], principal: Principal) -> QuerySet[AuditRecord]:
    """Each record with the customer whose tenant it is about (``customer_ref``, ``customer_name``:
    null for none), as Partner Center's records carry ``customerId`` and ``customerName``."""
    customers = scoped(Customer.objects.all(), principal, Action.AUDIT_VIEW)
    of_tenant = customers.filter(tenant_id=OuterRef("tenant_id"))
    return qs.annotate(
        customer_ref=Subquery(of_tenant.values("id")[:1]),
        customer_name=Subquery(of_tenant.values("company_name")[:1]),
    )


def _bad_filter(message: str) -> InvalidInput:
    return InvalidInput(api_errors.INVALID_REQUEST, data=[{"field": "query.filter", "message": message}])


@dataclass(frozen=True)
class AuditFilter:
    """The audit log's filters, as the partner center's page and its CSV download take them.

    ``action``: one action (``subscription.update``) or, ending in a dot, an area
    (``subscription.``); ``actor``: part of the acting user's name or UPN; ``customer``: a
    customer's id, or part of its name; ``text``: part of anything the record names (its
    object's id, its request id, a value before or after)."""

    start: datetime | None = None
    end: datetime | None = None
    action: str = ""
    actor: str = ""
    customer: str = ""
    text: str = ""


def actors_named(text: str) -> QuerySet[User]:
    """The ids of the users whose name holds ``text``, as a subquery: it narrows records the
    reader may already read (which name their actor by UPN) and returns no user's data."""
    return User.objects.filter(display_name__icontains=text).values("id")


def audit_records(principal: Principal, f: AuditFilter = AuditFilter()) -> QuerySet[AuditRecord]:
    """The records ``principal`` may read that pass ``f``, each with its customer (``with_customer``)."""
    qs = with_customer(scoped(AuditRecord.objects.all(), principal, Action.AUDIT_VIEW), principal)
    if f.start:
        qs = qs.filter(at__gte=f.start)
    if f.end:
        qs = qs.filter(at__lt=f.end)
    if f.action.endswith("."):
        qs = qs.filter(action__startswith=f.action)
    elif f.action:
        qs = qs.filter(action=f.action)
    if f.actor:
        qs = qs.filter(Q(actor_upn__icontains=f.actor) | Q(actor_id__in=actors_named(f.actor)))
    if f.customer:
        customers = scoped(Customer.objects.all(), principal, Action.AUDIT_VIEW)
        try:
            customers = customers.filter(id=uuid.UUID(f.customer))
        except ValueError:
            customers = customers.filter(company_name__icontains=f.customer)
        qs = qs.filter(tenant_id__in=customers.values("tenant_id"))
    if f.text:
        qs = qs.annotate(
            before_text=Cast("before", TextField()), after_text=Cast("after", TextField())
        ).filter(
            Q(target_id__iexact=f.text)
            | Q(request_id=f.text)
            | Q(before_text__icontains=f.text)
            | Q(after_text__icontains=f.text)
        )
    return qs


def audit_record(principal: Principal, seq: int) -> AuditRecord:
    """One record by its sequence number; NotFound out of the reader's scope, as if absent."""
    record = audit_records(principal).filter(seq=seq).first()
    if record is None:
        raise NotFound(audit_errors.RECORD_NOT_FOUND, seq=seq)
    return record


def audit_page(
    *,
    principal: Principal,
    size: int,
    token: str | None,
    f: AuditFilter = AuditFilter(),
    match: Match | None = None,
) -> Page[AuditRecord]:
    """``match``: Partner Center's filter on ``customerId`` (equals), ``customerName`` (contains)
    or ``resourceType`` (equals)."""
    qs = audit_records(principal, f)
    if match is not None and match.field == "customerId":
        try:
            qs = qs.filter(customer_ref=uuid.UUID(match.value))
        except ValueError:
            raise _bad_filter(_("CustomerId must be a customer id (a GUID)")) from None
    elif match is not None and match.field == "customerName":
        qs = qs.filter(customer_name__icontains=match.value)
    elif match is not None and match.field == "resourceType":
        condition = resource_condition(match.value, customer_field="customer_ref")
        if condition is None:
            types = ", ".join(RESOURCE_TYPES)
            raise _bad_filter(_("ResourceType must be one of %(types)s") % {"types": types})
        qs = qs.filter(condition)
    return page(qs, keys=("seq",), size=size, token=token, coerce=(int,))


@dataclass(frozen=True)
class RecordProof:
    record: AuditRecord
    checkpoint: Checkpoint
    proof: list[bytes]

    @property
    def leaf_index(self) -> int:
        return self.record.seq - 1


def latest_checkpoint() -> Checkpoint:
    checkpoint = Checkpoint.objects.order_by("-size").first()
    if checkpoint is None:
        raise NotFound(audit_errors.NO_CHECKPOINT)
    return checkpoint


def checkpoint_of(size: int) -> Checkpoint:
    checkpoint = Checkpoint.objects.filter(size=size).first()
    if checkpoint is None:
        raise NotFound(audit_errors.CHECKPOINT_NOT_FOUND, size=size)
    return checkpoint


def cosigned_note(checkpoint: Checkpoint) -> str:
    """The checkpoint's note with its witnesses' cosignatures as further signature lines."""
    return checkpoint.note + "".join(c.line + "\n" for c in checkpoint.cosignatures.all())


def record_proof(*, principal: Principal, record_id: uuid.UUID) -> RecordProof:
    """The RFC 6962 inclusion proof of a record in the caller's scope against the latest checkpoint."""
    rec = scoped(AuditRecord.objects.all(), principal, Action.AUDIT_VIEW).filter(id=record_id).first()
    if rec is None:
        raise NotFound(audit_errors.RECORD_NOT_FOUND)
    checkpoint = latest_checkpoint()
    if rec.seq > checkpoint.size:
        raise Conflict(audit_errors.NOT_YET_CHECKPOINTED, seq=rec.seq, size=checkpoint.size)
    return RecordProof(rec, checkpoint, tree.tree(checkpoint.size).inclusion(rec.seq - 1))


def records_proofs(records: list[AuditRecord], checkpoint: Checkpoint) -> list[list[bytes]]:
    """Inclusion proofs of several records against one checkpoint, from the tree kept in the
    process (the migration's worker exports one customer's history after another). A web request
    for one proof reads the tree for itself and keeps nothing: a web worker holds no copy of it."""
    return tree.signed_proofs(checkpoint.size, checkpoint.root, [r.seq - 1 for r in records])


def signed_by(checkpoint: Checkpoint) -> list[str]:
    """The verifier keys of the log keys whose signatures on the checkpoint hold."""
    from hanse.audit import keys, notes

    return [v.vkey for v in notes.open_note(checkpoint.note, keys.verifiers())[1]]


def consistency_proof(first: int, second: int) -> list[bytes]:
    """The RFC 6962 consistency proof from the tree of ``first`` records to the signed checkpoint of
    ``second``, from the stored records: if the database was rewritten below ``first``, the proof
    fails against the root the caller holds for ``first``."""
    if not 0 < first <= second or not Checkpoint.objects.filter(size=second).exists():
        raise InvalidInput(audit_errors.BAD_SIZES, first=first, second=second)
    try:
        return tree.tree(second).consistency(first, second)
    except tree.Gap as gap:
        raise Conflict(
            audit_errors.LOG_INCONSISTENT, size=second, reason=f"record #{gap.seq} is missing"
        ) from None


@dataclass(frozen=True)
class LogStatus:
    """What the trustee's portal shows of the log (docs/audit.md §7)."""

    records: int
    checkpoint: Checkpoint | None
    intact: bool  # the stored records have the latest checkpoint's root, and its signature holds
    problem: str
    cosignatures: list[Cosignature]
    last_witnessed: datetime | None

    @property
    def unsigned(self) -> int:
        return self.records - (self.checkpoint.size if self.checkpoint else 0)


def log_status() -> LogStatus:
    """Recomputes the tree up to the latest checkpoint: one read of every record's hash."""
    from hanse.audit import keys, merkle, notes
    from hanse.audit.models import AuditHead

    records = AuditHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
    checkpoint = Checkpoint.objects.order_by("-size").first()
    witnessed = Cosignature.objects.order_by("-received_at").first()
    intact, problem = True, ""
    cosignatures: list[Cosignature] = []
    if checkpoint is not None:
        cosignatures = list(checkpoint.cosignatures.all())
        try:
            notes.open_note(checkpoint.note, keys.verifiers())
            if merkle.root(tree.leaves(checkpoint.size)).hex() != checkpoint.root:
                intact, problem = False, "root"
        except notes.NoteError:
            intact, problem = False, "signature"
        except tree.Gap:
            intact, problem = False, "missing"
    return LogStatus(
        records=records,
        checkpoint=checkpoint,
        intact=intact,
        problem=problem,
        cosignatures=cosignatures,
        last_witnessed=witnessed.received_at if witnessed else None,
    )


def tenant_records(principal: Principal) -> list[AuditRecord]:
    """A customer's admin's own tenant's records, oldest first."""
    return list(
        scoped(AuditRecord.objects.all(), principal, Action.OWN_TENANT_ADMIN)
        .filter(tenant_id=principal.tenant_id)
        .order_by("seq")
    )
