"""The audit log for people (issue 14, point 5): sentences, links, filters, CSV, the exact record."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings

from hanse import clock
from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.commerce.models import Subscription
from hanse.commerce.services import SubscriptionChange, subscription_update
from tests.conftest import person, principal_of
from tests.customers.web import order, signed_in, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(make_partner: Any, make_customer: Any, offers: Any, swap_instance: Any) -> Any:
    """Anna Schmidt sells Enterprise E3 to Contoso and changes its quantity from 10 to 12; a
    second partner's customer, Fabrikam, is bought for by someone else."""

    class Story:
        pass

    swap_instance(mfa_required_roles=())
    s = Story()
    s.partner = make_partner()
    s.anna = person(s.partner.tenant, "Anna Schmidt", Role.ADMIN_AGENT)
    s.admin = person(s.partner.tenant, "Gerda Global", Role.GLOBAL_ADMIN)
    s.contoso = make_customer(s.partner, name="Contoso GmbH")
    s.other = make_customer(s.partner, name="Tailspin AG")
    anna = principal_of(s.anna)
    with clock.earlier(timedelta(days=3)):
        order(principal_of(s.admin), s.other, ("MAIL-PLAN-1", 5))
    order(anna, s.contoso, ("ENTERPRISE-E3", 10))
    s.sub = Subscription.objects.get(customer=s.contoso)
    subscription_update(
        actor=anna,
        customer_id=s.contoso.id,
        subscription_id=s.sub.id,
        change=SubscriptionChange(quantity=12),
        if_match=None,
    )
    s.change = AuditRecord.objects.get(action="subscription.update")
    s.rival = make_partner()
    rival_admin = person(s.rival.tenant, "Rita Rival", Role.GLOBAL_ADMIN)
    s.fabrikam = make_customer(s.rival, name="Fabrikam SA")
    order(principal_of(rival_admin), s.fabrikam, ("ENTERPRISE-E3", 3))
    s.rival_record = AuditRecord.objects.filter(partner_id=s.rival.account.id).last()
    return s


def entries(page: Any) -> list[str]:
    return [e.text for e in page.context["entries"]]


def test_a_change_reads_as_a_sentence_with_links_to_its_objects(story: Any) -> None:
    page = signed_in(story.admin).get("/audit/")
    assert page.status_code == 200
    sentence = "Anna Schmidt changed the quantity of Enterprise E3 for Contoso GmbH from 10 to 12"
    assert sentence in entries(page)
    body = text(page)
    entry = next(e for e in page.context["entries"] if e.record.seq == story.change.seq)
    assert entry.label == "Subscription changed"
    html = str(entry.html)
    assert f'href="/customers/{story.contoso.id}/subscriptions/{story.sub.id}/"' in html
    assert f'href="/customers/{story.contoso.id}/"' in html
    assert f'href="/audit/{story.change.seq}/"' in body
    assert "subscription.update</code>" not in body  # the code is on the record's page


def test_the_exact_record_is_one_click_away(story: Any) -> None:
    client = signed_in(story.admin)
    page = client.get(f"/audit/{story.change.seq}/")
    assert page.status_code == 200
    body = text(page)
    assert 'data-testid="record-action">subscription.update<' in body
    assert f'data-testid="record-target">{story.sub.id}<' in body
    assert f'data-testid="record-hash">{story.change.hash}<' in body
    assert story.anna.upn in body
    changes = page.context["changes"]
    assert {"field": "quantity", "before": 10, "after": 12} in changes
    assert all(c["field"] != "offerId" for c in changes)  # what did not change is not listed


def test_another_partners_records_are_neither_listed_nor_opened(story: Any) -> None:
    client = signed_in(story.admin)
    assert "Fabrikam" not in text(client.get("/audit/"))
    assert client.get("/audit/", {"customer": "Fabrikam"}).context["entries"] == []
    assert client.get("/audit/", {"customer": str(story.fabrikam.id)}).context["entries"] == []
    assert client.get(f"/audit/{story.rival_record.seq}/").status_code == 404
    assert client.get("/audit/999999/").status_code == 404
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get("/audit/records.csv").streaming_content).decode()))
    )
    assert rows[1:] and not any("Fabrikam" in cell for row in rows for cell in row)


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ({"action": "subscription.update"}, {"subscription.update"}),
        ({"action": "order."}, {"order.create"}),
        ({"actor": "anna schmidt", "action": "order."}, {"order.create"}),
        ({"actor": "anna@", "action": "subscription."}, {"subscription.create", "subscription.update"}),
    ],
)
def test_filters_by_action_and_actor(story: Any, query: dict[str, str], wanted: set[str]) -> None:
    page = signed_in(story.admin).get("/audit/", query)
    actions = {e.record.action for e in page.context["entries"]}
    assert actions == wanted
    if "actor" in query:
        assert {e.record.actor_upn for e in page.context["entries"]} == {story.anna.upn}


def test_filters_by_customer_name_or_id_by_date_and_by_a_searched_value(story: Any) -> None:
    client = signed_in(story.admin)
    by_name = client.get("/audit/", {"customer": "contoso"}).context["entries"]
    by_id = client.get("/audit/", {"customer": str(story.contoso.id)}).context["entries"]
    assert by_name and [e.record.seq for e in by_name] == [e.record.seq for e in by_id]
    assert {e.customer.text for e in by_name} == {"Contoso GmbH"}
    today = clock.now().date().isoformat()
    recent = client.get("/audit/", {"start": today, "action": "order."}).context["entries"]
    assert [e.customer.text for e in recent] == ["Contoso GmbH"]  # Tailspin's order was 3 days ago
    before = (clock.now() - timedelta(days=2)).date().isoformat()
    old = client.get("/audit/", {"end": before, "action": "order."}).context["entries"]
    assert [e.customer.text for e in old] == ["Tailspin AG"]
    found = client.get("/audit/", {"q": str(story.sub.id)}).context["entries"]
    assert {e.record.target_id for e in found} == {str(story.sub.id)}
    assert {e.record.action for e in found} == {"subscription.create", "subscription.update"}


def test_a_bad_filter_says_so_at_its_field_and_filters_nothing(story: Any) -> None:
    client = signed_in(story.admin)
    everything = client.get("/audit/").context["page"].total
    page = client.get("/audit/", {"start": "yesterday", "action": "nonsense"})
    assert page.status_code == 200
    form = page.context["form"]
    assert "start" in form.errors and "action" in form.errors
    assert page.context["page"].total == everything
    swapped = client.get("/audit/", {"start": "2026-12-02", "end": "2026-12-01"})
    assert swapped.context["form"].errors["end"] == ["The end is before the start."]


def test_the_csv_holds_the_filtered_records_as_sentences(story: Any) -> None:
    response = signed_in(story.admin).get("/audit/records.csv", {"customer": "Contoso"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    contoso = AuditRecord.objects.filter(
        tenant_id=story.contoso.tenant_id, partner_id=story.partner.account.id
    ).order_by("seq")
    assert [int(r["Sequence"]) for r in rows] == [r.seq for r in contoso]
    change = next(r for r in rows if r["Action code"] == "subscription.update")
    assert change["Description"] == (
        "Anna Schmidt changed the quantity of Enterprise E3 for Contoso GmbH from 10 to 12"
    )
    assert change["Customer"] == "Contoso GmbH" and change["Customer id"] == str(story.contoso.id)
    assert change["Record hash"] == story.change.hash and change["By"] == story.anna.upn


def test_the_csv_streams_in_chunks_and_misses_no_record(story: Any, monkeypatch: Any) -> None:
    from hanse.audit import views

    monkeypatch.setattr(views, "CSV_CHUNK", 2)
    response = signed_in(story.admin).get("/audit/records.csv")
    chunks = list(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    mine = AuditRecord.objects.filter(partner_id=story.partner.account.id).order_by("seq")
    assert [int(r["Sequence"]) for r in rows] == [r.seq for r in mine]
    assert len(chunks) == 1 + (len(rows) + 1) // 2  # the header, then one piece per chunk


def test_the_csv_is_the_log_as_it_stood_when_asked(story: Any, monkeypatch: Any) -> None:
    """Records written while the download streams (an operator's reads under a grant are
    themselves recorded) are not chased: the download ends at the head it started from."""
    from hanse.audit import views

    monkeypatch.setattr(views, "CSV_CHUNK", 2)
    head = AuditRecord.objects.filter(partner_id=story.partner.account.id).order_by("seq").last()
    chunks = iter(signed_in(story.admin).get("/audit/records.csv").streaming_content)
    first = next(chunks) + next(chunks)
    order(principal_of(story.anna), story.other, ("MAIL-PLAN-1", 2))  # while it streams
    rows = list(csv.DictReader(io.StringIO((first + b"".join(chunks)).decode())))
    assert int(rows[-1]["Sequence"]) == head.seq
    newest = AuditRecord.objects.filter(partner_id=story.partner.account.id).order_by("seq").last()
    assert newest is not None and newest.seq > head.seq


def test_a_cell_a_spreadsheet_would_run_is_defused(story: Any, make_customer: Any) -> None:
    evil = make_customer(story.partner, name='=HYPERLINK("http://x.example","click")')
    order(principal_of(story.anna), evil, ("MAIL-PLAN-1", 1))
    response = signed_in(story.admin).get("/audit/records.csv", {"customer": str(evil.id)})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows and all(r["Customer"] == "'" + evil.company_name for r in rows)


def test_the_log_speaks_the_readers_language(story: Any) -> None:
    client = signed_in(story.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    page = client.get("/audit/", {"action": "subscription.update"})
    (entry,) = page.context["entries"]
    assert (
        entry.text == "Anna Schmidt hat die Menge von Enterprise E3 für Contoso GmbH von 10 auf 12 geändert"
    )
    assert entry.label == "Abonnement geändert"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    csv_text = b"".join(client.get("/audit/records.csv").streaming_content).decode()
    assert csv_text.startswith("Numéro,")


def test_every_action_the_code_records_has_a_label() -> None:
    """A new action gets its name for people with it (the filter lists it, the CSV names it)."""
    import re
    from pathlib import Path

    from hanse.audit.sentences import LABELS

    src = Path(__file__).parents[2] / "src" / "hanse"
    found = set()
    for path in src.rglob("*.py"):
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
        found |= set(re.findall(r'audit_user\(\s*\w+,\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
        found |= set(re.findall(r'_audit_customer\(\s*\w+,\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
        found |= set(re.findall(r'audit_action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert found and found - set(LABELS) == set()
