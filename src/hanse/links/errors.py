"""Refusals of the tenant link with a peer instance (codes 95xx)."""

from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

PEER_UNKNOWN = ErrorSpec(9501, 404, _("This instance has no peer %(peer)s."))
PEER_NOT_CONFIGURED = ErrorSpec(
    9502,
    503,
    _("The peer %(peer)s is not set up as an OpenID Connect client yet (client_id and its secret)."),
)
PEER_UNREACHABLE = ErrorSpec(
    9503, 502, _("The instance %(peer)s did not answer as expected; try again later.")
)
STATE_INVALID = ErrorSpec(
    9504, 400, _("This sign-in answer does not belong to a sign-in started here, or it was used already.")
)
PROVIDER_ERROR = ErrorSpec(9505, 400, _("The instance %(peer)s refused the sign-in: %(error)s."))
ID_TOKEN_INVALID = ErrorSpec(
    9506, 400, _("The identity the instance %(peer)s sent could not be trusted: %(reason)s.")
)
SEALED_INVALID = ErrorSpec(9507, 500, _("A stored token could not be decrypted with this instance's key."))
NOT_GLOBAL_ADMIN = ErrorSpec(
    9510, 409, _("You signed in at %(peer)s as %(upn)s, who is not a Global admin of %(domain)s.")
)
NOT_EUROPEAN = ErrorSpec(
    9511, 409, _("The tenant %(domain)s is in the region %(region)s, which is not in Europe.")
)
NOT_ACTIVE = ErrorSpec(
    9512, 409, _("The tenant %(domain)s has no active CSP account at %(peer)s (it is %(state)s).")
)
ALREADY_LINKED = ErrorSpec(9513, 409, _("This account is linked already, to %(domain)s at %(peer)s."))
NOT_LINKED = ErrorSpec(9514, 404, _("This account is not linked to any other instance."))
LINK_NOT_OFFERED = ErrorSpec(
    9515, 403, _("This instance takes new business itself: there is nothing to link to another instance.")
)
NOT_A_PARTNER_TENANT = ErrorSpec(
    9516, 409, _("You signed in at %(peer)s to %(domain)s, which is not a partner's tenant.")
)
LINK_IN_USE = ErrorSpec(
    9517,
    409,
    _("%(count)s customer(s) have started to move over this link: roll their moves back before unlinking."),
)
