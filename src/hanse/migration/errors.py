"""Refusals and failures of the migration (codes 96xx). A blocker's message says what to do."""

from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

# The freeze, at the source.
FROZEN = ErrorSpec(
    9601,
    409,
    _(
        "%(customer)s is moving to %(peer)s: its orders, subscriptions, users and licences cannot "
        "change until the move is cut over or rolled back. Reading goes on."
    ),
)
MIGRATED = ErrorSpec(
    9602,
    409,
    _("%(customer)s has moved to %(peer)s and is read-only here; manage it at %(url)s."),
)

# At the target, while the customer arrives: only its move writes it, so that what was verified
# is what goes live.
ARRIVING = ErrorSpec(
    9603,
    409,
    _(
        "%(customer)s is arriving from %(peer)s: it cannot change here until its move is cut over. "
        "Reading goes on."
    ),
)

# Blockers of the plan, one per customer.
NO_CONSENT = ErrorSpec(
    9610,
    409,
    _(
        "%(customer)s has not consented to leave the data boundary: "
        "its Global admin consents in the admin center."
    ),
)
NO_CONSENT_ATTESTED = ErrorSpec(
    9611,
    409,
    _(
        "%(customer)s has not consented to leave the data boundary: its Global admin consents in the "
        "admin center, or record its written consent with a reference."
    ),
)
UNMAPPED_OFFER = ErrorSpec(
    9612,
    409,
    _("The offer %(offer)s has no counterpart at %(peer)s: add it to the offer mapping's override file."),
)
TRIAL_SUBSCRIPTION = ErrorSpec(
    9613,
    409,
    _("The trial subscription %(subscription)s cannot move: convert it to a paid one or cancel it."),
)
SUSPENDED_SUBSCRIPTION = ErrorSpec(
    9614,
    409,
    _("The subscription %(subscription)s is suspended: reactivate or cancel it first."),
)
UPN_TAKEN = ErrorSpec(
    9615,
    409,
    _("The user name %(upn)s is already taken at %(peer)s: rename the user here, or free the name there."),
)
ALREADY_MIGRATING = ErrorSpec(
    9616, 409, _("%(customer)s is already moving (%(state)s): follow it on the dashboard.")
)
ALREADY_MIGRATED = ErrorSpec(9617, 409, _("%(customer)s has already moved to %(peer)s."))
OPERATOR_GRANT = ErrorSpec(
    9618,
    409,
    _("An operator holds an active grant on %(customer)s until %(until)s: wait for it to end, or revoke it."),
)
DOMAIN_TAKEN = ErrorSpec(
    9619,
    409,
    _("The domain %(domain)s is already a tenant at %(peer)s: the customer cannot keep its tenant there."),
)
MAPPING_TARGET_MISSING = ErrorSpec(
    9620,
    409,
    _("The offer mapping sends %(offer)s to %(target)s, which %(peer)s does not sell."),
)

# Running it.
NOT_LINKED = ErrorSpec(9630, 409, _("Link your account to a CSP account in a European instance first."))
NOTHING_TO_MOVE = ErrorSpec(9631, 409, _("No customer can move now: clear the blockers the plan shows."))
NOT_MIGRATING = ErrorSpec(9632, 404, _("%(customer)s has no migration."))
NOT_ROLLBACKABLE = ErrorSpec(
    9633, 409, _("The move of %(customer)s is %(state)s: only a move not yet cut over can be rolled back.")
)
NOT_RETRYABLE = ErrorSpec(
    9634, 409, _("The move of %(customer)s is %(state)s: only a failed move is retried.")
)
CHECKSUM_MISMATCH = ErrorSpec(
    9635,
    409,
    _("What %(peer)s holds differs from this instance for %(count)s object(s), the first %(first)s."),
)
PEER_REFUSED = ErrorSpec(9636, 502, _("%(peer)s refused the move: %(reason)s"))
PEER_UNAVAILABLE = ErrorSpec(
    9637, 503, _("%(peer)s could not be reached %(times)s times in a row: retry when it is back.")
)
CONSENT_NOT_ALLOWED = ErrorSpec(
    9638, 403, _("This instance accepts only the customer's own consent, given by its Global admin.")
)
CONSENT_REFERENCE_REQUIRED = ErrorSpec(
    9639, 400, _("Give the reference of the customer's written consent (1 to 200 characters).")
)
CONSENT_LOCKED = ErrorSpec(
    9640, 409, _("%(customer)s has moved already: its consent can no longer be withdrawn.")
)
MAP_FILE_INVALID = ErrorSpec(9641, 500, _("The offer mapping file %(file)s is not valid: %(reason)s"))

# At the target, answering a peer.
IMPORT_INVALID = ErrorSpec(9650, 400, _("This batch is not valid: %(reason)s"))
IMPORT_STALE = ErrorSpec(
    9651, 409, _("This batch belongs to attempt %(attempt)s, which was rolled back or superseded.")
)
IMPORT_BATCH_REUSED = ErrorSpec(9652, 409, _("The batch %(batch)s was applied already with other items."))
IMPORT_NOT_FOUND = ErrorSpec(9653, 404, _("Nothing is being imported for the customer %(customer)s."))
IMPORT_CUT_OVER = ErrorSpec(
    9654, 409, _("The customer %(customer)s is already served here: its import cannot be removed.")
)
IMPORT_CLOSED = ErrorSpec(9655, 403, _("This instance takes no customers from other instances."))
IMPORT_UPN_TAKEN = ErrorSpec(9656, 409, _("The user name %(upn)s is already taken here."))
IMPORT_DOMAIN_TAKEN = ErrorSpec(9657, 409, _("The domain %(domain)s is already a tenant here."))
CUTOVER_CHECKSUM = ErrorSpec(
    9659, 409, _("What is here no longer digests to %(checksum)s: verify the move again before its cutover.")
)
IMPORT_OFFER_UNKNOWN = ErrorSpec(9658, 409, _("This instance does not sell the offer %(offer)s."))
