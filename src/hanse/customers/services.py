"""Every write to customers: create, update the billing profile."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action, Role
from hanse.access.scope import require, scoped
from hanse.audit import services as audit
from hanse.catalog.markets import market_currency
from hanse.customers import counts, errors
from hanse.customers.models import Customer
from hanse.directory import services as directory
from hanse.directory.models import Tenant
from hanse.errors import Conflict, DomainError, InvalidInput, NotFound, NotPermitted
from hanse.instance import policy
from hanse.instance.current import instance
from hanse.migration.freeze import ensure_unfrozen
from hanse.partners.models import PartnerAccount
from hanse.partners.services import account_for_update, ensure_active
from hanse.validators import is_email


@dataclass(frozen=True)
class BillingProfile:
    first_name: str
    last_name: str
    email: str
    country: str
    city: str
    postal_code: str
    address_line1: str
    company_name: str = ""
    culture: str = "en-US"
    language: str = "en"
    address_line2: str = ""
    address_line3: str = ""
    region: str = ""
    state: str = ""  # of the address: a state, province or Land
    phone_number: str = ""


def _snapshot(c: Customer) -> dict[str, object]:
    return {
        "companyName": c.company_name,
        "domain": c.tenant.domain,
        "relationship": c.relationship,
        "billingProfile": {
            "firstName": c.first_name,
            "lastName": c.last_name,
            "email": c.email,
            "culture": c.culture,
            "language": c.language,
            "companyName": c.billing_company_name,
            "country": c.country,
            "city": c.city,
            "postalCode": c.postal_code,
            "addressLine1": c.address_line1,
            "addressLine2": c.address_line2,
            "addressLine3": c.address_line3,
            "region": c.address_region,
            "state": c.address_state,
            "phoneNumber": c.phone_number,
        },
    }


REQUIRED_BILLING = {
    "firstName": "first_name",
    "lastName": "last_name",
    "city": "city",
    "postalCode": "postal_code",
    "addressLine1": "address_line1",
}


def _apply_billing(c: Customer, b: BillingProfile) -> None:
    market_currency(b.country)  # EU-27 + EFTA only: a clear 400 otherwise
    for field, attr in REQUIRED_BILLING.items():
        if not getattr(b, attr).strip():
            raise InvalidInput(errors.FIELD_INVALID, field=field, reason=_("required"))
    if not is_email(b.email.strip()):
        raise InvalidInput(errors.FIELD_INVALID, field="email", reason=_("not an email address"))
    c.first_name, c.last_name, c.email = b.first_name.strip(), b.last_name.strip(), b.email.strip()
    c.culture, c.language = b.culture.strip() or "en-US", (b.language.strip() or "en")[:5]
    c.billing_company_name = b.company_name.strip() or c.company_name
    c.country, c.city = b.country.strip().upper(), b.city.strip()
    c.postal_code, c.address_line1 = b.postal_code.strip(), b.address_line1.strip()
    c.address_line2, c.address_line3 = b.address_line2.strip(), b.address_line3.strip()
    c.address_region, c.address_state = b.region.strip(), b.state.strip()
    c.phone_number = b.phone_number.strip()


def customer_region(country: str, fallback: str) -> str:
    # A customer's home region: one of the instance's regions in its country, else the partner's.
    return next((r.id for r in instance().regions if r.country == country), fallback)


@dataclass(frozen=True)
class CreatedCustomer:
    customer: Customer
    admin_upn: str
    admin_password: str  # generated, shown once; to change at first sign-in


ADMIN_LOCALPART = "admin"
MAX_DOMAIN = 254 - len(ADMIN_LOCALPART) - 1  # the first admin's user name must fit in 254


def new_customers_closed() -> NotPermitted | None:
    """The refusal of any new customer where the instance takes none (the source document's
    closure), or None: the one place that decides, which pages read to say so before a form."""
    if instance().accepts_new_customers:
        return None
    return NotPermitted(errors.NEW_CUSTOMERS_CLOSED, instead=policy.instead())


def customer_create(
    *, actor: Principal, company_name: str, domain: str, billing: BillingProfile
) -> CreatedCustomer:
    """A new customer with its tenant and, as in Partner Center, the tenant's first Global admin
    (``admin@<domain>``), whose generated password is returned once. One transaction; the admin's
    password is hashed before it."""
    require(actor, Action.CUSTOMER_CREATE)
    closed = new_customers_closed()
    if closed is not None:
        raise closed
    name = (company_name or "").strip()
    if not name:
        raise InvalidInput(errors.FIELD_INVALID, field="companyName", reason=_("required"))
    if len(domain.strip()) > MAX_DOMAIN:
        reason = _("at most %(n)s characters, so that admin@domain is a user name") % {"n": MAX_DOMAIN}
        raise InvalidInput(errors.FIELD_INVALID, field="domain", reason=reason)
    admin_password = directory.hash_password(None, upn=f"{ADMIN_LOCALPART}@{domain.strip().lower()}")
    with transaction.atomic():
        account = account_for_update(actor, Action.CUSTOMER_CREATE, actor.partner_id)
        ensure_active(account)
        customer = _insert(actor, "customer.create", account, [NewCustomer(name, domain, billing)])[0]
        admin = directory.user_create(
            actor=actor,
            tenant=customer.tenant,
            upn=f"{ADMIN_LOCALPART}@{customer.tenant.domain}",
            display_name=f"{name} admin",
            roles=[Role.CUSTOMER_GLOBAL_ADMIN],
            password=admin_password,
        )
        admin.user.usage_location = customer.country  # where the customer's licences are used
        admin.user.save(update_fields=["usage_location"])
    return CreatedCustomer(customer=customer, admin_upn=admin.user.upn, admin_password=admin.password)


@dataclass(frozen=True)
class NewCustomer:
    """A customer to create or import: its company, domain and billing profile."""

    company_name: str
    domain: str
    billing: BillingProfile
    created_at: datetime | None = None


@transaction.atomic
def customer_import(
    *,
    actor: Principal,
    partner: PartnerAccount,
    company_name: str,
    domain: str,
    billing: BillingProfile,
    created_at: datetime | None = None,
) -> Customer:
    """Bring an existing customer into the instance (seeding, migration); the sovereign
    instance's closure applies to new customers, not to the ones it already serves."""
    row = NewCustomer(company_name, domain, billing, created_at)
    return customers_import(actor=actor, partner=partner, customers=[row])[0]


@transaction.atomic
def customers_import(
    *, actor: Principal, partner: PartnerAccount, customers: Sequence[NewCustomer]
) -> list[Customer]:
    """``customer_import`` of many, all or none, in a few statements whatever their number: a
    seed of a million customers one at a time took half an hour (``hanse seed``)."""
    if not actor.is_system:
        raise NotPermitted(errors.NEW_CUSTOMERS_CLOSED, instead=policy.instead())
    return _insert(actor, "customer.import", partner, customers)


SEED_BATCH = 2000


def customers_seed(
    *,
    actor: Principal,
    partner_domain: str,
    count: int,
    batch: int = SEED_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """``count`` more customers for the partner, for load tests and benchmarks: ``Customer N`` at
    ``cN.<partner's domain>``, numbered on from the customers it has, imported ``batch`` at a time,
    each batch in its own transaction. Memory is one batch's, whatever ``count``; a seed stopped
    half-way goes on where it stopped when run again. Returns the partner's customers after it."""
    if count < 1:
        raise InvalidInput(errors.FIELD_INVALID, field="customers", reason=_("at least 1"))
    if not 1 <= batch <= 10_000:
        raise InvalidInput(errors.FIELD_INVALID, field="batch", reason=_("between 1 and 10000"))
    account = (
        scoped(PartnerAccount.objects.select_related("tenant"), actor, Action.PARTNER_VIEW)
        .filter(tenant__domain__ieq=partner_domain.strip())
        .first()
    )
    if account is None:
        raise NotFound(errors.SEED_PARTNER_UNKNOWN, domain=partner_domain[:260])
    start = counts.of(actor, account.id)
    done = 0
    while done < count:
        n = min(batch, count - done)
        rows = [
            NewCustomer(
                company_name=f"Customer {i}",
                domain=f"c{i}.{account.tenant.domain}",
                billing=BillingProfile(
                    first_name="Ada",
                    last_name="Seed",
                    email=f"ada@c{i}.{account.tenant.domain}",
                    country=account.country,
                    city="Seed",
                    postal_code="1000",
                    address_line1="1 Seed Street",
                ),
            )
            for i in range(start + done, start + done + n)
        ]
        customers_import(actor=actor, partner=account, customers=rows)
        done += n
        if progress is not None:
            progress(done, count)
    return start + done


def _insert(
    actor: Principal, action: str, account: PartnerAccount, rows: Sequence[NewCustomer]
) -> list[Customer]:
    """``rows`` as new tenants and customers of ``account``, with their records; ``created_at``
    now where a row has none."""
    now = clock.now()
    countries = []
    for row in rows:
        market_currency(row.billing.country)
        countries.append(row.billing.country.strip().upper())
    new = [
        directory.NewTenant(
            domain=row.domain,
            name=row.company_name,
            kind=Tenant.Kind.CUSTOMER,
            region=customer_region(country, account.region),
            country=country,
        )
        for row, country in zip(rows, countries, strict=True)
    ]
    try:
        tenants = directory.tenants_create(actor=actor, tenants=new)
    except Conflict as e:
        raise Conflict(errors.DOMAIN_TAKEN, domain=e.params["domain"]) from None
    customers = []
    for tenant, row in zip(tenants, rows, strict=True):
        # Partner Center's customer id is its tenant id; Graph's tenant-rooted paths rely on it too.
        customer = Customer(
            id=tenant.id,
            partner=account,
            tenant=tenant,
            company_name=row.company_name,
            created_at=row.created_at or now,
        )
        _apply_billing(customer, row.billing)
        customers.append(customer)
    Customer.objects.bulk_create(customers)
    counts.add(actor, Action.CUSTOMER_CREATE, account.id, len(customers))
    audit.record_many(
        actor=actor,
        entries=[
            audit.Entry(
                action=action,
                target_type="Customer",
                target_id=c.id,
                partner_id=account.id,
                tenant_id=c.tenant_id,
                after=_snapshot(c),
            )
            for c in customers
        ],
    )
    return customers


def _locked(actor: Principal, customer_id: uuid.UUID, action: Action) -> Customer:
    customer = (
        scoped(Customer.objects.select_for_update(), actor, action)
        .select_related("tenant")
        .filter(id=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound(errors.CUSTOMER_NOT_FOUND)
    return customer


@transaction.atomic
def customer_update_billing(
    *, actor: Principal, customer_id: uuid.UUID, billing: BillingProfile, if_match: str | None
) -> Customer:
    customer = _locked(actor, customer_id, Action.CUSTOMER_EDIT)
    ensure_unfrozen(customer_id=customer.id)
    if if_match is not None and if_match.strip() not in (
        customer.etag,
        customer.etag[2:],
        str(customer.version),
    ):
        raise DomainError(errors.ETAG_MISMATCH)
    before = _snapshot(customer)
    _apply_billing(customer, billing)
    customer.version += 1
    customer.save()
    audit.record(
        actor=actor,
        action="customer.update_billing",
        target_type="Customer",
        target_id=customer.id,
        partner_id=customer.partner_id,
        tenant_id=customer.tenant_id,
        before=before,
        after=_snapshot(customer),
    )
    return customer


def billing_from_dict(data: dict[str, object]) -> BillingProfile:
    return BillingProfile(**{k: str(v) for k, v in data.items() if k in BillingProfile.__dataclass_fields__})
