"""Every write of billing: the seat changes a subscription accrues by, the billing run that issues
invoices, credit notes, and the partner's billing profile (docs/billing.md)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from fractions import Fraction
from operator import attrgetter

from django.conf import settings
from django.db import IntegrityError, transaction

from hanse import clock
from hanse.access.principal import Principal
from hanse.access.roles import Action
from hanse.access.scope import relock, require, scoped
from hanse.audit import services as audit
from hanse.billing import errors
from hanse.billing.charges import CHARGE_CREDIT, Draft, partner_charges
from hanse.billing.models import Invoice, InvoiceCounter, InvoiceLine, SeatChange
from hanse.billing.rating import Period
from hanse.billing.tax import tax_for
from hanse.commerce.models import Subscription
from hanse.db import insert_many
from hanse.errors import Conflict, InvalidInput, NotFound
from hanse.instance.current import instance
from hanse.partners.models import PartnerAccount

RUN = Action.INSTANCE_OPERATE
# What an invoice line keeps of its draft, by value: the draft's fields less its currency (the
# invoice's) and its exact amount (rounded into ``amount``).
LINE_FIELDS = tuple(f.name for f in fields(Draft) if f.name not in ("currency", "exact"))
S = Subscription.Status


def billable_seats(sub: Subscription) -> int:
    """A trial costs nothing; a suspended or cancelled subscription accrues nothing."""
    return sub.quantity if sub.status == S.ACTIVE and not sub.is_trial else 0


def seat_change_record(
    sub: Subscription,
    *,
    actor: Principal,
    action: Action,
    reason: str,
    seats: int | None = None,
    day: date | None = None,
) -> None:
    """In the transaction of the change, which holds ``sub`` locked: from ``day`` (today) on,
    ``sub`` accrues ``seats`` (by default what its state says). Seats as they were write nothing."""
    seats = billable_seats(sub) if seats is None else seats
    last = (
        scoped(SeatChange.objects.all(), actor, action)
        .filter(subscription=sub)
        .order_by("-day", "-id")
        .values_list("seats", flat=True)
        .first()
    )
    if last == seats or (last is None and seats == 0):
        return
    now = clock.now()
    SeatChange.objects.create(
        subscription=sub,
        partner_id=sub.partner_id,
        customer_id=sub.customer_id,
        day=day or clock.today(),
        seats=seats,
        reason=reason[:32],
        created_at=now,
    )


def customer_seats_record(
    *,
    actor: Principal,
    action: Action,
    customer_id: uuid.UUID,
    reason: str,
    day: date,
    seats: int | None = None,
) -> None:
    """A migration's cutover: the customer's subscriptions accrue here from ``day`` (the target),
    or stop accruing here from ``day`` (the source, ``seats=0``)."""
    for sub in scoped(Subscription.objects.select_for_update(), actor, action).filter(
        customer_id=customer_id
    ):
        seat_change_record(sub, actor=actor, action=action, reason=reason, seats=seats, day=day)


def seller() -> dict[str, object]:
    b = instance().billing
    return {
        "name": b.seller_name,
        "address": list(b.seller_address),
        "country": b.seller_country,
        "vatId": b.seller_vat_id,
    }


def buyer(account: PartnerAccount) -> dict[str, object]:
    return {
        "name": account.company_name,
        "address": [line for line in account.billing_address.splitlines() if line.strip()],
        "country": account.country,
        "vatId": account.vat_id,
        "domain": account.tenant.domain,
        "language": account.invoice_language,
    }


def _next_number(year: int) -> str:
    counter, _ = InvoiceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{instance().id}-{year}-{counter.last:06d}"


LINE_COLUMNS = ("invoice", "number", "credits", *LINE_FIELDS)
_line_values = attrgetter(*LINE_FIELDS)


def _issue(
    actor: Principal,
    account: PartnerAccount,
    *,
    kind: str,
    currency: str,
    period_start: object,
    period_end: object,
    lines: list[tuple[Draft, InvoiceLine | None]],
    tax_note: str,
    amends: Invoice | None = None,
    reason: str = "",
) -> Invoice:
    """The invoice's total is the sum of its rounded lines and their rounded tax."""
    today = clock.today()
    subtotal = sum((d.amount for d, _ in lines), Decimal(0))
    tax_total = sum((d.tax for d, _ in lines), Decimal(0))
    invoice = Invoice.objects.create(
        number=_next_number(today.year),
        partner=account,
        document_type=kind,
        amends=amends,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        invoice_date=today,
        issued_at=clock.now(),
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
        tax_note=tax_note,
        reason=reason,
        seller=seller(),
        buyer=buyer(account),
    )
    insert_many(
        InvoiceLine,
        LINE_COLUMNS,
        (
            (invoice.number, n, credited.id if credited else None, *_line_values(d))
            for n, (d, credited) in enumerate(lines, 1)
        ),
    )
    audit.record(
        actor=actor,
        action="billing.invoice_issue" if kind == Invoice.Type.INVOICE else "billing.invoice_credit",
        target_type="Invoice",
        target_id=invoice.number,
        partner_id=account.id,
        tenant_id=account.tenant_id,
        after={
            "documentType": kind,
            "period": f"{period_start}/{period_end}",
            "currency": currency,
            "lines": len(lines),
            "subtotal": str(subtotal),
            "tax": str(tax_total),
            "total": str(invoice.total),
            **({"amendsOf": amends.number, "reason": reason} if amends else {}),
        },
    )
    return invoice


@dataclass
class RunResult:
    period: Period
    issued: list[Invoice] = field(default_factory=list)
    drafts: dict[tuple[str, str], list[Draft]] = field(default_factory=dict)  # (partner domain, currency)
    already: int = 0  # invoices an earlier run issued for the period
    partners: int = 0


def _partners(actor: Principal, period: Period, domain: str | None) -> list[uuid.UUID]:
    ids = (
        scoped(SeatChange.objects.all(), actor, RUN)
        .filter(day__lt=period.end)
        .values_list("partner_id", flat=True)
        .distinct()
    )
    accounts = scoped(PartnerAccount.objects.all(), actor, RUN).filter(id__in=ids)
    if domain:
        accounts = accounts.filter(tenant__domain=domain.strip().lower())
        if not accounts.exists():
            raise NotFound(errors.PARTNER_NOT_FOUND, domain=domain[:253])
    return list(accounts.order_by("company_name", "id").values_list("id", flat=True))


def parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError:
        raise InvalidInput(errors.PERIOD_INVALID) from None


def billing_run(
    *,
    actor: Principal,
    period: Period,
    partner_domain: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """One invoice per partner, currency and period, whatever runs before or after: each partner
    is billed in its own transaction, under its account's row lock, and what an earlier run issued
    is left as it is. A dry run rates and writes nothing."""
    require(actor, RUN)
    if period.end > clock.today():
        raise Conflict(errors.PERIOD_NOT_OVER, period=str(period), day=period.end.isoformat())
    result = RunResult(period)
    partners = _partners(actor, period, partner_domain)
    result.partners = len(partners)
    for i, partner_id in enumerate(partners, 1):
        try:
            _bill_partner(actor, partner_id, period, result, dry_run=dry_run)
        except IntegrityError:
            # Another run issued this partner's invoice between our check and our insert.
            result.already += 1
        if progress:
            progress(i, len(partners))
    return result


@transaction.atomic
def _bill_partner(
    actor: Principal, partner_id: uuid.UUID, period: Period, result: RunResult, *, dry_run: bool
) -> None:
    account = (
        scoped(PartnerAccount.objects.select_for_update(), actor, RUN)
        .select_related("tenant")
        .get(id=partner_id)
    )
    done = set(
        scoped(Invoice.objects.all(), actor, RUN)
        .filter(partner=account, period_start=period.start, document_type=Invoice.Type.INVOICE)
        .values_list("currency", flat=True)
    )
    result.already += len(done)
    tax = tax_for(instance().billing.seller_country, account.country)
    by_currency: dict[str, list[Draft]] = defaultdict(list)
    for d in partner_charges(actor, RUN, partner_id=account.id, period=period, end=period.end, tax=tax):
        if d.currency not in done:
            by_currency[d.currency].append(d)
    for currency, drafts in sorted(by_currency.items()):
        result.drafts[account.tenant.domain, currency] = drafts
        if dry_run:
            continue
        result.issued.append(
            _issue(
                actor,
                account,
                kind=Invoice.Type.INVOICE,
                currency=currency,
                period_start=period.start,
                period_end=period.last,
                lines=[(d, None) for d in drafts],
                tax_note=tax.category,
            )
        )


def _negated(line: InvoiceLine) -> Draft:
    """The line taken back: the same seat-days, the amount and tax with the opposite sign."""
    return Draft(
        **{f: getattr(line, f) for f in LINE_FIELDS if f not in ("charge_type", "amount", "tax")},
        currency=line.invoice.currency,
        charge_type=CHARGE_CREDIT,
        exact=-Fraction(line.amount),
        amount=-line.amount,
        tax=-line.tax,
    )


@transaction.atomic
def credit_note_issue(
    *, actor: Principal, number: str, line_numbers: list[int] | None, reason: str
) -> Invoice:
    """Takes back the named lines of an issued invoice (all of them by default), each at most
    once. The invoice itself is never changed: the credit note references it."""
    require(actor, RUN)
    reason = (reason or "").strip()
    if not reason or len(reason) > 1000:
        raise InvalidInput(errors.CREDIT_REASON_REQUIRED)
    invoice = (
        scoped(Invoice.objects.select_for_update(), actor, RUN)
        .select_related("partner__tenant")
        .filter(number=number)
        .first()
    )
    if invoice is None:
        raise NotFound(errors.INVOICE_NOT_FOUND)
    if invoice.document_type != Invoice.Type.INVOICE:
        raise Conflict(errors.NOT_AN_INVOICE, number=number)
    lines = {
        line.number: line
        for line in scoped(InvoiceLine.objects.all(), actor, RUN)
        .select_related("invoice")
        .filter(invoice=invoice, credited_by__isnull=True)
    }
    all_numbers = set(
        scoped(InvoiceLine.objects.all(), actor, RUN).filter(invoice=invoice).values_list("number", flat=True)
    )
    wanted = sorted(set(line_numbers)) if line_numbers else sorted(lines)
    for n in wanted:
        if n not in all_numbers:
            raise InvalidInput(errors.LINE_NOT_ON_INVOICE, number=number, line=n)
    chosen = [lines[n] for n in wanted if n in lines]
    if not chosen:
        raise Conflict(errors.NOTHING_TO_CREDIT, number=number)
    return _issue(
        actor,
        invoice.partner,
        kind=Invoice.Type.CREDIT_NOTE,
        currency=invoice.currency,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        lines=[(_negated(line), line) for line in chosen],
        tax_note=invoice.tax_note,
        amends=invoice,
        reason=reason,
    )


MAX_ADDRESS_LINES = 6


@transaction.atomic
def billing_profile_update(*, actor: Principal, address: str, vat_id: str, language: str) -> PartnerAccount:
    """The partner's own billing profile: where its next invoices are addressed, in which language."""
    require(actor, Action.BILLING_MANAGE)
    account = relock(
        scoped(PartnerAccount.objects.all(), actor, Action.BILLING_MANAGE).get(id=actor.partner_id)
    )
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    vat_id = (vat_id or "").strip().upper()
    if len(lines) > MAX_ADDRESS_LINES or any(len(line) > 100 for line in lines) or len(vat_id) > 20:
        raise InvalidInput(errors.BILLING_ADDRESS_INVALID)
    if language not in {code for code, _ in settings.LANGUAGES}:
        language = account.invoice_language
    before = {
        "address": account.billing_address,
        "vatId": account.vat_id,
        "language": account.invoice_language,
    }
    account.billing_address, account.vat_id, account.invoice_language = "\n".join(lines), vat_id, language
    after = {
        "address": account.billing_address,
        "vatId": account.vat_id,
        "language": account.invoice_language,
    }
    if after != before:
        account.save(update_fields=["billing_address", "vat_id", "invoice_language"])
        audit.record(
            actor=actor,
            action="billing.profile",
            target_type="PartnerAccount",
            target_id=account.id,
            partner_id=account.id,
            tenant_id=account.tenant_id,
            before=before,
            after=after,
        )
    return account
