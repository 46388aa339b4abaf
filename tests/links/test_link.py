"""The tenant link's rules, API and CLI: the source document's three conditions, one link per
account, sealed tokens, unlinking, and who may see it (docs/links.md)."""

from __future__ import annotations

from typing import Any

import pytest

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.cli import main
from hanse.errors import Conflict, NotPermitted
from hanse.instance.config import Peer
from hanse.links import errors, services
from hanse.links.models import TenantLink
from hanse.links.sealing import unseal
from tests.api.test_conventions import assert_error
from tests.conftest import principal_of
from tests.test_cli import CONFIG

CLAIMS = {
    "sub": "u1",
    "upn": "admin@fabrikam-eu.example",
    "tid": "6f1c1f55-8f1e-4d53-9a43-2f4f5c0a8b11",
    "tenant_domain": "fabrikam-eu.example",
    "tenant_kind": "partner",
    "tenant_region": "eu-west",
    "tenant_geography": "europe",
    "roles": ["global_admin"],
    "csp_account_state": "active",
}
TOKENS = {"access_token": "at-secret", "refresh_token": "rt-secret", "expires_in": 3600}


@pytest.fixture
def closed(swap_instance: Any) -> None:
    swap_instance(accepts_new_customers=False, peers=(Peer(id="eu", url="http://127.0.0.1:9"),))


@pytest.mark.parametrize(
    ("change", "spec"),
    [
        ({"roles": ["admin_agent"]}, errors.NOT_GLOBAL_ADMIN),  # (a)
        ({"tenant_geography": "americas", "tenant_region": "us-east"}, errors.NOT_EUROPEAN),  # (b)
        ({"csp_account_state": "pending"}, errors.NOT_ACTIVE),  # (c)
        ({"csp_account_state": None}, errors.NOT_ACTIVE),
        ({"tenant_kind": "customer"}, errors.NOT_A_PARTNER_TENANT),
    ],
)
def test_each_condition_refuses_with_its_own_error(change, spec):
    with pytest.raises(Conflict) as e:
        services.check_target("eu", {**CLAIMS, **change})
    assert e.value.spec is spec


def test_a_global_admin_links_once_and_the_tokens_are_sealed(admin, partner, closed):
    link = services.tenant_link_create(actor=principal_of(admin), peer="eu", claims=CLAIMS, tokens=TOKENS)
    stored = TenantLink.objects.get()
    assert (stored.partner_id, stored.target_domain, stored.target_user) == (
        partner.account.id,
        "fabrikam-eu.example",
        "admin@fabrikam-eu.example",
    )
    assert "at-secret" not in stored.access_token and unseal(stored.access_token) == "at-secret"
    assert unseal(stored.refresh_token) == "rt-secret"
    rec = AuditRecord.objects.get(action="tenant_link.create")
    assert rec.target_id == str(link.id) and rec.partner_id == partner.account.id
    assert "at-secret" not in str(rec.after)
    with pytest.raises(Conflict) as e:
        services.tenant_link_create(actor=principal_of(admin), peer="eu", claims=CLAIMS, tokens=TOKENS)
    assert e.value.spec is errors.ALREADY_LINKED and TenantLink.objects.count() == 1


def test_only_a_global_admin_and_only_where_the_instance_is_closed(partner, make_user, admin, swap_instance):
    swap_instance(accepts_new_customers=True, peers=(Peer(id="eu", url="http://127.0.0.1:9"),))
    with pytest.raises(NotPermitted) as e:
        services.tenant_link_create(actor=principal_of(admin), peer="eu", claims=CLAIMS, tokens=TOKENS)
    assert e.value.spec is errors.LINK_NOT_OFFERED
    swap_instance(accepts_new_customers=False)
    agent = make_user(partner.tenant, Role.ADMIN_AGENT)
    with pytest.raises(NotPermitted):
        services.tenant_link_create(actor=principal_of(agent), peer="eu", claims=CLAIMS, tokens=TOKENS)
    assert not TenantLink.objects.exists()


def test_the_api_shows_and_removes_the_link(
    admin, partner, make_partner, make_user, make_customer, api_for, swap_instance
):
    make_customer(partner, name="Kunde Eins GmbH")  # before the instance closes to new customers
    swap_instance(accepts_new_customers=False, peers=(Peer(id="eu", url="http://127.0.0.1:9"),))
    ga = api_for(admin)
    assert_error(ga.get("/v1/tenantlink"), 404, 9514)
    services.tenant_link_create(actor=principal_of(admin), peer="eu", claims=CLAIMS, tokens=TOKENS)
    body = ga.get("/v1/tenantlink").json()
    assert (body["peer"], body["targetDomain"], body["customerCount"]) == ("eu", "fabrikam-eu.example", 1)
    assert "at-secret" not in str(body)
    assert_error(api_for(make_user(partner.tenant, Role.SALES_AGENT)).get("/v1/tenantlink"), 403, 3001)
    other = make_partner()
    assert_error(api_for(make_user(other.tenant, Role.GLOBAL_ADMIN)).get("/v1/tenantlink"), 404, 9514)
    assert_error(api_for(make_user(other.tenant, Role.GLOBAL_ADMIN)).delete("/v1/tenantlink"), 404, 9514)
    assert TenantLink.objects.count() == 1
    assert ga.delete("/v1/tenantlink").status_code == 204
    assert not TenantLink.objects.exists()
    removed = AuditRecord.objects.get(action="tenant_link.remove")
    assert removed.before["targetDomain"] == "fabrikam-eu.example"
    assert_error(ga.delete("/v1/tenantlink"), 404, 9514)


def test_link_status_on_the_cli(admin, partner, closed, capsys):
    assert main(["link", "status", "--config", CONFIG, "--partner", partner.domain]) == 0
    assert "not linked" in capsys.readouterr().out
    services.tenant_link_create(actor=principal_of(admin), peer="eu", claims=CLAIMS, tokens=TOKENS)
    assert main(["link", "status", "--config", CONFIG, "--partner", partner.domain.upper()]) == 0
    out = capsys.readouterr().out
    assert "linked to fabrikam-eu.example at eu (eu-west)" in out and admin.upn in out
