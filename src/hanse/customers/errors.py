from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

CUSTOMER_NOT_FOUND = ErrorSpec(6001, 404, _("The customer was not found."))
NEW_CUSTOMERS_CLOSED = ErrorSpec(
    6002,
    403,
    _(
        "This instance accepts no new customers. Existing customers keep their services. "
        "Create new customers in a European region instead: %(instead)s."
    ),
)
DOMAIN_TAKEN = ErrorSpec(6003, 409, _("The domain %(domain)s is already used in this instance."))
ETAG_MISMATCH = ErrorSpec(
    6004,
    412,
    _("Someone changed the customer since you read it. Read it again to see the change, then make yours."),
)
FIELD_INVALID = ErrorSpec(6005, 400, _("%(field)s is not valid: %(reason)s"))
SEED_PARTNER_UNKNOWN = ErrorSpec(
    6006, 404, _("No partner account has the domain %(domain)s. Seed customers for an existing partner.")
)
