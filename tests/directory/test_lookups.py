"""Domains and user names are looked up by equality on their case-folded form, which the unique
indexes on ``Lower(domain)`` and ``Lower(upn)`` serve: a lookup reads one index entry, never the
table, at any number of tenants (docs/architecture.md §10a, "Lookups by name")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import QuerySet

from hanse import clock
from hanse.directory.models import Tenant, User
from hanse.directory.selectors import tenant_by_domain, user_by_upn


def plan(queryset: QuerySet) -> str:
    if connection.vendor == "postgresql":
        # A handful of rows: without this the planner rightly prefers reading the table.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Tenant.objects.filter(domain__ieq="Contoso.EXAMPLE"), "tenant_domain_unique_ci"),
        (lambda: User.objects.filter(upn__ieq="Ada@Contoso.example"), "user_upn_unique_ci"),
        (lambda: User.objects.filter(tenant__domain__ieq="contoso.example"), "tenant_domain_unique_ci"),
    ],
)
def test_the_lookup_reads_the_case_folded_unique_index(db, queryset, index):
    assert index in plan(queryset())


def test_iexact_would_not_use_it(db):
    # The reason for the lookup: on SQLite iexact is a LIKE, on PostgreSQL an UPPER(); neither is
    # the indexed LOWER(), so Django's own lookup reads the whole table.
    assert "tenant_domain_unique_ci" not in plan(Tenant.objects.filter(domain__iexact="contoso.example"))


def test_it_finds_a_name_in_any_case_and_nothing_else(make_tenant):
    tenant = make_tenant("customer", "contoso.example")
    make_tenant("customer", "contoso.example.org")
    user = User.objects.create(
        tenant=tenant, upn="ada@contoso.example", display_name="Ada", created_at=clock.now()
    )
    assert tenant_by_domain(" CONTOSO.Example ") == tenant
    assert tenant_by_domain("contoso.exampl") is None
    assert tenant_by_domain("contoso.example%") is None  # no pattern: LIKE's wildcards are plain text
    assert user_by_upn("ADA@contoso.EXAMPLE") == user
    assert user_by_upn("ada@contoso.example.org") is None
