from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

PARTNER_NOT_FOUND = ErrorSpec(5001, 404, _("No CSP account was found for your organisation."))
ACCOUNT_NOT_ACTIVE = ErrorSpec(
    5002,
    403,
    _("Your CSP account is %(state)s. Only an active account can create customers or place orders."),
)
ENROLMENT_CLOSED = ErrorSpec(
    5003, 403, _("This instance accepts no new partners. Enrol in a European region instead: %(instead)s.")
)
REGION_NOT_EUROPEAN = ErrorSpec(
    5004, 400, _("The region %(region)s is not a European region of this instance.")
)
AGREEMENT_NOT_SIGNED = ErrorSpec(
    5005,
    409,
    _("The partner agreement (version %(version)s) must be signed before the account can be activated."),
)
STATE_CHANGE_INVALID = ErrorSpec(5006, 409, _("An account that is %(state)s cannot be %(change)s."))
AGREEMENT_ALREADY_SIGNED = ErrorSpec(
    5007, 409, _("Version %(version)s of the partner agreement is already signed.")
)
SIGNER_INVALID = ErrorSpec(5008, 400, _("Give the signer's full name and a valid email address."))
SUSPENSION_REASON_REQUIRED = ErrorSpec(
    5010, 400, _("Say why the account is suspended, in 10 to 1000 characters: the partner reads it.")
)
ENROLMENT_THROTTLED = ErrorSpec(
    5009, 429, _("Too many enrolments from your address. Try again in %(minutes)s minutes.")
)
