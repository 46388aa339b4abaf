"""Every write to access requests and grants: file, decide, revoke, complete, review
(docs/trustee.md). The rules live here and nowhere else: who may decide follows the instance's
policy, in turn; nobody decides on their own request, nor on one from their own organisation
(four eyes); the times follow the one clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from hanse import clock
from hanse.access.principal import DataKind, Principal, system_principal
from hanse.access.roles import Action
from hanse.access.scope import require, scoped
from hanse.audit import services as audit
from hanse.audit.signing import sign_decision
from hanse.customers.models import Customer
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hanse.instance.current import instance
from hanse.trustee import errors, notify
from hanse.trustee.models import AccessRequest, Decision, Reason, State

BREAK_GLASS_HOURS = 1
# A break-glass request waits this long for its second operator.
BREAK_GLASS_CONFIRM = timedelta(minutes=30)
# Who is named in a request must exist; reading whether it does is the instance's, not the
# operator's (who may read no customer data before a grant).
LOOKUP = system_principal("trustee-lookup")


@dataclass(frozen=True)
class NewRequest:
    customer: str  # the customer's id or its domain
    kinds: list[str]
    write: bool
    reason: str
    justification: str
    hours: int
    case_ref: str = ""
    break_glass: bool = False


def snapshot(req: AccessRequest) -> dict[str, Any]:
    return {
        "customer": str(req.customer_id),
        "requester": req.requester.upn,
        "kinds": req.kinds,
        "write": req.write,
        "reason": req.reason,
        "justification": req.justification,
        "caseRef": req.case_ref,
        "hours": req.hours,
        "breakGlass": req.break_glass,
        "state": req.state,
        "decideBy": req.decide_by,
        "expiresAt": req.expires_at,
    }


def _customer(ref: str) -> Customer:
    customers = scoped(Customer.objects.select_related("tenant"), LOOKUP, Action.CUSTOMER_VIEW)
    ref = (ref or "").strip()
    try:
        found = customers.filter(id=uuid.UUID(ref)).first()
    except ValueError:
        found = customers.filter(tenant__domain__ieq=ref).first() if ref else None
    if found is None:
        raise NotFound(errors.CUSTOMER_NOT_FOUND)
    return found


def _check(new: NewRequest) -> list[str]:
    policy = instance().trustee
    kinds = sorted(set(new.kinds))
    if not kinds or any(k not in DataKind.__members__.values() for k in kinds):
        raise InvalidInput(errors.KINDS_REQUIRED, kinds=", ".join(DataKind))
    if new.reason not in Reason.values:
        raise InvalidInput(
            errors.REASON_UNKNOWN, reason=str(new.reason)[:40], reasons=", ".join(Reason.values)
        )
    if new.reason in policy.denied_reasons:
        raise NotPermitted(errors.REASON_DENIED, reason=Reason(new.reason).label)
    if not 10 <= len((new.justification or "").strip()) <= 2000:
        raise InvalidInput(errors.JUSTIFICATION_REQUIRED)
    if len(new.case_ref or "") > 64:
        raise InvalidInput(errors.CASE_REF_INVALID)
    if new.break_glass:
        if not policy.break_glass:
            raise NotPermitted(errors.BREAK_GLASS_OFF)
        if not 1 <= new.hours <= BREAK_GLASS_HOURS:
            raise InvalidInput(errors.BREAK_GLASS_HOURS)
    elif not 1 <= new.hours <= policy.max_grant_hours:
        raise InvalidInput(errors.HOURS_OUT_OF_RANGE, max=policy.max_grant_hours)
    return kinds


@transaction.atomic
def access_request_file(*, actor: Principal, new: NewRequest) -> AccessRequest:
    """An operator asks for access to one customer's data. A break-glass request waits only for a
    second operator, and is announced at once."""
    require(actor, Action.OPERATOR_ACCESS_REQUEST)
    if not actor.is_operator:
        raise NotPermitted(errors.NOT_AN_APPROVER, policy=instance().trustee.approval)
    kinds = _check(new)
    customer = _customer(new.customer)
    now = clock.now()
    window = BREAK_GLASS_CONFIRM if new.break_glass else timedelta(hours=instance().trustee.decision_hours)
    req = AccessRequest.objects.create(
        customer=customer,
        requester_id=actor.user_id,
        kinds=kinds,
        write=new.write,
        reason=new.reason,
        justification=new.justification.strip(),
        case_ref=(new.case_ref or "").strip(),
        hours=new.hours,
        break_glass=new.break_glass,
        created_at=now,
        decide_by=now + window,
    )
    _audit(actor, "access.request", req)
    notify.announce(req, "requested")
    return req


def _locked(actor: Principal, request_id: uuid.UUID, action: Action) -> AccessRequest:
    from hanse.trustee.selectors import access_requests

    req = (
        access_requests(actor)
        .prefetch_related(None)  # the decisions are read under the lock, not before it
        .select_for_update(of=("self",))
        .select_related("requester__tenant")
        .filter(id=request_id)
        .first()
    )
    if req is None:
        raise NotFound(errors.REQUEST_NOT_FOUND)
    require(actor, action)  # found, but this act is not the caller's
    return req


def next_party(req: AccessRequest, decisions: QuerySet[Decision] | list[Decision]) -> str | None:
    """The party whose decision the request waits for: the policy's approvers in turn."""
    if req.break_glass:
        return None if any(d.party == Decision.Party.OPERATOR for d in decisions) else Decision.Party.OPERATOR
    done = {d.party for d in decisions}
    return next((p for p in instance().trustee.approvers if p not in done), None)


def may_act_as(actor: Principal, party: str, req: AccessRequest) -> bool:
    if party == Decision.Party.TRUSTEE:
        return actor.is_trustee
    if party == Decision.Party.CUSTOMER:
        return actor.is_customer_admin and actor.tenant_id == req.customer.tenant_id
    return actor.is_operator


def _four_eyes(actor: Principal, req: AccessRequest) -> None:
    if actor.user_id == req.requester_id:
        raise NotPermitted(errors.OWN_REQUEST)
    if actor.tenant_id == req.requester.tenant_id and not req.break_glass:
        raise NotPermitted(errors.SAME_TENANT)


@transaction.atomic
def access_request_decide(
    *, actor: Principal, request_id: uuid.UUID, approve: bool, note: str = ""
) -> AccessRequest:
    """One approver's decision. A denial ends the request; the last approval opens the grant for
    its duration from now."""
    action = Action.OPERATOR_ACCESS_REQUEST if actor.is_operator else Action.OPERATOR_ACCESS_DECIDE
    req = _locked(actor, request_id, action)
    now = clock.now()
    state = req.state_at(now)
    if state != State.PENDING:
        raise Conflict(errors.NOT_PENDING, state=state.label.lower())
    _four_eyes(actor, req)
    decisions = list(req.decisions.all())
    party = next_party(req, decisions)
    if party is None or not may_act_as(actor, party, req):
        raise NotPermitted(errors.NOT_AN_APPROVER, policy=instance().trustee.approval)
    if not approve and not note.strip():
        raise InvalidInput(errors.JUSTIFICATION_REQUIRED)
    Decision.objects.create(
        request=req,
        party=party,
        approver_id=actor.user_id,
        approved=approve,
        note=note.strip()[:2000],
        at=now,
        signature=_signed(req, actor, "approve" if approve else "deny", party, now),
    )
    before = snapshot(req)
    if not approve:
        req.state, req.ended_at, req.ended_by_id, req.end_reason = (
            State.DENIED,
            now,
            actor.user_id,
            note.strip(),
        )
    elif next_party(req, [*decisions, Decision(party=party, approved=True)]) is None:
        req.state, req.approved_at, req.expires_at = State.APPROVED, now, now + timedelta(hours=req.hours)
    if req.break_glass and approve:
        req.second_operator_id = actor.user_id
    req.save()
    verb = "approve" if approve else "deny"
    _audit(actor, f"access.{verb}", req, before=before, party=party, note=note.strip()[:2000])
    notify.announce(req, "break_glass" if req.break_glass and req.state == State.APPROVED else verb)
    return req


def _end(actor: Principal, request_id: uuid.UUID, *, to: State, note: str) -> AccessRequest:
    req = _locked(actor, request_id, actor_action(actor))
    now = clock.now()
    state = req.state_at(now)
    if state != State.APPROVED:
        raise Conflict(errors.NOT_ACTIVE, state=state.label.lower())
    if to == State.COMPLETED and actor.user_id != req.requester_id:
        raise NotPermitted(errors.NOT_YOURS)
    if to == State.REVOKED and not any(may_act_as(actor, p, req) for p in instance().trustee.approvers):
        raise NotPermitted(errors.NOT_AN_APPROVER, policy=instance().trustee.approval)
    before = snapshot(req)
    req.state, req.ended_at, req.ended_by_id, req.end_reason = to, now, actor.user_id, note.strip()[:2000]
    fields = ["state", "ended_at", "ended_by", "end_reason"]
    if to == State.REVOKED:
        party = next((p for p in instance().trustee.approvers if may_act_as(actor, p, req)), "")
        req.end_signature = _signed(req, actor, "revoke", party, now)
        fields.append("end_signature")
    req.save(update_fields=fields)
    _audit(actor, f"access.{'revoke' if to == State.REVOKED else 'complete'}", req, before=before)
    notify.announce(req, "revoke" if to == State.REVOKED else "complete")
    return req


def actor_action(actor: Principal) -> Action:
    return Action.OPERATOR_ACCESS_REQUEST if actor.is_operator else Action.OPERATOR_ACCESS_DECIDE


@transaction.atomic
def access_request_revoke(*, actor: Principal, request_id: uuid.UUID, note: str = "") -> AccessRequest:
    """An approver ends an active grant before its time."""
    return _end(actor, request_id, to=State.REVOKED, note=note)


@transaction.atomic
def access_request_complete(*, actor: Principal, request_id: uuid.UUID, note: str = "") -> AccessRequest:
    """The operator is done before its grant's time."""
    return _end(actor, request_id, to=State.COMPLETED, note=note)


@transaction.atomic
def break_glass_review(*, actor: Principal, request_id: uuid.UUID, note: str) -> AccessRequest:
    """An approver looks at a break-glass grant after the fact; it stays flagged until then."""
    req = _locked(actor, request_id, Action.OPERATOR_ACCESS_DECIDE)
    if not req.break_glass or req.state in (State.PENDING, State.DENIED):
        raise Conflict(errors.NOT_BREAK_GLASS)
    if req.reviewed_at is not None:
        raise Conflict(errors.ALREADY_REVIEWED)
    if not any(may_act_as(actor, p, req) for p in instance().trustee.approvers):
        raise NotPermitted(errors.NOT_AN_APPROVER, policy=instance().trustee.approval)
    if not 10 <= len(note.strip()) <= 2000:
        raise InvalidInput(errors.JUSTIFICATION_REQUIRED)
    req.reviewed_at, req.reviewed_by_id, req.review_note = clock.now(), actor.user_id, note.strip()
    req.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    _audit(actor, "access.review", req, note=req.review_note)
    return req


VERBS = ("approve", "deny", "revoke", "complete", "review")


def access_request_act(
    *, actor: Principal, request_id: uuid.UUID, verb: str, note: str = ""
) -> AccessRequest:
    """One of the five acts on a request, named as its endpoint and its page's button name it."""
    if verb in ("approve", "deny"):
        return access_request_decide(actor=actor, request_id=request_id, approve=verb == "approve", note=note)
    if verb == "revoke":
        return access_request_revoke(actor=actor, request_id=request_id, note=note)
    if verb == "complete":
        return access_request_complete(actor=actor, request_id=request_id, note=note)
    if verb == "review":
        return break_glass_review(actor=actor, request_id=request_id, note=note)
    raise ValueError(f"no such act: {verb}")


def _signed(req: AccessRequest, actor: Principal, decision: str, party: str, at: datetime) -> str:
    return sign_decision(
        request_id=req.id,
        tenant_id=req.customer.tenant_id,
        kinds=req.kinds,
        write=req.write,
        hours=req.hours,
        reason=req.reason,
        decision=decision,
        party=party,
        approver_upn=actor.upn,
        approver_id=actor.user_id,
        at=at,
    )


def _audit(
    actor: Principal, action: str, req: AccessRequest, *, before: dict[str, Any] | None = None, **extra: Any
) -> None:
    audit.record(
        actor=actor,
        action=action,
        target_type="AccessRequest",
        target_id=req.id,
        tenant_id=req.customer.tenant_id,
        before=before,
        after={**snapshot(req), **extra},
        grant_id=req.id,
    )
