"""The invoice document: a PDF in the partner's language, drawn with reportlab.

reportlab draws PDF directly from Python, with no browser or system libraries behind it (the
HTML route, WeasyPrint, needs Pango and Cairo from the system), it is BSD-licensed and kept by
the same company since 2000, and its page templates give a footer on every page with the page
count. The text is DejaVu Sans, shipped beside this module (fonts/, its licence there): it has
every letter the EU's and EFTA's languages write, Greek and Cyrillic included, which the font
reportlab ships (Bitstream Vera) has not (no ř, no ő). The file embeds the subset it uses.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.db.models import Sum
from django.http import HttpResponse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hanse.access.principal import Principal
from hanse.billing.models import Invoice, InvoiceLine
from hanse.billing.rating import minor_units
from hanse.billing.selectors import invoice_lines, iter_lines
from hanse.billing.tax import TaxCategory

FONTS = Path(__file__).parent / "fonts"
FONT, BOLD = "HanseSans", "HanseSans-Bold"
LANGUAGES = ("en", "de", "fr")
DASH = "\u2013"  # between the first and the last day
META = [("FONT", (0, 0), (-1, -1), FONT, 9)]


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def money(value: Decimal, currency: str) -> str:
    """In the active language: 1,234.50 EUR; 1.234,50 EUR; 1 234,50 EUR."""
    places = minor_units(currency)
    text = formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{currency}"


def day(value: Any) -> str:
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def percent(value: Decimal) -> str:
    return formats.number_format(value.normalize(), use_l10n=True) + "\u00a0%"


def tax_note(category: str, seller_country: str) -> str:
    if category == TaxCategory.REVERSE_CHARGE:
        return _(
            "Reverse charge: the recipient accounts for the VAT (Article 196 of Council Directive "
            "2006/112/EC)."
        )
    if category == TaxCategory.OUTSIDE_EU:
        return _("Not subject to VAT in %(country)s: the supply is made outside the EU VAT area.") % {
            "country": seller_country
        }
    return ""


class _NumberedCanvas(canvas.Canvas):
    """Holds every page until the end, so that each footer can say how many there are."""

    footer: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        count = len(self._pages)
        for n, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.setFillColor(colors.grey)
            self.drawString(18 * mm, 10 * mm, self.footer)
            self.drawRightString(
                A4[0] - 18 * mm, 10 * mm, _("Page %(page)s of %(pages)s") % {"page": n, "pages": count}
            )
            super().showPage()
        super().save()


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=18, leading=22),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=10, leading=14),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }


def _address(party: dict[str, Any]) -> str:
    lines = [f"<b>{escape(str(party.get('name') or ''))}</b>"]
    lines += [escape(str(line)) for line in party.get("address") or []]
    if party.get("country"):
        lines.append(escape(str(party["country"])))
    if party.get("vatId"):
        lines.append(escape(_("VAT number: %(id)s") % {"id": party["vatId"]}))
    return "<br/>".join(lines)


GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("FONT", (0, 0), (-1, 0), BOLD, 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
    ]
)


def _line_tables(lines: Iterator[InvoiceLine], currency: str, st: dict[str, ParagraphStyle]) -> Iterator[Any]:
    header = [
        _("Offer"),
        _("Subscription"),
        _("Charged"),
        _("Seats"),
        _("Seat-days"),
        _("Price per seat"),
        _("VAT"),
        _("Amount"),
    ]
    widths = [44 * mm, 34 * mm, 30 * mm, 12 * mm, 15 * mm, 20 * mm, 11 * mm, 22 * mm]
    for (name, domain, country), group in groupby(
        lines, key=lambda x: (x.customer_name, x.customer_domain, x.customer_country)
    ):
        yield Spacer(1, 3 * mm)
        yield Paragraph(f"<b>{escape(name)}</b> · {escape(domain)} · {escape(country)}", st["base"])
        rows: list[list[Any]] = [header]
        for x in group:
            rows.append(
                [
                    Paragraph(escape(x.offer_name), st["small"]),
                    Paragraph(escape(x.subscription_name), st["small"]),
                    f"{formats.date_format(x.charge_start, 'SHORT_DATE_FORMAT')}{DASH}"
                    f"{formats.date_format(x.charge_end, 'SHORT_DATE_FORMAT')}",
                    str(x.quantity),
                    formats.number_format(x.seat_days, use_l10n=True, force_grouping=True),
                    money(x.unit_price, currency),
                    percent(x.tax_rate),
                    money(x.amount, currency),
                ]
            )
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(GRID)
        yield table


def _tax_rows(principal: Principal, invoice: Invoice) -> list[list[str]]:
    """One row per rate: the amount taxed at it and its tax."""
    rows = (
        invoice_lines(principal=principal, invoice=invoice)
        .order_by()
        .values("tax_rate")
        .annotate(base=Sum("amount"), tax_sum=Sum("tax"))
        .order_by("tax_rate")
    )
    return [
        [
            _("VAT %(rate)s on %(base)s")
            % {"rate": percent(r["tax_rate"]), "base": money(r["base"], invoice.currency)},
            money(r["tax_sum"], invoice.currency),
        ]
        for r in rows
    ]


def render(principal: Principal, invoice: Invoice, language: str | None = None) -> bytes:
    """The document in ``language``, by default the one the partner chose for its invoices."""
    language = language or str(invoice.buyer.get("language") or "en")
    if language not in LANGUAGES:
        language = "en"
    _fonts()
    with translation.override(language):
        return _render(principal, invoice)


def _render(principal: Principal, invoice: Invoice) -> bytes:
    st = _styles()
    credit = invoice.document_type == Invoice.Type.CREDIT_NOTE
    title = _("Credit note") if credit else _("Invoice")
    seller, buyer = invoice.seller, invoice.buyer
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=f"{title} {invoice.number}",
        author=str(seller.get("name") or ""),
    )
    meta = [
        [_("Number"), invoice.number],
        [_("Date"), day(invoice.invoice_date)],
        [_("Billing period"), f"{day(invoice.period_start)} {DASH} {day(invoice.period_end)}"],
        [_("Currency"), invoice.currency],
    ]
    if invoice.amends_id:
        meta.append([_("Corrects invoice"), invoice.amends_id])
    head = Table(
        [
            [Paragraph(_address(seller), st["base"]), Paragraph(escape(title), st["title"])],
            [Paragraph(_address(buyer), st["base"]), Table(meta, style=META)],
        ],
        colWidths=[100 * mm, 74 * mm],
        style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)],
    )
    story: list[Any] = [head]
    if credit and invoice.reason:
        story.append(Paragraph(escape(_("Reason: %(reason)s") % {"reason": invoice.reason}), st["base"]))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(escape(_("Line items")), st["head"]))
    story.extend(_line_tables(iter_lines(principal=principal, invoice=invoice), invoice.currency, st))
    totals = [
        [_("Subtotal"), money(invoice.subtotal, invoice.currency)],
        *_tax_rows(principal, invoice),
        [_("Total"), money(invoice.total, invoice.currency)],
    ]
    table = Table(totals, colWidths=[120 * mm, 54 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("FONT", (0, -1), (-1, -1), BOLD, 10),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
            ]
        )
    )
    end: list[Any] = [Spacer(1, 4 * mm), table]
    note = tax_note(invoice.tax_note, str(seller.get("country") or ""))
    if note:
        end += [Spacer(1, 3 * mm), Paragraph(escape(note), st["small"])]
    story.append(KeepTogether(end))

    footer = f"{seller.get('name') or ''} · {title} {invoice.number}"

    class Footed(_NumberedCanvas):
        pass

    Footed.footer = footer
    doc.build(story, canvasmaker=Footed)
    return out.getvalue()


def pdf_response(principal: Principal, invoice: Invoice, language: str | None = None) -> HttpResponse:
    response = HttpResponse(render(principal, invoice, language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response
