"""The trustee gate's refusals (codes 90xx)."""

from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

REQUEST_NOT_FOUND = ErrorSpec(9001, 404, _("No such access request."))
NOT_PENDING = ErrorSpec(9002, 409, _("This request is %(state)s: only a pending request is decided."))
NOT_ACTIVE = ErrorSpec(9003, 409, _("This grant is %(state)s: only an active grant is ended."))
OWN_REQUEST = ErrorSpec(9004, 403, _("Four eyes: nobody decides on a request they filed."))
SAME_TENANT = ErrorSpec(
    9005, 403, _("Four eyes: an approver from the requesting operator's own organisation does not decide.")
)
NOT_AN_APPROVER = ErrorSpec(
    9006, 403, _("The instance's policy (%(policy)s) does not let you decide on this request now.")
)
ALREADY_DECIDED = ErrorSpec(9007, 409, _("Your party has already decided on this request."))
HOURS_OUT_OF_RANGE = ErrorSpec(9008, 400, _("A grant lasts from 1 to %(max)s hours."))
KINDS_REQUIRED = ErrorSpec(9009, 400, _("Name at least one kind of data (%(kinds)s)."))
REASON_UNKNOWN = ErrorSpec(9010, 400, _("Unknown reason %(reason)s; use one of %(reasons)s."))
REASON_DENIED = ErrorSpec(9011, 403, _("This instance refuses access requests for the reason %(reason)s."))
JUSTIFICATION_REQUIRED = ErrorSpec(9012, 400, _("Say why, in 10 to 2000 characters."))
CUSTOMER_NOT_FOUND = ErrorSpec(9013, 404, _("No such customer on this instance."))
BREAK_GLASS_OFF = ErrorSpec(9014, 403, _("Break-glass access is turned off on this instance."))
BREAK_GLASS_HOURS = ErrorSpec(9015, 400, _("A break-glass grant lasts at most one hour."))
NOT_BREAK_GLASS = ErrorSpec(9016, 409, _("Only a break-glass grant is reviewed after the fact."))
ALREADY_REVIEWED = ErrorSpec(9017, 409, _("This break-glass grant was already reviewed."))
NOT_YOURS = ErrorSpec(9018, 403, _("Only the operator who filed it completes a grant."))
CASE_REF_INVALID = ErrorSpec(9019, 400, _("A support case reference has at most 64 characters."))
