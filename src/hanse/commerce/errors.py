from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

ORDER_EMPTY = ErrorSpec(7001, 400, _("An order needs at least one line item (at most %(max)s)."))
QUANTITY_OUT_OF_RANGE = ErrorSpec(
    7002, 400, _("%(offer)s (%(id)s) is sold from %(min)s to %(max)s seats; %(quantity)s is outside that.")
)
SUBSCRIPTION_NOT_FOUND = ErrorSpec(7003, 404, _("The subscription was not found."))
SUBSCRIPTION_SUSPENDED = ErrorSpec(
    7004, 409, _("The subscription is suspended: reactivate it (status active) before changing its quantity.")
)
SUBSCRIPTION_CANCELLED = ErrorSpec(
    7005, 409, _("The subscription is cancelled and can no longer be changed.")
)
ETAG_MISMATCH = ErrorSpec(
    7006,
    412,
    _(
        "Someone changed the subscription since you read it. "
        "Read it again to see the change, then make yours."
    ),
)
STATUS_INVALID = ErrorSpec(7007, 400, _("status must be active, suspended or deleted; %(status)s was given."))
ORDER_NOT_FOUND = ErrorSpec(7008, 404, _("The order was not found."))
DUPLICATE_LINE = ErrorSpec(7009, 400, _("Line item numbers must be unique; %(number)s appears twice."))
TRIAL_ALREADY_USED = ErrorSpec(7010, 409, _("The customer already has a trial of %(offer)s."))
FRIENDLY_NAME_EMPTY = ErrorSpec(7011, 400, _("A friendly name cannot be empty."))
READ_ONLY_CHANGED = ErrorSpec(
    7012, 409, _("%(field)s cannot be changed: send the value you read, or leave it out.")
)
CUSTOMER_MISMATCH = ErrorSpec(
    7013, 400, _("referenceCustomerId must be the customer in the request's path, or left out.")
)
