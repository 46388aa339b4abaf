"""Customers in bulk (``customers_import``, ``hanse seed``) and the count each partner's list
reads for its ``totalCount`` (``CustomerCount``): right after every insert and delete, however
many write at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from hanse.access.principal import system_principal
from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.audit.verify import verify_chain
from hanse.cli import main
from hanse.customers import counts
from hanse.customers.models import Customer
from hanse.customers.services import NewCustomer, customers_import, customers_seed
from hanse.directory.models import Tenant
from hanse.errors import Conflict, InvalidInput, NotFound, NotPermitted
from tests.conftest import billing
from tests.selling.conftest import customer_body

SYSTEM = system_principal("test")
CONFIG = str(Path(__file__).parents[1] / "instance.toml")


def rows(*domains: str) -> list[NewCustomer]:
    return [NewCustomer(f"Kunde {d}", d, billing()) for d in domains]


def test_a_bulk_import_writes_each_customer_as_one_import_does(partner):
    made = customers_import(actor=SYSTEM, partner=partner.account, customers=rows("a.example", "B.example"))
    assert [c.tenant.domain for c in made] == ["a.example", "b.example"]
    for c in made:
        stored = Customer.objects.select_related("tenant").get(id=c.id)
        assert stored.tenant_id == c.id and stored.partner_id == partner.account.id
        assert stored.tenant.kind == Tenant.Kind.CUSTOMER and stored.country == "DE"
        actions = set(AuditRecord.objects.filter(target_id=str(c.id)).values_list("action", flat=True))
        assert actions == {"tenant.create", "customer.import"}
    result = verify_chain()
    assert result.ok and result.checked == AuditRecord.objects.count()
    assert counts.of(SYSTEM, partner.account.id) == 2


@pytest.mark.parametrize("domains", [("new.example", "TAKEN.example"), ("dup.example", "Dup.example")])
def test_a_taken_or_repeated_domain_refuses_the_whole_batch(partner, domains):
    customers_import(actor=SYSTEM, partner=partner.account, customers=rows("taken.example"))
    before = (Customer.objects.count(), Tenant.objects.count(), AuditRecord.objects.count())
    with pytest.raises(Conflict) as refused:
        customers_import(actor=SYSTEM, partner=partner.account, customers=rows(*domains))
    assert refused.value.code == 6003 and refused.value.params["domain"] == domains[1].lower()
    assert (Customer.objects.count(), Tenant.objects.count(), AuditRecord.objects.count()) == before
    assert counts.of(SYSTEM, partner.account.id) == 1


def test_only_the_instance_imports(partner, admin):
    from tests.conftest import principal_of

    with pytest.raises(NotPermitted):
        customers_import(actor=principal_of(admin), partner=partner.account, customers=rows("x.example"))
    assert counts.of(SYSTEM, partner.account.id) == 0


def test_the_seed_numbers_on_from_the_customers_there_are(partner):
    domain = partner.tenant.domain
    seen: list[tuple[int, int]] = []
    assert (
        customers_seed(
            actor=SYSTEM, partner_domain=domain, count=5, batch=2, progress=lambda d, t: seen.append((d, t))
        )
        == 5
    )
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert customers_seed(actor=SYSTEM, partner_domain=domain.upper(), count=3) == 8
    names = set(Tenant.objects.filter(kind=Tenant.Kind.CUSTOMER).values_list("domain", flat=True))
    assert names == {f"c{i}.{domain}" for i in range(8)}
    assert (
        Customer.objects.filter(partner=partner.account).count() == counts.of(SYSTEM, partner.account.id) == 8
    )


def test_the_seed_refuses_an_unknown_partner_a_bad_batch_and_no_customers(partner):
    with pytest.raises(NotFound) as unknown:
        customers_seed(actor=SYSTEM, partner_domain="nobody.example", count=1)
    assert unknown.value.code == 6006 and "nobody.example" in unknown.value.description
    with pytest.raises(InvalidInput):
        customers_seed(actor=SYSTEM, partner_domain=partner.tenant.domain, count=1, batch=0)
    for count in (0, -5):
        with pytest.raises(InvalidInput) as none:
            customers_seed(actor=SYSTEM, partner_domain=partner.tenant.domain, count=count)
        assert none.value.params["field"] == "customers"
    assert Customer.objects.count() == 0


def test_total_count_reads_the_count_and_a_search_counts(seller, partner, make_customer, make_partner):
    for i in range(3):
        make_customer(partner, name=f"Alpha {i}")
    customers_import(actor=SYSTEM, partner=partner.account, customers=rows("beta.example"))
    make_customer(make_partner())  # another partner's customer is in neither count
    assert seller.get("/v1/customers?size=2").json()["totalCount"] == 4
    page = seller.get(
        "/v1/customers?size=2&filter=" + '{"Field":"CompanyName","Value":"Alpha","Operator":"starts_with"}'
    )
    assert page.status_code == 200, page.content
    assert page.json()["totalCount"] == 3


def test_the_count_follows_creations_over_the_api(seller, partner):
    for i in range(3):
        assert seller.post_json("/v1/customers", customer_body(domain=f"k{i}.example")).status_code == 201
    assert seller.post_json("/v1/customers", customer_body(domain="k0.example")).status_code == 409
    assert counts.of(SYSTEM, partner.account.id) == 3
    assert seller.get("/v1/customers?size=1").json()["totalCount"] == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_lose_no_count(partner, make_user, api_for):
    user = make_user(partner.tenant, Role.ADMIN_AGENT)
    statuses: list[int] = []

    def create(i: int) -> None:
        client = api_for(user)
        try:
            for k in range(3):
                r = client.post_json("/v1/customers", customer_body(domain=f"t{i}-{k}.example"))
                statuses.append(r.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = statuses.count(201)
    assert (
        created
        == Customer.objects.filter(partner=partner.account).count()
        == counts.of(SYSTEM, partner.account.id)
    )
    assert created > 0


def test_hanse_seed_on_the_command_line(partner, capsys):
    domain = partner.tenant.domain
    assert main(["seed", "--config", CONFIG, "--partner", domain, "--customers", "3", "--quiet"]) == 0
    assert f"{domain} has 3 customer(s)" in capsys.readouterr().out
    assert (
        counts.of(SYSTEM, partner.account.id) == Customer.objects.filter(partner=partner.account).count() == 3
    )
    assert (
        main(["seed", "--config", CONFIG, "--partner", "nobody.example", "--customers", "3", "--quiet"]) == 1
    )
    err = capsys.readouterr().err
    assert "nobody.example" in err and "6006" in err
    assert Customer.objects.count() == 3
