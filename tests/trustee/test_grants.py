"""The trustee's gate: access requests, their decisions under each policy, four eyes, the exact
expiry boundaries, and what an operator reads under a grant (docs/trustee.md)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from hanse import clock
from hanse.access.principal import DataKind, Principal
from hanse.access.roles import Action, Role
from hanse.access.scope import scoped
from hanse.audit.models import AuditRecord
from hanse.directory.models import User
from hanse.errors import Conflict, DomainError, InvalidInput, NotFound, NotPermitted
from hanse.trustee import errors, services
from hanse.trustee.models import AccessRequest, State
from tests.conftest import principal_of
from tests.trustee.conftest import World

MICRO = timedelta(microseconds=1)


def policy(swap_instance: Any, **changes: Any) -> None:
    from django.conf import settings

    swap_instance(trustee=dataclasses.replace(settings.HANSE_INSTANCE.trustee, **changes))


def file(w: World, **over: Any) -> AccessRequest:
    fields: dict[str, Any] = {
        "customer": str(w.a.id),
        "kinds": ["users"],
        "write": False,
        "reason": "customer_support",
        "justification": "The customer's ticket 4711 asks us to look at a sign-in issue.",
        "hours": 2,
        "case_ref": "CASE-4711",
    }
    return services.access_request_file(
        actor=principal_of(w.operator), new=services.NewRequest(**{**fields, **over})
    )


def approve(user: User, req: AccessRequest, note: str = "ok") -> AccessRequest:
    return services.access_request_decide(
        actor=principal_of(user), request_id=req.id, approve=True, note=note
    )


def at(monkeypatch: pytest.MonkeyPatch, when: Any) -> None:
    monkeypatch.setattr(clock, "now", lambda: when)


def users_seen(user: User) -> set[str] | None:
    """The user names an operator reads now; None: refused outright (it holds no grant)."""
    try:
        qs = scoped(User.objects.all(), principal_of(user), Action.CUSTOMER_USER_MANAGE)
    except NotPermitted:
        return None
    return set(qs.values_list("upn", flat=True))


def test_an_approved_grant_opens_one_customer_exactly_until_it_expires(world, monkeypatch):
    w = world
    assert users_seen(w.operator) is None  # no standing access
    req = file(w)
    assert req.state_at(clock.now()) == State.PENDING
    assert users_seen(w.operator) is None  # pending opens nothing
    req = approve(w.officer, req)
    assert req.state == State.APPROVED and req.expires_at == req.approved_at + timedelta(hours=2)
    seen = users_seen(w.operator)
    assert w.admin_a.upn in seen and w.admin_b.upn not in seen
    assert all(upn.endswith("@" + w.a.tenant.domain) for upn in seen)
    at(monkeypatch, req.expires_at - MICRO)
    assert w.admin_a.upn in users_seen(w.operator)
    assert AccessRequest.objects.get(id=req.id).state_at(clock.now()) == State.APPROVED
    at(monkeypatch, req.expires_at)
    assert users_seen(w.operator) is None
    assert AccessRequest.objects.get(id=req.id).state_at(clock.now()) == State.EXPIRED
    with pytest.raises(Conflict) as e:
        services.access_request_complete(actor=principal_of(w.operator), request_id=req.id)
    assert e.value.spec is errors.NOT_ACTIVE


def test_a_request_not_decided_in_time_expires_at_its_deadline(world, monkeypatch):
    w = world
    first, second = file(w), file(w)
    assert first.decide_by == first.created_at + timedelta(hours=12)  # [trustee] decision_hours
    at(monkeypatch, first.decide_by - MICRO)
    assert approve(w.officer, first).state == State.APPROVED
    at(monkeypatch, second.decide_by)
    with pytest.raises(Conflict) as e:
        approve(w.officer, second)
    assert e.value.spec is errors.NOT_PENDING
    assert AccessRequest.objects.get(id=second.id).state_at(clock.now()) == State.EXPIRED


def test_four_eyes(world, make_user):
    w = world
    req = file(w)
    with pytest.raises(NotPermitted) as e:
        approve(w.operator, req)
    assert e.value.spec is errors.OWN_REQUEST
    # An officer in the operator's own organisation does not decide either: the directory gives
    # the role to no provider user, and the gate would refuse one that had it.
    with pytest.raises(InvalidInput):
        make_user(w.operator.tenant, Role.TRUSTEE_OFFICER)
    insider = Principal(
        user_id=uuid.uuid4(),
        upn="insider@provider.example",
        tenant_id=w.operator.tenant_id,
        tenant_kind="provider",
        roles=frozenset({Role.TRUSTEE_OFFICER}),
    )
    with pytest.raises(NotPermitted) as e:
        services.access_request_decide(actor=insider, request_id=req.id, approve=True)
    assert e.value.spec is errors.SAME_TENANT
    # Nor does another operator, outside break-glass: it does not even see the request.
    with pytest.raises(NotFound):
        approve(w.colleague, req)
    assert AccessRequest.objects.get(id=req.id).state == State.PENDING
    assert not AccessRequest.objects.get(id=req.id).decisions.exists()


def test_policy_trustee_the_customer_does_not_decide(world):
    w = world
    req = file(w)
    with pytest.raises(NotPermitted) as e:
        approve(w.admin_a, req)
    assert e.value.spec is errors.NOT_AN_APPROVER
    with pytest.raises(NotFound):  # another customer's admin does not even see it
        approve(w.admin_b, req)
    assert approve(w.officer, req).state == State.APPROVED


def test_policy_customer_its_global_admin_decides(world, swap_instance):
    w = world
    policy(swap_instance, approval="customer")
    req = file(w)
    with pytest.raises(NotPermitted):
        approve(w.officer, req)
    with pytest.raises(NotFound):
        approve(w.admin_b, req)
    assert approve(w.admin_a, req).state == State.APPROVED


def test_policy_trustee_and_customer_in_turn(world, swap_instance):
    w = world
    policy(swap_instance, approval="trustee+customer")
    req = file(w)
    with pytest.raises(NotPermitted) as e:
        approve(w.admin_a, req)  # the trustee decides first
    assert e.value.spec is errors.NOT_AN_APPROVER
    req = approve(w.officer, req)
    assert req.state == State.PENDING and users_seen(w.operator) is None
    with pytest.raises(NotPermitted):
        approve(w.officer, req)  # its party has decided; the customer's turn
    req = approve(w.admin_a, req)
    assert req.state == State.APPROVED
    assert [d.party for d in req.decisions.all()] == ["trustee", "customer"]
    assert w.admin_a.upn in users_seen(w.operator)


def test_a_denial_ends_the_request_and_needs_a_reason(world, swap_instance):
    w = world
    policy(swap_instance, approval="trustee+customer")
    req = file(w)
    with pytest.raises(InvalidInput):
        services.access_request_decide(
            actor=principal_of(w.officer), request_id=req.id, approve=False, note=" "
        )
    req = services.access_request_decide(
        actor=principal_of(w.officer), request_id=req.id, approve=False, note="No ticket of that number."
    )
    assert req.state == State.DENIED and req.end_reason == "No ticket of that number."
    with pytest.raises(Conflict) as e:
        approve(w.admin_a, req)
    assert e.value.spec is errors.NOT_PENDING


def test_revoke_and_complete(world):
    w = world
    req = approve(w.officer, file(w))
    with pytest.raises(NotPermitted) as e:
        services.access_request_revoke(actor=principal_of(w.operator), request_id=req.id)
    assert e.value.spec is errors.NOT_AN_APPROVER
    with pytest.raises(NotPermitted) as e:
        services.access_request_complete(actor=principal_of(w.officer), request_id=req.id)
    assert e.value.spec is errors.NOT_YOURS
    req = services.access_request_revoke(actor=principal_of(w.officer), request_id=req.id, note="case closed")
    assert req.state == State.REVOKED and users_seen(w.operator) is None
    with pytest.raises(Conflict):
        services.access_request_revoke(actor=principal_of(w.officer), request_id=req.id)
    other = approve(w.officer, file(w))
    done = services.access_request_complete(actor=principal_of(w.operator), request_id=other.id)
    assert done.state == State.COMPLETED and users_seen(w.operator) is None
    pending = file(w)
    with pytest.raises(Conflict) as e:
        services.access_request_complete(actor=principal_of(w.operator), request_id=pending.id)
    assert e.value.spec is errors.NOT_ACTIVE


@pytest.mark.parametrize(
    ("over", "spec"),
    [
        ({"hours": 9}, errors.HOURS_OUT_OF_RANGE),
        ({"hours": 0}, errors.HOURS_OUT_OF_RANGE),
        ({"kinds": []}, errors.KINDS_REQUIRED),
        ({"kinds": ["passwords"]}, errors.KINDS_REQUIRED),
        ({"reason": "curiosity"}, errors.REASON_UNKNOWN),
        ({"justification": "because"}, errors.JUSTIFICATION_REQUIRED),
        ({"case_ref": "x" * 65}, errors.CASE_REF_INVALID),
        ({"break_glass": True, "hours": 1}, errors.BREAK_GLASS_OFF),
        ({"customer": "nobody.example"}, errors.CUSTOMER_NOT_FOUND),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(world, over, spec):
    before = AuditRecord.objects.count()
    with pytest.raises(DomainError) as e:
        file(world, **over)
    assert e.value.spec is spec
    assert AccessRequest.objects.count() == 0 and AuditRecord.objects.count() == before


def test_denied_reasons_and_the_maximum_come_from_the_policy(world, swap_instance):
    policy(swap_instance, denied_reasons=("legal_demand",), max_grant_hours=12)
    with pytest.raises(NotPermitted) as e:
        file(world, reason="legal_demand")
    assert e.value.spec is errors.REASON_DENIED
    assert file(world, hours=12).hours == 12


def test_a_customer_is_named_by_id_or_domain(world):
    assert file(world, customer=world.b.tenant.domain.upper()).customer_id == world.b.id


def test_break_glass_two_operators_one_hour_announced_and_flagged_until_reviewed(
    world, swap_instance, django_capture_on_commit_callbacks
):
    w = world
    policy(swap_instance, break_glass=True)
    with pytest.raises(InvalidInput) as e:
        file(w, break_glass=True, hours=2)
    assert e.value.spec is errors.BREAK_GLASS_HOURS
    mail.outbox.clear()
    req = file(w, break_glass=True, hours=1, reason="incident_response")
    with pytest.raises(NotPermitted):
        approve(w.officer, req)  # break-glass waits for a second operator, not for an approver
    with django_capture_on_commit_callbacks(execute=True):
        req = approve(w.colleague, req)
    assert req.state == State.APPROVED and req.second_operator_id == w.colleague.id
    assert req.expires_at == req.approved_at + timedelta(hours=1)
    assert w.admin_a.upn in users_seen(w.operator)
    announced = [m for m in mail.outbox if "Break-glass" in m.subject]
    assert {m.to[0] for m in announced} >= {w.officer.upn, w.admin_a.upn}
    assert req.reviewed_at is None
    with pytest.raises(InvalidInput):
        services.break_glass_review(actor=principal_of(w.officer), request_id=req.id, note="short")
    reviewed = services.break_glass_review(
        actor=principal_of(w.officer), request_id=req.id, note="Incident 99 confirmed with the customer."
    )
    assert reviewed.reviewed_by_id == w.officer.id
    with pytest.raises(Conflict) as e:
        services.break_glass_review(actor=principal_of(w.officer), request_id=req.id, note="again, again")
    assert e.value.spec is errors.ALREADY_REVIEWED


def test_the_customer_admin_hears_of_every_request_and_decision(world, django_capture_on_commit_callbacks):
    w = world
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        req = file(w)
    with django_capture_on_commit_callbacks(execute=True):
        approve(w.officer, req)
    with django_capture_on_commit_callbacks(execute=True):
        services.access_request_revoke(actor=principal_of(w.officer), request_id=req.id, note="done")
    to_admin = [m.subject for m in mail.outbox if m.to == [w.admin_a.upn]]
    assert len(to_admin) == 3 and all("[" in s for s in to_admin)
    assert not [m for m in mail.outbox if m.to == [w.admin_b.upn]]
    assert [m for m in mail.outbox if m.to == [w.officer.upn]]  # the trustee hears of the request


def test_a_read_grant_refuses_writes_with_a_typed_error(world):
    w = world
    approve(w.officer, file(w))
    from hanse.directory.selectors import principal_for

    writer = principal_for(User.objects.get(pk=w.operator.pk), writing=True)
    assert not writer.can(Action.CUSTOMER_USER_MANAGE)
    reader = principal_for(User.objects.get(pk=w.operator.pk))
    assert reader.can(Action.CUSTOMER_USER_MANAGE) and reader.grants[0].kinds == {DataKind.USERS}
