"""Every screen size (issue 14, point 7), in Chromium: each page of every role's navigation, and
the main pages behind it, at 360, 768 and 1366 px, with no sideways scroll, no console error and
no failed request (a favicon included); at 1366 px the header holds on one line even for a long
name, and the seats chart shows every offer's whole name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, sync_playwright

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.commerce.models import Subscription
from hanse.commerce.services import LineItem, order_create
from hanse.directory.models import Tenant, User
from hanse.licensing.services import licence_update
from tests.conftest import PASSWORD, SYSTEM, person, principal_of
from tests.e2e.conftest import CHROMIUM_ARGS, sign_in

pytestmark = pytest.mark.browser

WIDTHS = (360, 768, 1366)
TASKS = ("partner_users", "customer_users", "password_reset", "licences")
LONG_NAME = "Maximiliane Alexandra von Hohenzollern-Sigmaringen"


@dataclass
class Seat:
    """A user of one role, and the pages beyond its navigation it works on."""

    user: User | None  # None: a visitor not signed in
    pages: list[str]


def seat_user(tenant: Tenant, role: Role, name: str) -> User:
    upn = f"{role.value.replace('_', '-')}.{name.split()[0].lower()}@{tenant.domain}"
    return person(tenant, name, role, upn=upn)


def everyone(partner: Any, make_customer: Any, make_tenant: Any) -> list[Seat]:
    customer = make_customer(
        partner,
        name="Hohenzollern Präzisionsmaschinenbau und Feinwerktechnik GmbH & Co. KG",
        domain="hohenzollern-praezisionsmaschinenbau-feinwerktechnik.example",
    )
    order_create(
        actor=SYSTEM,
        customer_id=customer.id,
        lines=[LineItem("ENTERPRISE-E3", 25), LineItem("WORKPLACE-PREMIUM", 120), LineItem("MAIL-PLAN-1", 3)],
    )
    sub = Subscription.objects.filter(customer=customer).first()
    assert sub is not None
    it_admin = User.objects.get(upn=f"admin@{customer.tenant.domain}")
    it_admin.set_password(PASSWORD)
    it_admin.must_change_password, it_admin.display_name = False, LONG_NAME
    it_admin.save()
    licence_update(
        actor=SYSTEM, customer_id=customer.id, user_id=it_admin.id, add=["ENTERPRISE-E3"], remove=[]
    )
    c, s, u = f"/customers/{customer.id}/", f"/customers/{customer.id}/subscriptions/{sub.id}/", it_admin.id
    record = AuditRecord.objects.filter(partner_id=partner.account.id).last()
    assert record is not None
    audit = f"/audit/{record.seq}/"
    p = partner.tenant
    provider, trustee = make_tenant(Tenant.Kind.PROVIDER), make_tenant(Tenant.Kind.TRUSTEE)
    return [
        Seat(seat_user(p, Role.GLOBAL_ADMIN, LONG_NAME), [c, s, f"{c}users/", f"{c}users/{u}/", audit]),
        Seat(seat_user(p, Role.ADMIN_AGENT, "Anna Schmidt"), [c, s, f"{c}billing", f"{c}licences", audit]),
        Seat(seat_user(p, Role.SALES_AGENT, "Sven Verkauf"), [c, s, f"{c}cart"]),
        Seat(seat_user(p, Role.USER_MANAGEMENT_ADMIN, "Uwe Nutzer"), []),
        Seat(seat_user(p, Role.BILLING_ADMIN, "Berta Rechnung"), []),
        Seat(seat_user(p, Role.HELPDESK_AGENT, "Hilde Hilfe"), [c, s]),
        Seat(User.objects.get(id=it_admin.id), [f"/admin-center/customers/{customer.id}/users/{u}/"]),
        Seat(seat_user(provider, Role.OPERATOR, "Olga Operator"), ["/access/new"]),
        Seat(seat_user(trustee, Role.TRUSTEE_OFFICER, "Tilda Treuhand"), []),
        Seat(None, ["/signin", "/enrol"]),
    ]


def nav_pages(page: Page) -> list[str]:
    links = page.locator("nav.side a, nav.ac-side a")
    return list(dict.fromkeys(links.nth(i).get_attribute("href") or "" for i in range(links.count())))


def overflow(page: Page) -> dict[str, Any]:
    """The page's sideways overflow, and the elements that stick out of the viewport."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          // What sticks out inside a box that scrolls or clips on its own does not move the page.
          const boxed = (el) => {
            for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
              if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return true;
            }
            return false;
          };
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > width + 1 && !boxed(el)) {
              const name = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
              out.push(name + ' ' + Math.round(r.right));
            }
          }
          return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
        }"""
    )


def header_on_one_line(page: Page) -> bool:
    return page.evaluate(
        """() => {
          const bar = document.querySelector('header');
          const tops = [...bar.children].filter(e => e.getBoundingClientRect().width > 0)
            .map(e => e.getBoundingClientRect());
          const first = tops[0];
          return tops.every(r => r.top < first.bottom && r.bottom > first.top);
        }"""
    )


@pytest.mark.parametrize("kind", ["public", "sovereign"])
def test_every_page_of_every_role_fits_every_screen(
    kind: str,
    chromium_path: str,
    live_server: Any,
    swap_instance: Any,
    partner: Any,
    make_customer: Any,
    make_tenant: Any,
    offers: Any,
) -> None:
    if kind == "sovereign":
        swap_instance(
            mfa_required_roles=(),
            kind="sovereign",
            name="Sovereign Cloud Germany (data trustee)",
            trustee_required=True,
            task_routing=dict.fromkeys(TASKS, "admincenter"),
        )
    else:
        swap_instance(mfa_required_roles=())
    seats = everyone(partner, make_customer, make_tenant)
    problems: list[str] = []
    visited = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            for seat in seats:
                context = browser.new_context(base_url=live_server.url, locale="en-US")
                context.set_default_timeout(15_000)
                page = context.new_page()
                errors: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda x, e=errors: e.append(str(x)))
                page.on(
                    "response",
                    lambda r, e=errors: e.append(f"{r.status} {r.url}") if r.status >= 400 else None,
                )
                who = seat.user.upn if seat.user else "a visitor"
                paths = seat.pages
                if seat.user is not None:
                    sign_in(page, seat.user.upn, PASSWORD)
                    paths = nav_pages(page) + seat.pages
                assert len(paths) >= 2, (who, paths)
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    for path in paths:
                        errors.clear()
                        response = page.goto(path)
                        page.wait_for_load_state("load")
                        visited += 1
                        where = f"{who} {path} at {width} px"
                        if response is None or response.status != 200:
                            problems.append(f"{where}: status {response and response.status}")
                        o = overflow(page)
                        if o["scroll"] > o["width"]:
                            problems.append(f"{where}: {o['scroll']} px wide in {o['width']}: {o['out']}")
                        if errors:
                            problems.append(f"{where}: {errors}")
                        if width == 1366 and not header_on_one_line(page):
                            problems.append(f"{where}: the header wraps")
                context.close()
        finally:
            browser.close()
    assert visited >= len(seats) * len(WIDTHS) * 2
    assert problems == [], "\n".join(problems)


def test_the_seats_chart_shows_whole_names_at_every_width_and_in_german(
    page: Page, partner: Any, make_customer: Any, swap_instance: Any, offers: Any
) -> None:
    swap_instance(mfa_required_roles=())
    customer = make_customer(partner)
    lines = [LineItem("WORKPLACE-PREMIUM", 200), LineItem("ENTERPRISE-E5", 1600), LineItem("BACKUP-1TB", 3)]
    seller = principal_of(seat_user(partner.tenant, Role.ADMIN_AGENT, "Anna"))
    order_create(actor=seller, customer_id=customer.id, lines=lines)
    sign_in(page, seat_user(partner.tenant, Role.GLOBAL_ADMIN, LONG_NAME).upn, PASSWORD)
    for language in ("en", "de"):
        cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": page.url}
        page.context.add_cookies([cookie])  # type: ignore[list-item]
        page.goto("/csp/")
        assert page.locator("html").get_attribute("lang") == language
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            labels = page.locator("ol.bars .label")
            names = [labels.nth(i).inner_text() for i in range(labels.count())]
            assert names == ["Enterprise E5", "Workplace Premium", "Cloud Backup 1 TB"]
            clipped = page.evaluate(
                "() => [...document.querySelectorAll('ol.bars .label')]"
                ".filter(e => e.scrollWidth > e.clientWidth || e.getBoundingClientRect().left < 0).length"
            )
            assert clipped == 0, (language, width)
            bars = page.locator("ol.bars rect")
            widths = [bars.nth(i).get_attribute("width") for i in range(bars.count())]
            assert widths == ["100.0", "12.5", "1.0"], language  # 3 of 1,600 still shows; never "12,5"
