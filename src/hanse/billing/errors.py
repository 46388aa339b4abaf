from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

PERIOD_INVALID = ErrorSpec(7601, 400, _("A billing period is a month written as YYYY-MM, such as 2026-11."))
PERIOD_NOT_OVER = ErrorSpec(
    7602, 409, _("The period %(period)s is not over yet: it can be billed from %(day)s on.")
)
INVOICE_NOT_FOUND = ErrorSpec(7603, 404, _("The invoice was not found."))
PARTNER_NOT_FOUND = ErrorSpec(7604, 404, _("No partner has the domain %(domain)s."))
NOTHING_TO_CREDIT = ErrorSpec(
    7605, 409, _("Every line you named on invoice %(number)s has been credited already, or it has none.")
)
NOT_AN_INVOICE = ErrorSpec(7606, 409, _("%(number)s is a credit note: only an invoice can be credited."))
LINE_NOT_ON_INVOICE = ErrorSpec(7607, 400, _("Invoice %(number)s has no line %(line)s."))
CREDIT_REASON_REQUIRED = ErrorSpec(7608, 400, _("Say why the invoice is credited (at most 1000 characters)."))
BILLING_ADDRESS_INVALID = ErrorSpec(
    7609,
    400,
    _("Give the billing address in at most 6 lines of 100 characters and a VAT number of at most 20."),
)
UNBILLED_PERIOD_INVALID = ErrorSpec(7610, 400, _("period is current or previous."))
