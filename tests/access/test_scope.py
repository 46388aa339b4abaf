"""Isolation: one scope helper decides what a principal sees; out of scope is 404, never 403."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

from hanse.access.principal import system_principal
from hanse.access.roles import Action, Role
from hanse.access.scope import scoped
from hanse.audit.models import AuditRecord
from hanse.customers.models import Customer
from hanse.directory.models import Tenant
from tests.conftest import principal_of

SRC = Path(__file__).resolve().parents[2] / "src" / "hanse"


def _customer(partner, make_tenant, name="Kunde GmbH"):
    from hanse import clock

    tenant = make_tenant(Tenant.Kind.CUSTOMER)
    return Customer.objects.create(
        partner=partner.account, tenant=tenant, company_name=name, created_at=clock.now()
    )


def test_partner_sees_only_its_own_customers(make_partner, make_user, make_tenant):
    a, b = make_partner(), make_partner()
    ca, cb = _customer(a, make_tenant), _customer(b, make_tenant)
    pa = principal_of(make_user(a.tenant, Role.SALES_AGENT))
    visible = list(scoped(Customer.objects.all(), pa, Action.CUSTOMER_VIEW))
    assert visible == [ca]
    assert cb not in visible


def test_customer_admin_sees_only_own_tenant(make_partner, make_user, make_tenant):
    a = make_partner()
    ca, cb = _customer(a, make_tenant), _customer(a, make_tenant)
    admin = principal_of(make_user(ca.tenant, Role.CUSTOMER_GLOBAL_ADMIN))
    assert list(scoped(Customer.objects.all(), admin, Action.CUSTOMER_USER_MANAGE)) == [ca]
    assert cb.pk not in {c.pk for c in scoped(Customer.objects.all(), admin, Action.CUSTOMER_USER_MANAGE)}


def test_operator_of_trustee_instance_has_no_standing_access(partner, make_user, make_tenant, swap_instance):
    _customer(partner, make_tenant)
    operator = principal_of(make_user(make_tenant(Tenant.Kind.PROVIDER), Role.OPERATOR))
    swap_instance(trustee_required=True)
    assert scoped(Customer.objects.all(), operator, Action.INSTANCE_OPERATE).count() == 0
    swap_instance(trustee_required=False)
    assert scoped(Customer.objects.all(), operator, Action.INSTANCE_OPERATE).count() == 1


def test_audit_records_are_scoped_per_partner(make_partner, make_user, api_for):
    a, b = make_partner(), make_partner()
    ua = make_user(a.tenant, Role.GLOBAL_ADMIN)
    make_user(b.tenant, Role.GLOBAL_ADMIN)
    body = api_for(ua).get("/v1/auditrecords?size=500").json()
    partners = {item["partnerId"] for item in body["items"]}
    assert partners == {str(a.account.id)}
    assert body["totalCount"] == AuditRecord.objects.filter(partner_id=a.account.id).count()


def test_trustee_reads_the_whole_log(make_partner, make_user, make_tenant, api_for, swap_instance):
    swap_instance(trustee_required=True)
    make_partner()
    officer = make_user(make_tenant(Tenant.Kind.TRUSTEE), Role.TRUSTEE_OFFICER)
    body = api_for(officer).get("/v1/auditrecords?size=500").json()
    assert body["totalCount"] == AuditRecord.objects.count()


def test_token_of_another_user_is_not_found(admin, partner, make_user, api_for):
    other = make_user(partner.tenant, Role.SALES_AGENT)
    mine = api_for(admin).post_json("/v1/tokens", {"label": "mine"}).json()
    r = api_for(other).delete(f"/v1/tokens/{mine['id']}")
    assert r.status_code == 404
    assert r.json()["code"] == 2015


def test_system_principal_sees_everything(partner, make_tenant):
    _customer(partner, make_tenant)
    assert scoped(Customer.objects.all(), system_principal(), Action.CUSTOMER_VIEW).count() == 1


def test_every_model_with_tenant_data_declares_a_scope():
    """A model that points at a tenant, partner or customer must say how it is scoped."""
    exempt = {"ApiToken", "AuditHead", "IdempotentRequest", "Tenant"}
    for model in apps.get_models():
        if not model.__module__.startswith("hanse.") or model.__name__ in exempt:
            continue
        related = {
            f.related_model.__name__ for f in model._meta.get_fields() if getattr(f, "related_model", None)
        }
        names = {f.name for f in model._meta.get_fields()}
        if related & {"Tenant", "PartnerAccount", "Customer", "User"} or names & {"partner_id", "tenant_id"}:
            assert getattr(model, "hanse_scope", None) is not None, (
                f"{model.__name__} declares no hanse_scope"
            )


def test_scoped_refuses_a_model_without_scope(admin):
    from hanse.api.models import IdempotentRequest

    with pytest.raises(TypeError, match="declares no hanse_scope"):
        scoped(IdempotentRequest.objects.all(), principal_of(admin), Action.PARTNER_VIEW)


FILTER_BY_HAND = {
    "partner",
    "partner_id",
    "partner__id",
    "tenant",
    "tenant_id",
    "user__tenant",
    "tenant__partner_account",
}


def test_selectors_never_filter_by_partner_or_tenant_by_hand():
    """Selectors narrow by partner or tenant only through ``scoped`` (docs/architecture.md §1)."""
    offenders = []
    for path in SRC.rglob("selectors.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in {"filter", "get", "exclude"}:
                for kw in node.keywords:
                    # tenant_id=OuterRef(...) correlates a subquery with its outer row: a join,
                    # not a narrowing (the subquery itself must still go through ``scoped``).
                    joins = isinstance(kw.value, ast.Call) and getattr(kw.value.func, "id", "") == "OuterRef"
                    if kw.arg in FILTER_BY_HAND and not joins:
                        offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {kw.arg}=")
    assert offenders == []
