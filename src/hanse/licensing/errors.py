from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

# Partner Center's own code and status for "not enough licences" (and Graph's 400).
OUT_OF_SEATS = ErrorSpec(
    60012,
    400,
    _("No seat of %(sku)s is free: %(prepaid)s bought, all assigned. Buy more seats or free one first."),
)
USAGE_LOCATION_REQUIRED = ErrorSpec(8002, 400, _("Set the user's usage location before assigning a licence."))
SKU_NOT_SUBSCRIBED = ErrorSpec(8003, 400, _("The customer has no active subscription to %(sku)s."))
LICENCE_NOT_ASSIGNED = ErrorSpec(8004, 400, _("The user has no licence for %(sku)s to remove."))
SEATS_IN_USE = ErrorSpec(
    8006,
    409,
    _(
        "%(consumed)s seats of %(sku)s are assigned; the customer would keep only %(remaining)s. "
        "Remove licences from users first, then reduce or suspend."
    ),
)
LICENCE_BOTH_WAYS = ErrorSpec(8007, 400, _("%(sku)s is both added and removed in one request."))
