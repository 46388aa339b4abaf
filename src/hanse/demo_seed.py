"""Demo data for one instance; run by ``hanse demo`` once per instance, in that instance's process."""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from hanse import clock
from hanse.access.principal import Principal, system_principal
from hanse.access.roles import PARTNER_ROLES, Action, Role
from hanse.access.scope import scoped
from hanse.billing.rating import Period
from hanse.billing.services import billing_profile_update, billing_run
from hanse.catalog.models import Offer
from hanse.catalog.services import catalog_load
from hanse.commerce.models import Subscription
from hanse.commerce.services import LineItem, SubscriptionChange, order_create, subscription_update
from hanse.customers.models import Customer
from hanse.customers.services import BillingProfile, customer_import
from hanse.directory import services as directory
from hanse.directory.customer_users import NewUser, customer_user_create
from hanse.directory.models import Tenant, User
from hanse.directory.selectors import principal_for
from hanse.instance.current import instance
from hanse.licensing.services import licence_update
from hanse.links.services import link_offered
from hanse.partners.models import PartnerAccount
from hanse.partners.services import agreement_sign, partner_account_create

CATALOG_DIR = Path(__file__).resolve().parent / "catalog" / "data"

CONTACTS = [
    ("Anna", "Schmidt"),
    ("Lukas", "Müller"),
    ("Claire", "Dubois"),
    ("Jan", "de Vries"),
    ("Sofia", "Rossi"),
    ("Mateo", "García"),
    ("Ingrid", "Hansen"),
    ("Piotr", "Nowak"),
    ("Eva", "Novák"),
    ("Jóna", "Sigurðardóttir"),
]
STREETS = [
    "Hauptstraße",
    "Rue de la Paix",
    "Kerkstraat",
    "Via Roma",
    "Calle Mayor",
    "Storgatan",
    "ulica Długa",
]

CUSTOMERS = {
    "contoso-de.example": [
        ("Bäckerei Hoffmann GmbH", "baeckerei-hoffmann.example", "DE", "Frankfurt am Main"),
        ("Stadtwerke Lindenau", "stadtwerke-lindenau.example", "DE", "Leipzig"),
        ("Weingut Ahrtal KG", "weingut-ahrtal.example", "DE", "Bad Neuenahr"),
        ("Alpenblick Hotels AG", "alpenblick-hotels.example", "AT", "Innsbruck"),
        ("Wiener Stahlbau GmbH", "wiener-stahlbau.example", "AT", "Wien"),
        ("Zürcher Treuhand AG", "zuercher-treuhand.example", "CH", "Zürich"),
        ("Genève Horlogerie SA", "geneve-horlogerie.example", "CH", "Genève"),
        ("Vaduz Vermögensverwaltung AG", "vaduz-vv.example", "LI", "Vaduz"),
        ("Atelier Lumière SARL", "atelier-lumiere.example", "FR", "Lyon"),
        ("Brasserie du Nord SAS", "brasserie-du-nord.example", "FR", "Lille"),
        ("Luxembourg Fiduciaire SA", "lux-fiduciaire.example", "LU", "Luxembourg"),
        ("Brouwerij De Hoorn BV", "brouwerij-de-hoorn.example", "NL", "Haarlem"),
        ("Antwerpse Diamant NV", "antwerpse-diamant.example", "BE", "Antwerpen"),
        ("Cantina Toscana Srl", "cantina-toscana.example", "IT", "Firenze"),
        ("Olivares del Sur SL", "olivares-del-sur.example", "ES", "Sevilla"),
        ("Huta Szkła Kraków Sp. z o.o.", "huta-szkla.example", "PL", "Kraków"),
        ("Pivovar Brno s.r.o.", "pivovar-brno.example", "CZ", "Brno"),
        ("Nordhavn Logistik ApS", "nordhavn-logistik.example", "DK", "København"),
        ("Göteborg Marin AB", "goteborg-marin.example", "SE", "Göteborg"),
        ("Fjordkraft Maritime AS", "fjordkraft-maritime.example", "NO", "Bergen"),
        ("Reykjavík Geothermal ehf.", "reykjavik-geo.example", "IS", "Reykjavík"),
        ("Helsinki Design Oy", "helsinki-design.example", "FI", "Helsinki"),
        ("Lisboa Azulejos Lda", "lisboa-azulejos.example", "PT", "Lisboa"),
        ("Budapest Termál Kft.", "budapest-termal.example", "HU", "Budapest"),
    ],
    "fabrikam-eu.example": [
        # Signed up here on its own before its partner moved it: its domain and user names are
        # taken, which the migration's plan shows as blockers of de's customer of that name.
        ("Stadtwerke Lindenau (Europa)", "stadtwerke-lindenau.example", "DE", "Leipzig"),
        ("Contoso Pharma BV", "contoso-pharma.example", "NL", "Leiden"),
        ("Tailspin Toys GmbH", "tailspin-toys.example", "DE", "Nürnberg"),
        ("Wide World Importers SA", "wideworld.example", "FR", "Marseille"),
        ("Adatum Consulting AB", "adatum-consulting.example", "SE", "Stockholm"),
    ],
    "northwind-eu.example": [
        ("Alpine Ski House AG", "alpine-ski-house.example", "CH", "Davos"),
        ("Margie's Travel SRL", "margies-travel.example", "RO", "Cluj-Napoca"),
    ],
}

ROLE_LOCALPART = {
    Role.GLOBAL_ADMIN: "admin",
    Role.USER_MANAGEMENT_ADMIN: "useradmin",
    Role.ADMIN_AGENT: "adminagent",
    Role.SALES_AGENT: "sales",
    Role.BILLING_ADMIN: "billing",
    Role.HELPDESK_AGENT: "helpdesk",
}

ACTIVE, PENDING = PartnerAccount.State.ACTIVE, PartnerAccount.State.PENDING
# (domain, name, region, full staff, state). In eu, the de partner's European tenants for the
# link (docs/links.md): its active account, ready for flow 2 (its Global admin signs in; its other
# staff fail condition a), one outside Europe (b) and one not active yet (c).
PARTNERS = {
    "de": [("contoso-de.example", "Contoso Deutschland GmbH", "de-central", True, ACTIVE)],
    "eu": [
        ("fabrikam-eu.example", "Fabrikam Europe B.V.", "eu-west", True, ACTIVE),
        ("northwind-eu.example", "Northwind Partners SAS", "fr-central", False, ACTIVE),
        ("contoso-eu.example", "Contoso Europe B.V.", "de-west", True, ACTIVE),
        ("contoso-us.example", "Contoso Americas Inc.", "us-east", False, ACTIVE),
        ("contoso-new.example", "Contoso Neu GmbH", "eu-west", False, PENDING),
    ],
}


@transaction.atomic
def seed(*, out: Path) -> None:
    inst = instance()
    actor = system_principal("demo-seed")
    region = inst.regions[0].id
    users: list[dict[str, Any]] = []

    def add(tenant: Tenant, localpart: str, name: str, roles: list[Role]) -> None:
        created = directory.user_create(
            actor=actor,
            tenant=tenant,
            upn=f"{localpart}@{tenant.domain}",
            display_name=name,
            roles=roles,
            must_change_password=False,
        )
        users.append(
            {
                "instance": inst.id,
                "kind": tenant.kind,
                "tenant": tenant.domain,
                "upn": created.user.upn,
                "password": created.password,
                "roles": [r.value for r in roles],
            }
        )

    provider = directory.tenant_create(
        actor=actor,
        domain=f"operators.{inst.id}.example",
        name=f"{inst.name} operations",
        kind=Tenant.Kind.PROVIDER,
        region=region,
    )
    add(provider, "operator", "Olga Operator", [Role.OPERATOR])
    add(provider, "operator2", "Otto Operator", [Role.OPERATOR])  # four eyes, break-glass
    if inst.trustee_required:
        trustee = directory.tenant_create(
            actor=actor,
            domain=f"trustee.{inst.id}.example",
            name="Datentreuhand AG",
            kind=Tenant.Kind.TRUSTEE,
            region=region,
        )
        add(trustee, "officer", "Tilda Treuhand", [Role.TRUSTEE_OFFICER])

    for domain, name, reg, full_staff, state in PARTNERS.get(
        inst.id, [("partner.example", "Demo Partner", region, True, ACTIVE)]
    ):
        tenant = directory.tenant_create(
            actor=actor,
            domain=domain,
            name=name,
            kind=Tenant.Kind.PARTNER,
            region=reg if inst.region(reg) else region,
        )
        partner_account_create(actor=actor, tenant=tenant, company_name=name, state=state)
        roles = sorted(PARTNER_ROLES, key=list(ROLE_LOCALPART).index) if full_staff else [Role.GLOBAL_ADMIN]
        for role in roles:
            add(tenant, ROLE_LOCALPART[role], f"{role.label} ({name.split()[0]})", [role])
        admin = scoped(User.objects.all(), actor, Action.PARTNER_VIEW).get(upn=f"admin@{domain}")
        if state == ACTIVE:
            agreement_sign(actor=principal_for(admin), name=admin.display_name, email=admin.upn)

    catalog_load(
        actor=actor,
        path=CATALOG_DIR / ("offers-sovereign.json" if inst.is_sovereign else "offers-public.json"),
    )
    for domain, *_ in PARTNERS.get(inst.id, []):
        account = scoped(PartnerAccount.objects.all(), actor, Action.PARTNER_VIEW).get(tenant__domain=domain)
        users += _seed_customers(actor, account, CUSTOMERS.get(domain, []))

    customers = scoped(Customer.objects.select_related("tenant"), actor, Action.CUSTOMER_VIEW)
    first = customers.order_by("created_at").first()
    if first is not None:
        add(first.tenant, "it-admin", f"IT admin ({first.company_name})", [Role.CUSTOMER_GLOBAL_ADMIN])
        if inst.trustee_required:
            _seed_access_requests(actor, first, f"operators.{inst.id}.example", f"trustee.{inst.id}.example")
    _seed_billing(actor)
    if link_offered():  # customers may move from here: some have consented
        _seed_consents(customers, first)

    out.write_text(json.dumps(users, indent=2, ensure_ascii=False), encoding="utf-8")


def _seed_access_requests(actor: Principal, customer: Customer, operators: str, trustee: str) -> None:
    """Operators' requests for the first customer's data, in every state, each decided the way the
    instance's policy says (trustee, then the customer's Global admin), some of them in the past."""
    from hanse.trustee import services as access

    users = scoped(User.objects.select_related("tenant"), actor, Action.PARTNER_VIEW)

    def who(upn: str) -> Principal:
        return principal_for(users.get(upn=upn))

    olga, otto = f"operator@{operators}", f"operator2@{operators}"
    officer, it_admin = who(f"officer@{trustee}"), who(f"it-admin@{customer.tenant.domain}")

    def file(operator: str, reason: str, why: str, kinds: list[str], hours: int, **kw: Any) -> uuid.UUID:
        new = access.NewRequest(
            customer=str(customer.id),
            kinds=kinds,
            write=kw.pop("write", False),
            reason=reason,
            justification=why,
            hours=hours,
            case_ref=kw.pop("case", ""),
            break_glass=kw.pop("glass", False),
        )
        return access.access_request_file(actor=who(operator), new=new).id

    def approve(req: uuid.UUID, *by: Principal) -> None:
        for p in by:
            access.access_request_decide(
                actor=p, request_id=req, approve=True, note="Checked against the case."
            )

    def read_users(operator: str) -> None:
        reader = who(operator)  # carries the grants active now
        list(scoped(User.objects.filter(tenant=customer.tenant), reader, Action.CUSTOMER_USER_MANAGE))

    with clock.earlier(timedelta(days=20)):  # a grant used, then completed by its operator
        done = file(
            olga, "customer_support", "Ticket 1001: a user cannot sign in.", ["users"], 2, case="CASE-1001"
        )
        approve(done, officer, it_admin)
        read_users(olga)
        access.access_request_complete(actor=who(olga), request_id=done, note="Password reset explained.")
    with clock.earlier(timedelta(days=12)):  # denied by the trustee
        denied = file(otto, "service_maintenance", "Routine check of licence counts.", ["licences"], 4)
        access.access_request_decide(
            actor=officer, request_id=denied, approve=False, note="No customer case behind it."
        )
    with clock.earlier(timedelta(days=9)):  # nobody decided in time: expired
        file(olga, "incident_response", "Incident 77: possible misconfiguration.", ["subscriptions"], 2)
    with clock.earlier(timedelta(days=6)):  # a grant that ran out
        ran_out = file(
            otto, "customer_support", "Ticket 1020: subscription seats look wrong.", ["subscriptions"], 1
        )
        approve(ran_out, officer, it_admin)
    with clock.earlier(timedelta(days=3)):  # revoked by the trustee
        revoked = file(olga, "customer_support", "Ticket 1033: licences missing.", ["licences", "users"], 8)
        approve(revoked, officer, it_admin)
        read_users(olga)
        access.access_request_revoke(actor=officer, request_id=revoked, note="The case was closed.")
    with clock.earlier(timedelta(days=1)):  # break-glass, two operators, not reviewed yet
        glass = file(
            otto,
            "incident_response",
            "Outage: customer's sign-ins fail for everyone.",
            ["users"],
            1,
            glass=True,
        )
        approve(glass, who(olga))
        read_users(otto)
    # Now: one grant active (approved by both), one waiting for the customer, one for the trustee.
    active = file(
        olga,
        "customer_support",
        "Ticket 1042: the IT admin asked us to check its users.",
        ["users"],
        8,
        case="CASE-1042",
    )
    approve(active, officer, it_admin)
    read_users(olga)
    approve(file(otto, "customer_support", "Ticket 1043: billing question.", ["subscriptions"], 4), officer)
    file(
        olga,
        "legal_demand",
        "A court order names this customer (reference in the case).",
        ["profile"],
        2,
        case="LEGAL-7",
    )


NO_CONSENT = "weingut-ahrtal.example"  # the customer that has not consented to move


def _seed_consents(customers: Any, own: Customer | None) -> None:
    """Consent to move to the European instance: the customer with its own admin gives it in the
    admin center; the partner recorded the others' written consent; one has not consented."""
    from hanse.migration.services import consent_attest, consent_give

    users = scoped(User.objects.all(), system_principal("demo-seed"), Action.CUSTOMER_USER_MANAGE)
    for customer in customers.order_by("created_at"):
        if customer.tenant.domain == NO_CONSENT:
            continue
        if own is not None and customer.id == own.id:
            admin = users.get(upn=f"it-admin@{customer.tenant.domain}")
            consent_give(actor=principal_for(admin))
            continue
        partner_admin = users.get(upn=f"admin@{customer.partner.tenant.domain}")
        consent_attest(
            actor=principal_for(partner_admin),
            customer_id=customer.id,
            reference=f"Einwilligung {customer.tenant.domain} vom 2026-11-02",
        )


def _seed_users(actor: Principal, customer: Customer, subscription: Subscription) -> dict[str, Any]:
    """A few users per customer, licensed on its first subscription, so user and licence
    management has something to show; the first signs in as it is (demo-users.json)."""
    shown: dict[str, Any] = {}
    for k, (first, last) in enumerate(CONTACTS[:3]):
        created = customer_user_create(
            actor=actor,
            customer_id=customer.id,
            new=NewUser(
                upn=f"{_ascii(first)}.{_ascii(last)}@{customer.tenant.domain}",
                display_name=f"{first} {last}",
                usage_location=customer.country,
                must_change_password=k != 0,
            ),
        )
        if k == 0:
            shown = {
                "instance": instance().id,
                "kind": "customer",
                "tenant": customer.tenant.domain,
                "upn": created.user.upn,
                "password": created.password,
                "roles": [],
            }
        if k < subscription.quantity:
            licence_update(
                actor=actor,
                customer_id=customer.id,
                user_id=created.user.id,
                add=[subscription.offer_id],
                remove=[],
            )
    return shown


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace(" ", ".")


def _seed_customers(
    actor: Principal, account: PartnerAccount, customers: list[tuple[str, str, str, str]]
) -> list[dict[str, Any]]:
    """Existing customers with subscriptions, some of them trials: the starting point for migration."""
    offers = list(Offer.objects.filter(is_trial=False).order_by("id"))
    trials = list(Offer.objects.filter(is_trial=True).order_by("id"))
    now = clock.now()
    users: list[dict[str, Any]] = []
    for i, (name, domain, country, city) in enumerate(customers):
        first, last = CONTACTS[i % len(CONTACTS)]
        customer = customer_import(
            actor=actor,
            partner=account,
            company_name=name,
            domain=domain,
            billing=BillingProfile(
                first_name=first,
                last_name=last,
                email=f"{_ascii(first)}@{domain}",
                country=country,
                city=city,
                postal_code=f"{10000 + i * 137}",
                address_line1=f"{STREETS[i % len(STREETS)]} {i + 1}",
                language={"DE": "de", "AT": "de", "CH": "de", "FR": "fr", "LU": "fr", "BE": "fr"}.get(
                    country, "en"
                ),
            ),
            created_at=now - timedelta(days=90 + 37 * i),
        )
        lines = [
            LineItem(offer_id=offers[(i + k) % len(offers)].id, quantity=5 + (i * 7 + k * 11) % 60)
            for k in range(1 + i % 3)
        ]
        # Bought two to three months ago, so that the Billing admin has issued invoices to open.
        with clock.earlier(timedelta(days=85 - 6 * (i % 5))):
            order = order_create(actor=actor, customer_id=customer.id, lines=lines)
        first_sub = order.subscriptions.order_by("created_at").first()
        if first_sub is not None and i % 3 == 1:  # grown since: a quantity change mid-month
            with clock.earlier(timedelta(days=40 - i % 7)):
                subscription_update(
                    actor=actor,
                    customer_id=customer.id,
                    subscription_id=first_sub.id,
                    change=SubscriptionChange(quantity=first_sub.quantity + 5),
                    if_match=None,
                )
        if trials and i % 4 == 0:  # started today: still a trial when the migration plans
            order_create(
                actor=actor,
                customer_id=customer.id,
                lines=[LineItem(offer_id=trials[i % len(trials)].id, quantity=10)],
            )
        if i < 4:
            users.append(_seed_users(actor, customer, first_sub))
    return users


# Where each active partner's invoices go: (address lines, VAT number, language).
BILLING_PROFILES = {
    "contoso-de.example": (
        "Contoso Deutschland GmbH\nBuchhaltung\nMainzer Landstraße 50\n60325 Frankfurt am Main",
        "DE811234567",
        "de",
    ),
    "fabrikam-eu.example": (
        "Fabrikam Europe B.V.\nAccounts payable\nKeizersgracht 100\n1015 AA Amsterdam",
        "NL812345678B01",
        "en",
    ),
    "northwind-eu.example": (
        "Northwind Partners SAS\nComptabilité\n12 rue de la Paix\n75002 Paris",
        "FR40812345678",
        "fr",
    ),
}


def _seed_billing(actor: Principal) -> None:
    """The partners' billing profiles, then an invoice for every month since the first order, each
    issued just after its month as the worker would have: the Billing admin has real ones to open."""
    for domain, (address, vat_id, language) in BILLING_PROFILES.items():
        admin = scoped(User.objects.all(), actor, Action.PARTNER_VIEW).filter(upn=f"admin@{domain}").first()
        if admin is not None:
            billing_profile_update(
                actor=principal_for(admin), address=address, vat_id=vat_id, language=language
            )
    first = scoped(Subscription.objects.all(), actor, Action.CUSTOMER_VIEW).order_by("created_at").first()
    if first is None:
        return
    now = clock.now()
    period = Period.of(first.created_at.astimezone(UTC).date())
    while period != Period.of(now.astimezone(UTC).date()):
        issued_at = datetime.combine(period.end, time(1), tzinfo=UTC)
        with clock.earlier(now - issued_at):
            billing_run(actor=actor, period=period)
        period = period.next()
