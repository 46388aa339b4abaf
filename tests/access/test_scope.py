"""Isolation: one scope helper decides what a principal sees; out of scope is 404, never 403."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps

from hanse.access.principal import system_principal
from hanse.access.roles import Action, Role
from hanse.access.scope import scoped
from hanse.audit.models import AuditRecord
from hanse.customers.models import Customer
from hanse.directory.models import Tenant
from hanse.errors import NotPermitted
from hanse.partners.models import PartnerAccount
from tests.access.scope_lint import hand_filters, unscoped_queries
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


@pytest.mark.parametrize("trustee_required", [True, False])
def test_an_operator_has_no_standing_access_on_any_instance(
    partner, make_user, make_tenant, swap_instance, trustee_required
):
    """Customer Lockbox's rule, on the trustee instance and the public one alike: customer data
    only under a grant (docs/trustee.md); the partners' accounts, which are no customer's, stay open."""
    _customer(partner, make_tenant)
    operator = principal_of(make_user(make_tenant(Tenant.Kind.PROVIDER), Role.OPERATOR))
    assert operator.is_operator and operator.grants == ()
    swap_instance(trustee_required=trustee_required)
    assert scoped(Customer.objects.all(), operator, Action.INSTANCE_OPERATE).count() == 0
    assert scoped(PartnerAccount.objects.all(), operator, Action.INSTANCE_OPERATE).count() == 1
    with pytest.raises(NotPermitted):
        scoped(Customer.objects.all(), operator, Action.CUSTOMER_VIEW)


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


# The reads of a scoped model that do not pass the gate, each with why: before any principal
# exists (sign-in) or where the instance itself asks (the CLI naming a user; whether a user name
# is taken anywhere, which reads no row's content).
UNSCOPED_READS = {
    ("directory/auth.py", "authenticate"): "sign-in: who is signing in, before any principal exists",
    ("directory/auth.py", "signed_in_user"): "the user a session names, before its principal exists",
    ("directory/selectors.py", "user_by_upn"): "the operator's CLI on the host names a user",
    ("directory/services.py", "check_new_user"): "a user name is unique across the instance",
    ("audit/selectors.py", "actors_named"): "narrows readable records by their actor's name; returns ids",
    ("audit/sentences.py", "user_names"): "the names of the users readable records name by UPN",
}


def _scoped_models() -> set[str]:
    return {m.__name__ for m in apps.get_models() if hasattr(m, "hanse_scope")}


def test_every_read_of_a_scoped_model_passes_the_gate():
    """Every module, not only selectors: a scoped model's manager is used inside ``scoped(...)``,
    to create a row, or at one of the few reads listed with their reason (docs/architecture.md §1)."""
    offenders = [
        f"{where} {func} {what}"
        for where, func, what in unscoped_queries(SRC, _scoped_models())
        if (where.split(":")[0], func) not in UNSCOPED_READS
    ]
    assert offenders == []


def test_the_gate_lint_finds_an_unscoped_read(tmp_path):
    """The check above fails on the shapes it must catch (a lint that finds nothing proves nothing)."""
    module = tmp_path / "leak.py"
    module.write_text(
        "def leak(p, cid):\n"
        "    Customer.objects.filter(id=cid).first()\n"
        "    ok = scoped(Customer.objects.all(), p, A).filter(id=cid)\n"
        "    Customer.objects.create(company_name='x')\n"
        "    qs = Subscription.objects.all()\n"
        "    qs.filter(customer_id=cid)\n"
        "    ok.filter(customer_id=cid)\n"
        "    customer.subscriptions.filter(customer=cid)\n"
    )
    found = [f"{w} {what}" for w, _f, what in unscoped_queries(tmp_path, {"Customer", "Subscription"})]
    assert found == ["leak.py:2 Customer.objects.filter", "leak.py:5 Subscription.objects.all"]
    assert list(hand_filters(tmp_path)) == ["leak.py:6 leak customer_id=", "leak.py:8 leak customer="]


def test_the_lint_takes_a_shape_given_to_scoped_values_as_scoped(tmp_path):
    (tmp_path / "shapes.py").write_text(
        "def shape(qs, cid):\n"
        "    return qs.filter(customer_id=cid)\n"
        "def not_a_shape(qs, cid):\n"
        "    return qs.filter(customer_id=cid)\n"
        "def read(p, cid):\n"
        "    return scoped_values(Subscription, p, A, shape, cid)\n"
    )
    assert list(hand_filters(tmp_path)) == ["shapes.py:4 not_a_shape customer_id="]


def test_nothing_narrows_by_partner_tenant_or_customer_by_hand():
    """Every module: a queryset is narrowed by partner, tenant or customer only after ``scoped``
    (narrowing within scope), never instead of it (docs/architecture.md §1)."""
    assert list(hand_filters(SRC)) == []
