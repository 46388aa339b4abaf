"""A web process keeps what a verified bearer token acts as, and drops it the moment anything
that could change it commits: each request then costs one query (the credential epoch) instead
of verifying the token afresh (docs/architecture.md §10a, "Bearer tokens kept in the process")."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from hanse import clock
from hanse.access.roles import Role
from hanse.directory import revocation
from hanse.directory.bearer import bearer_for
from hanse.directory.models import Tenant, User
from hanse.directory.partner_users import partner_user_set_roles
from hanse.directory.services import (
    tenant_set_state,
    token_issue,
    token_revoke,
    user_change_password,
    user_set_active,
)
from tests.conftest import PASSWORD, SYSTEM, principal_of


def queries(token: str, *, writing: bool = False) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as captured:
        bearer = bearer_for(token, writing=writing)
    return bearer, len(captured.captured_queries)


@pytest.fixture
def token(admin: User) -> str:
    return token_issue(actor=SYSTEM, user=admin, ttl_seconds=3600).token


def test_a_token_verified_once_costs_one_query_after(token, admin):
    first, verifying = queries(token)
    again, kept = queries(token)
    assert verifying >= 3 and kept == 1  # the epoch alone
    assert again == first and again.principal.user_id == admin.id
    assert Role.GLOBAL_ADMIN in again.principal.roles


def test_creating_customers_and_users_leaves_kept_tokens_alone(token, partner, make_customer, make_user):
    before = revocation.epoch()
    make_customer(partner, name="Gamma GmbH")
    make_user(partner.tenant, Role.SALES_AGENT)
    assert revocation.epoch() == before
    queries(token)
    assert queries(token)[1] == 1


def test_revoking_the_token_drops_it(token, admin):
    queries(token)
    token_revoke(actor=SYSTEM, token_id=admin.api_tokens.get().id)
    assert queries(token)[0] is None


def test_a_role_change_is_seen_on_the_next_request(token, admin, make_user, partner):
    other = principal_of(make_user(partner.tenant, Role.GLOBAL_ADMIN))  # so admin may stop being one
    queries(token)
    partner_user_set_roles(actor=other, user_id=admin.id, roles=[Role.BILLING_ADMIN])
    assert queries(token)[0].principal.roles == frozenset({Role.BILLING_ADMIN})
    partner_user_set_roles(actor=other, user_id=admin.id, roles=[Role.BILLING_ADMIN, Role.ADMIN_AGENT])
    assert queries(token)[0].principal.roles == frozenset({Role.BILLING_ADMIN, Role.ADMIN_AGENT})


def test_deactivating_the_user_drops_it(token, admin):
    queries(token)
    user_set_active(actor=SYSTEM, user=admin, active=False)
    assert queries(token)[0] is None


def test_a_password_change_drops_it(token, admin):
    queries(token)
    user_change_password(
        actor=principal_of(admin), user=admin, current=PASSWORD, new="An0ther-long-passphrase"
    )
    assert queries(token)[0] is None


def test_suspending_the_tenant_drops_it(token, partner):
    queries(token)
    tenant_set_state(actor=SYSTEM, tenant=partner.tenant, state=Tenant.State.SUSPENDED)
    assert queries(token)[0] is None


def test_it_is_never_used_past_the_tokens_expiry(admin, monkeypatch):
    issued = token_issue(actor=SYSTEM, user=admin, ttl_seconds=60)
    queries(issued.token)
    monkeypatch.setattr(clock, "now", lambda: issued.record.expires_at)
    assert queries(issued.token)[0] is None


def test_a_change_committed_by_another_process_is_seen(token):
    """Another process changes the epoch in the database; this one keeps nothing past it."""
    queries(token)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_credentialepoch SET value = value + 1")
        if not cursor.rowcount:
            cursor.execute("INSERT INTO directory_credentialepoch (id, value) VALUES (1, 1)")
    assert queries(token)[1] > 1


def test_an_operators_principal_is_not_kept(make_tenant, make_user):
    """An operator acts by the trustee's grants active at this instant, which end by the clock."""
    operator = make_user(make_tenant(Tenant.Kind.PROVIDER), Role.OPERATOR)
    token = token_issue(actor=SYSTEM, user=operator, ttl_seconds=3600).token
    first, _ = queries(token)
    assert first.principal.is_operator
    assert queries(token)[1] > 1


@pytest.mark.django_db(transaction=True)
def test_the_epoch_read_stands_as_the_requests_health_check(monkeypatch):
    """A request on a kept connection sends the epoch read, not Django's ``SELECT 1`` before it;
    a kept connection that broke is replaced, and the read still answers."""
    wrapper = connections["default"]
    revocation.bump()
    expected = revocation.epoch()
    monkeypatch.setattr(wrapper, "health_check_enabled", True)
    checks: list[bool] = []
    monkeypatch.setattr(wrapper, "is_usable", lambda: checks.append(True) or True)

    kept = wrapper.connection
    assert kept is not None
    wrapper.health_check_done = False  # what Django does as a request starts on a kept connection
    assert revocation.epoch() == expected
    assert Tenant.objects.count() == 0
    assert checks == [] and wrapper.connection is kept

    wrapper.health_check_done = False
    kept.close()  # the database went away under the kept connection
    assert revocation.epoch() == expected
    assert wrapper.connection is not None and wrapper.connection is not kept
