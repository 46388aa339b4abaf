"""Directory services: tenants, users, passwords, lifecycle, tokens; each audited, refusals change nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.directory import services
from hanse.directory.auth import UpnBackend
from hanse.directory.models import Tenant, User
from hanse.directory.selectors import user_for_bearer
from hanse.errors import Conflict, InvalidInput
from tests.conftest import PASSWORD, SYSTEM


def authenticate(request, *, username: str, password: str):
    return UpnBackend().authenticate(request, username=username, password=password)


def test_passwords_are_argon2id_at_owasp_parameters(admin):
    algorithm, variant, version, params, *_ = admin.password.split("$")
    assert (algorithm, variant, version, params) == ("argon2", "argon2id", "v=19", "m=19456,t=2,p=1")
    assert admin.check_password(PASSWORD)


@pytest.mark.parametrize("domain", ["", "nodot", "-bad.example", "a" * 300 + ".example", "spaces in.example"])
def test_bad_domains_are_refused(db, domain):
    before = Tenant.objects.count()
    with pytest.raises(InvalidInput):
        services.tenant_create(actor=SYSTEM, domain=domain, name="X", kind="customer", region="eu-west")
    assert Tenant.objects.count() == before


def test_domain_is_unique_case_insensitively(make_tenant):
    make_tenant("customer", "Contoso.example".lower())
    with pytest.raises(Conflict) as e:
        services.tenant_create(
            actor=SYSTEM, domain="CONTOSO.example", name="X", kind="customer", region="eu-west"
        )
    assert e.value.code == 2001


def test_unknown_region_names_the_known_ones(db):
    with pytest.raises(InvalidInput) as e:
        services.tenant_create(actor=SYSTEM, domain="r.example", name="R", kind="customer", region="mars-1")
    assert "eu-west" in e.value.description and e.value.code == 2012


def test_upn_rules(partner, make_user):
    make_user(partner.tenant, Role.SALES_AGENT, upn=f"anna@{partner.domain}")
    with pytest.raises(Conflict):
        make_user(partner.tenant, Role.SALES_AGENT, upn=f"ANNA@{partner.domain}")
    with pytest.raises(InvalidInput) as e:
        make_user(partner.tenant, Role.SALES_AGENT, upn="anna@elsewhere.example")
    assert e.value.code == 2005


def test_role_must_fit_the_tenant_kind(partner, make_user):
    with pytest.raises(InvalidInput) as e:
        make_user(partner.tenant, Role.OPERATOR)
    assert e.value.code == 2010
    assert not User.objects.filter(tenant=partner.tenant).exists()


def test_deactivation_revokes_sessions_and_tokens(admin):
    client = Client()
    client.force_login(admin, backend="hanse.directory.auth.UpnBackend")
    token = services.token_issue(actor=SYSTEM, user=admin, ttl_seconds=600).token
    assert user_for_bearer(token) == admin
    services.user_set_active(actor=SYSTEM, user=admin, active=False)
    assert user_for_bearer(token) is None
    assert client.get("/account").status_code == 302  # the session is gone
    assert authenticate(None, username=admin.upn, password=PASSWORD) is None
    services.user_set_active(actor=SYSTEM, user=admin, active=True)
    assert user_for_bearer(token) is None  # revoked tokens stay revoked
    assert authenticate(None, username=admin.upn, password=PASSWORD) is not None
    actions = list(AuditRecord.objects.filter(target_id=str(admin.id)).values_list("action", flat=True))
    assert actions[-2:] == ["user.deactivate", "user.activate"]


def test_soft_delete_and_restore(admin):
    services.user_soft_delete(actor=SYSTEM, user=admin)
    admin.refresh_from_db()
    assert admin.deleted_at is not None and User.objects.filter(pk=admin.pk).exists()
    assert authenticate(None, username=admin.upn, password=PASSWORD) is None
    services.user_restore(actor=SYSTEM, user=admin)
    assert authenticate(None, username=admin.upn, password=PASSWORD) is not None
    rec = AuditRecord.objects.get(action="user.delete", target_id=str(admin.id))
    assert rec.before["upn"] == admin.upn and rec.after["deletedAt"]


def test_suspended_tenant_cannot_sign_in_or_call_the_api(partner, admin):
    token = services.token_issue(actor=SYSTEM, user=admin, ttl_seconds=600).token
    services.tenant_set_state(actor=SYSTEM, tenant=partner.tenant, state=Tenant.State.SUSPENDED)
    assert user_for_bearer(token) is None
    assert authenticate(None, username=admin.upn, password=PASSWORD) is None
    with pytest.raises(InvalidInput):
        services.tenant_set_state(actor=SYSTEM, tenant=partner.tenant, state="frozen")
    services.tenant_set_state(actor=SYSTEM, tenant=partner.tenant, state=Tenant.State.ACTIVE)
    assert user_for_bearer(token) == admin


def test_change_password_requires_the_current_one(admin):
    with pytest.raises(InvalidInput) as e:
        services.user_change_password(
            actor=SYSTEM, user=admin, current="wrong", new="another-good-passphrase-1"
        )
    assert e.value.code == 2013
    with pytest.raises(InvalidInput):
        services.user_change_password(actor=SYSTEM, user=admin, current=PASSWORD, new=PASSWORD)
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)


def test_generated_passwords_are_strong_and_distinct(partner):
    made = [
        services.user_create(
            actor=SYSTEM,
            tenant=partner.tenant,
            upn=f"g{i}@{partner.domain}",
            display_name="G",
            roles=[Role.SALES_AGENT],
        )
        for i in range(3)
    ]
    passwords = {m.password for m in made}
    assert len(passwords) == 3 and all(len(p) >= 20 for p in passwords)
    assert all(m.generated and m.user.must_change_password for m in made)


@pytest.mark.parametrize("blank", ["", "  ", "\u0085\x1f"])
def test_a_customer_user_keeps_its_name_when_the_new_one_is_blank(partner, make_customer, make_user, blank):
    from hanse.directory.customer_users import NewUser, customer_user_create, customer_user_update
    from tests.conftest import principal_of

    customer = make_customer(partner, domain="kunde-blank.example")
    actor = principal_of(make_user(partner.tenant, Role.ADMIN_AGENT))
    user = customer_user_create(
        actor=actor, customer_id=customer.id, new=NewUser(upn="eva@kunde-blank.example", display_name="Eva")
    ).user
    with pytest.raises(InvalidInput) as refused:
        customer_user_update(actor=actor, customer_id=customer.id, user_id=user.id, display_name=blank)
    assert refused.value.code == 2025
    user.refresh_from_db()
    assert user.display_name == "Eva"
    assert not AuditRecord.objects.filter(action="user.update", target_id=str(user.id)).exists()
