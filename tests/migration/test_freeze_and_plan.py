"""The source's rules (docs/migration.md): the freeze in every service that changes a customer,
each blocker of the plan with its code, consent given and withdrawn, rollback, and the retention
period before anything moved is deleted here."""

from __future__ import annotations

import inspect
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP

from hanse import clock
from hanse.audit.models import AuditRecord
from hanse.commerce import services as commerce
from hanse.commerce.models import Subscription
from hanse.commerce.services import LineItem, SubscriptionChange, order_create
from hanse.customers import services as customers
from hanse.customers.selectors import customer_get
from hanse.directory import customer_users
from hanse.directory import services as directory
from hanse.directory.customer_users import NewUser
from hanse.directory.models import User
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hanse.licensing import services as licensing
from hanse.licensing.models import LicenceAssignment
from hanse.migration import engine, errors, peer_api, services
from hanse.migration.models import Consent, CustomerMigration, State
from hanse.migration.selectors import migration_plan
from tests.conftest import billing, principal_of
from tests.migration.conftest import Source, arriving, customer_admin

BACKEND = "hanse.directory.auth.UpnBackend"


def moving(src: Source, state: str = State.COPYING) -> CustomerMigration:
    now = clock.now()
    return CustomerMigration.objects.create(
        customer=src.customer,
        partner=src.partner.account,
        peer="eu",
        target_url="http://127.0.0.1:9",
        state=state,
        started_by="test",
        started_at=now,
        updated_at=now,
        frozen_at=now,
    )


def writes(src: Source) -> dict[str, Any]:
    """Every service that changes a customer, called as a partner would."""
    a, cid, uid, sub = src.actor, src.customer.id, src.user.id, src.subscriptions[0]
    return {
        "order_create": lambda: order_create(
            actor=a, customer_id=cid, lines=[LineItem(offer_id="MAIL-PLAN-2_DE", quantity=1)]
        ),
        "subscription_update": lambda: commerce.subscription_update(
            actor=a,
            customer_id=cid,
            subscription_id=sub.id,
            change=SubscriptionChange(quantity=6),
            if_match=None,
        ),
        "licence_update": lambda: licensing.licence_update(
            actor=a, customer_id=cid, user_id=uid, add=[], remove=["ENTERPRISE-E3_DE"]
        ),
        "customer_user_create": lambda: customer_users.customer_user_create(
            actor=a, customer_id=cid, new=NewUser(upn="neu@umzugskunde.example", display_name="Neu")
        ),
        "customer_user_update": lambda: customer_users.customer_user_update(
            actor=a, customer_id=cid, user_id=uid, display_name="Eva B."
        ),
        "customer_user_delete": lambda: customer_users.customer_user_delete(
            actor=a, customer_id=cid, user_id=uid
        ),
        "customer_user_restore": lambda: customer_users.customer_user_restore(
            actor=a, customer_id=cid, user_id=uid
        ),
        "customer_user_reset_password": lambda: customer_users.customer_user_reset_password(
            actor=a, customer_id=cid, user_id=uid
        ),
        "customer_users_import": lambda: customer_users.customer_users_import(
            actor=a, customer_id=cid, data=b"userPrincipalName,displayName\nimp@umzugskunde.example,Imp\n"
        ),
        "customer_update_billing": lambda: customers.customer_update_billing(
            actor=a, customer_id=cid, billing=billing("DE", city="Bonn"), if_match=None
        ),
        # The customer's users themselves: their password and authenticator move with them.
        "user_change_password": lambda: directory.user_change_password(
            actor=principal_of(src.user), user=src.user, current=None, new="a-much-better-passphrase-9"
        ),
        "mfa_enrolment_confirm": lambda: mfa_confirm(src.user),
    }


def mfa_confirm(user: User) -> Any:
    device = directory.mfa_enrolment_start(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    code = f"{totp.token():0{device.digits}d}"
    return directory.mfa_enrolment_confirm(
        actor=principal_of(user), user=user, device_id=device.id, code=code
    )


# The public write services of these modules that take a customer: each must be walked above.
WALKED = {
    commerce: {"order_create", "subscription_update"},
    licensing: {"licence_update"},
    customer_users: {
        "customer_user_create",
        "customer_user_update",
        "customer_user_delete",
        "customer_user_restore",
        "customer_user_reset_password",
        "customer_users_import",
    },
    customers: {"customer_update_billing"},
}


# Reads among them: the locked read every change of a user goes through (it keeps the freeze
# itself), and an import job's progress.
READS = {"customer_user_for_update", "user_import_read"}


def test_every_write_service_of_a_customer_is_walked():
    for module, walked in WALKED.items():
        takes_customer = {
            name
            for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__ == module.__name__
            and not name.startswith("_")
            and "customer_id" in inspect.signature(fn).parameters
            and "actor" in inspect.signature(fn).parameters
        }
        assert takes_customer - READS == walked, module.__name__


@pytest.mark.parametrize(
    "state",
    [
        State.FROZEN,
        State.COPYING,
        State.VERIFYING,
        State.READY,
        State.CUTTING_OVER,
        State.FAILED,
        State.ROLLING_BACK,
    ],
)
def test_a_moving_customer_is_frozen_in_every_service_and_still_read(source, state):
    moving(source, state)
    before = (
        AuditRecord.objects.count(),
        User.objects.count(),
        Subscription.objects.count(),
        LicenceAssignment.objects.count(),
    )
    for name, call in writes(source).items():
        with pytest.raises(Conflict) as e:
            call()
        assert e.value.spec is errors.FROZEN, name
        assert "Umzugskunde GmbH" in e.value.description and "eu" in e.value.description
    assert (
        AuditRecord.objects.count(),
        User.objects.count(),
        Subscription.objects.count(),
        LicenceAssignment.objects.count(),
    ) == before
    assert (
        customer_get(principal=source.actor, customer_id=source.customer.id).company_name
        == "Umzugskunde GmbH"
    )


def test_an_arriving_customer_changes_only_through_its_import_and_is_still_read(source):
    """At the target, until its cutover: what both sides verified is what goes live."""
    from hanse.directory.models import Tenant
    from hanse.migration.models import Import

    imported = arriving(source)
    Tenant.objects.filter(id=source.customer.tenant_id).update(state=Tenant.State.ARRIVING)
    before = (AuditRecord.objects.count(), User.objects.count(), Subscription.objects.count())
    for name, call in writes(source).items():
        with pytest.raises(Conflict) as e:
            call()
        assert e.value.spec is errors.ARRIVING, name
        assert "Umzugskunde GmbH" in e.value.description and "from de" in e.value.description
    assert (AuditRecord.objects.count(), User.objects.count(), Subscription.objects.count()) == before
    assert customer_get(principal=source.actor, customer_id=source.customer.id).id == source.customer.id
    Import.objects.filter(id=imported.id).update(status=Import.Status.ACTIVE)  # cut over: it is live
    writes(source)["customer_user_update"]()
    assert User.objects.get(id=source.user.id).display_name == "Eva B."


def test_a_moved_customer_is_read_only_and_says_where_it_went(source):
    moving(source, State.CUT_OVER)
    for name, call in writes(source).items():
        with pytest.raises(Conflict) as e:
            call()
        assert e.value.spec is errors.MIGRATED, name
        assert "http://127.0.0.1:9" in e.value.description


def test_a_move_rolled_back_or_failed_before_its_freeze_changes_nothing(source):
    m = moving(source, State.ROLLED_BACK)
    customer_users.customer_user_update(
        actor=source.actor, customer_id=source.customer.id, user_id=source.user.id, display_name="Eva R."
    )
    m.state, m.frozen_at = State.FAILED, None
    m.save()
    customer_users.customer_user_update(
        actor=source.actor, customer_id=source.customer.id, user_id=source.user.id, display_name="Eva F."
    )
    assert User.objects.get(id=source.user.id).display_name == "Eva F."


# --- blockers -------------------------------------------------------------------------------------


def codes(src: Source) -> list[int]:
    plan = migration_plan(principal=src.actor, customer_id=src.customer.id)
    return [b.code for b in plan.customers[0].blockers]


def consent(src: Source, make_user: Any) -> None:
    services.consent_give(actor=principal_of(customer_admin(src.customer, make_user)))


def test_without_consent_the_customer_is_blocked_and_each_policy_says_what_to_do(source, sovereign):
    assert codes(source) == [errors.NO_CONSENT.code]
    sovereign(consent="partner-attested")
    assert codes(source) == [errors.NO_CONSENT_ATTESTED.code]


def test_a_trial_and_a_suspended_subscription_block_it(source, make_user):
    consent(source, make_user)
    assert codes(source) == []
    order_create(
        actor=source.actor,
        customer_id=source.customer.id,
        lines=[LineItem(offer_id="ENTERPRISE-E3-TRIAL_DE", quantity=3)],
    )
    assert codes(source) == [errors.TRIAL_SUBSCRIPTION.code]
    Subscription.objects.filter(offer_id="ENTERPRISE-E3-TRIAL_DE").update(status=Subscription.Status.DELETED)
    commerce.subscription_update(
        actor=source.actor,
        customer_id=source.customer.id,
        subscription_id=source.subscriptions[1].id,
        change=SubscriptionChange(status="suspended"),
        if_match=None,
    )
    assert codes(source) == [errors.SUSPENDED_SUBSCRIPTION.code]


def test_an_offer_without_a_counterpart_blocks_it_until_the_override_file_maps_it(
    source, make_user, tmp_path, sovereign, settings
):
    consent(source, make_user)
    Subscription.objects.filter(id=source.subscriptions[1].id).update(offer_id="WORKPLACE-BASIC_DE")
    from hanse.catalog.models import Offer
    from hanse.migration import mapping

    custom = Offer.objects.get(id="BACKUP-1TB_DE")
    custom.pk, custom.guid = "BACKUP-LOCAL", uuid.uuid4()
    custom.save(force_insert=True)
    Subscription.objects.filter(id=source.subscriptions[1].id).update(offer_id="BACKUP-LOCAL")
    assert codes(source) == [errors.UNMAPPED_OFFER.code]
    overrides = tmp_path / "map.json"
    overrides.write_text('{"BACKUP-LOCAL": "BACKUP-1TB"}')
    from hanse.instance.config import MigrationPolicy

    settings.HANSE_INSTANCE = settings.HANSE_INSTANCE.__class__(
        **{**settings.HANSE_INSTANCE.__dict__, "migration": MigrationPolicy(offer_map_file=overrides)}
    )
    assert mapping.target_offer("BACKUP-LOCAL") == "BACKUP-1TB" and codes(source) == []


def test_an_active_operator_grant_blocks_it(source, make_user):
    from hanse.trustee.models import AccessRequest
    from hanse.trustee.models import State as G

    consent(source, make_user)
    operator = make_user(source.partner.tenant)  # any user: the grant's row is what counts
    now = clock.now()
    AccessRequest.objects.create(
        customer=source.customer,
        requester=operator,
        kinds=["users"],
        reason="customer_support",
        justification="ticket",
        hours=2,
        state=G.APPROVED,
        created_at=now,
        decide_by=now + timedelta(hours=1),
        approved_at=now,
        expires_at=now + timedelta(hours=2),
    )
    assert codes(source) == [errors.OPERATOR_GRANT.code]


def test_a_customer_moving_or_moved_is_not_planned_again(source, make_user):
    consent(source, make_user)
    m = moving(source, State.COPYING)
    assert codes(source) == [errors.ALREADY_MIGRATING.code]
    m.state = State.CUT_OVER
    m.save()
    assert codes(source) == [errors.ALREADY_MIGRATED.code]


def test_the_dry_run_asks_the_target_for_taken_names_domains_and_offers(source, make_user, monkeypatch):
    consent(source, make_user)
    asked = {}

    def check(reader: Any, link: Any, body: dict[str, Any]) -> dict[str, Any]:
        asked.update(body)
        cid = body["customers"][0]["id"]
        return {
            "unknownOffers": ["MAIL-PLAN-1"],
            "customers": {cid: {"domainTaken": True, "takenUsers": ["eva@umzugskunde.example"]}},
        }

    monkeypatch.setattr(peer_api, "check", check)
    plan = migration_plan(principal=source.actor, customer_id=source.customer.id, check_target=True)
    assert plan.target_checked and asked["offers"] == ["ENTERPRISE-E3", "MAIL-PLAN-1"]
    assert asked["customers"][0]["users"] == sorted(
        User.objects.filter(tenant=source.customer.tenant).values_list("upn", flat=True)
    )
    assert [b.code for b in plan.customers[0].blockers] == [
        errors.MAPPING_TARGET_MISSING.code,
        errors.DOMAIN_TAKEN.code,
        errors.UPN_TAKEN.code,
    ]
    assert "eva@umzugskunde.example" in plan.customers[0].blockers[2].description


def test_an_unreachable_target_is_said_in_the_dry_run(source, make_user):
    consent(source, make_user)
    plan = migration_plan(principal=source.actor, customer_id=source.customer.id, check_target=True)
    assert not plan.target_checked and "eu" in plan.target_error


# --- consent, run, rollback, retention -------------------------------------------------------------


def test_the_customer_consents_in_the_admin_center_and_withdraws_before_cutover(
    source, make_user, swap_instance
):
    swap_instance(mfa_required_roles=())
    admin = customer_admin(source.customer, make_user)
    client = Client()
    client.force_login(admin, backend=BACKEND)
    page = client.get("/csp/migration/consent")
    assert page.status_code == 200 and b'data-given="no"' in page.content
    client.post("/csp/migration/consent", {"decision": "give"})
    c = Consent.objects.get(customer=source.customer)
    assert c.is_given and c.kind == "customer" and c.given_by_upn == admin.upn
    assert b'data-given="yes"' in client.get("/csp/migration/consent").content
    started = services.migration_run(actor=source.actor)
    assert [m.customer_id for m in started] == [source.customer.id]
    m = CustomerMigration.objects.get()
    m.state, m.frozen_at = State.COPYING, clock.now()
    m.save()
    client.post("/csp/migration/consent", {"decision": "withdraw"})
    m.refresh_from_db()
    assert not Consent.objects.get().is_given and m.state == State.ROLLING_BACK
    actions = list(
        AuditRecord.objects.filter(
            tenant_id=source.customer.tenant_id, action__startswith="migration."
        ).values_list("action", flat=True)
    )
    assert actions == [
        "migration.consent",
        "migration.start",
        "migration.consent_withdraw",
        "migration.rollback",
    ]


def test_consent_cannot_be_withdrawn_once_cut_over(source, make_user):
    admin = principal_of(customer_admin(source.customer, make_user))
    services.consent_give(actor=admin)
    moving(source, State.CUT_OVER)
    with pytest.raises(Conflict) as e:
        services.consent_withdraw(actor=admin)
    assert e.value.spec is errors.CONSENT_LOCKED and Consent.objects.get().is_given


def test_the_partner_records_written_consent_only_where_the_policy_allows(source, sovereign):
    with pytest.raises(NotPermitted) as e:
        services.consent_attest(actor=source.actor, customer_id=source.customer.id, reference="letter 1")
    assert e.value.spec is errors.CONSENT_NOT_ALLOWED and not Consent.objects.exists()
    sovereign(consent="partner-attested")
    with pytest.raises(InvalidInput) as e:
        services.consent_attest(actor=source.actor, customer_id=source.customer.id, reference="  ")
    assert e.value.spec is errors.CONSENT_REFERENCE_REQUIRED
    services.consent_attest(actor=source.actor, customer_id=source.customer.id, reference="letter 1")
    assert Consent.objects.get().reference == "letter 1"
    rec = AuditRecord.objects.get(action="migration.consent")
    assert rec.after["kind"] == "partner-attested" and rec.tenant_id == source.customer.tenant_id


def test_another_partners_customer_is_not_found(source, make_partner, make_customer, swap_instance):
    swap_instance(accepts_new_customers=True)
    theirs = make_customer(make_partner("andere.example"))
    swap_instance(accepts_new_customers=False)
    with pytest.raises(NotFound):
        migration_plan(principal=source.actor, customer_id=theirs.id)
    with pytest.raises(NotFound):
        services.migration_rollback(actor=source.actor, customer_id=theirs.id)


def test_rollback_removes_the_copy_and_unfreezes(source, make_user, monkeypatch):
    consent(source, make_user)
    services.migration_run(actor=source.actor)
    m = CustomerMigration.objects.get()
    m.state, m.frozen_at = State.VERIFYING, clock.now()
    m.save()
    services.migration_rollback(actor=source.actor, customer_id=source.customer.id)
    removed = []
    monkeypatch.setattr(
        peer_api, "remove", lambda reader, link, cid, attempt: removed.append((cid, attempt)) or {}
    )
    assert engine.advance(m.id) == State.ROLLED_BACK
    assert removed == [(source.customer.id, 1)]
    customer_users.customer_user_update(
        actor=source.actor, customer_id=source.customer.id, user_id=source.user.id, display_name="Eva wieder"
    )
    with pytest.raises(Conflict) as e:
        services.migration_rollback(actor=source.actor, customer_id=source.customer.id)
    assert e.value.spec is errors.NOT_ROLLBACKABLE


def test_a_target_that_stays_away_fails_the_move_with_its_reason_then_a_retry_is_a_new_attempt(
    source, make_user, monkeypatch
):
    consent(source, make_user)
    services.migration_run(actor=source.actor)
    m = CustomerMigration.objects.get()
    monkeypatch.setattr(engine, "MAX_UNAVAILABLE", 2)
    assert engine.advance(m.id) == State.COPYING  # frozen, then the peer did not answer: it waits
    assert engine.advance(m.id) == State.FAILED
    m.refresh_from_db()
    assert m.error_code == errors.PEER_UNAVAILABLE.code and m.frozen_at is not None
    retried = services.migration_retry(actor=source.actor, customer_id=source.customer.id)
    assert (retried.state, retried.attempt) == (State.FROZEN, 2)


def test_nothing_is_deleted_before_the_retention_period_then_the_purge_records_what_went(source, monkeypatch):
    m = moving(source, State.CUT_OVER)
    m.cutover_at, m.purge_after = clock.now(), clock.now() + timedelta(days=30)
    m.save()
    assert services.migration_purge_due() == 0
    assert User.objects.filter(tenant=source.customer.tenant).count() == 2
    later = clock.now() + timedelta(days=30, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert services.migration_purge_due() == 1
    assert not User.objects.filter(tenant=source.customer.tenant).exists()
    assert not Subscription.objects.filter(customer=source.customer).exists()
    rec = AuditRecord.objects.get(action="migration.purge")
    assert rec.before == {"licences": 1, "subscriptions": 2, "orders": 1, "users": 2}
    assert customer_get(principal=source.actor, customer_id=source.customer.id)  # it still says where it went
    assert services.migration_purge_due() == 0


def test_a_moved_tenants_user_is_pointed_to_the_target_at_sign_in(source):
    moving(source, State.CUT_OVER)
    page = Client().post("/signin", {"username": "eva@umzugskunde.example", "password": "whatever"})
    assert page.status_code == 200 and b'data-testid="tenant-moved"' in page.content
    assert b"http://127.0.0.1:9/signin" in page.content and "_auth_user_id" not in page.wsgi_request.session


def test_unlinking_is_refused_once_a_customer_started_to_move(source, make_user):
    from hanse.links import errors as link_errors
    from hanse.links.services import tenant_link_remove

    consent(source, make_user)
    services.migration_run(actor=source.actor)
    with pytest.raises(Conflict) as e:
        tenant_link_remove(actor=source.actor)
    assert e.value.spec is link_errors.LINK_IN_USE
