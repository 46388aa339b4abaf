from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

COUNTRY_NOT_A_MARKET = ErrorSpec(
    6101, 400, _("%(country)s is not one of this instance's markets. Sell to customers in: %(markets)s.")
)
OFFER_NOT_FOUND = ErrorSpec(6102, 404, _("The offer %(offer)s was not found in this instance's catalogue."))
NEW_SERVICES_CLOSED = ErrorSpec(
    6103,
    403,
    _(
        "This instance deploys no new services: the offer %(offer)s cannot be added. "
        "Existing offers stay available."
    ),
)
OFFER_INVALID = ErrorSpec(6104, 400, _("The offer %(offer)s is not valid: %(reason)s"))
OFFER_EXISTS = ErrorSpec(6105, 409, _("The offer %(offer)s already exists."))
CATALOG_FILE_INVALID = ErrorSpec(6106, 400, _("The catalogue file is not valid: %(reason)s"))
OFFER_NOT_SOLD_IN_MARKET = ErrorSpec(
    6107, 400, _("The offer %(offer)s has no price in %(currency)s for %(country)s.")
)
