from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

TENANT_DOMAIN_TAKEN = ErrorSpec(2001, 409, _("The domain %(domain)s is already used by another tenant."))
TENANT_NOT_FOUND = ErrorSpec(2002, 404, _("No tenant with the domain %(domain)s exists in this instance."))
UPN_TAKEN = ErrorSpec(2003, 409, _("The user name %(upn)s is already taken."))
UPN_INVALID = ErrorSpec(2004, 400, _("%(upn)s is not a valid user name: it must look like name@domain."))
UPN_OUTSIDE_TENANT = ErrorSpec(2005, 400, _("The user name %(upn)s must end with @%(domain)s."))
USER_NOT_FOUND = ErrorSpec(2006, 404, _("No user %(upn)s exists in this instance."))
PASSWORD_WEAK = ErrorSpec(2007, 400, _("The password is not strong enough: %(reasons)s"))
TOKEN_TTL_INVALID = ErrorSpec(2008, 400, _("A token's lifetime must be between %(min)s and %(max)s seconds."))
ROLE_UNKNOWN = ErrorSpec(2009, 400, _("Unknown role %(role)s. Known roles: %(roles)s."))
ROLE_WRONG_TENANT = ErrorSpec(
    2010, 400, _("The role %(role)s cannot be held by a user of a %(kind)s tenant.")
)
DOMAIN_INVALID = ErrorSpec(2011, 400, _("%(domain)s is not a valid domain name."))
REGION_UNKNOWN = ErrorSpec(2012, 400, _("Unknown region %(region)s. This instance's regions: %(regions)s."))
PASSWORD_WRONG = ErrorSpec(2013, 400, _("The current password is not correct."))
MFA_CODE_WRONG = ErrorSpec(
    2014, 400, _("That code is not valid. Check your authenticator app's clock and try again.")
)
TOKEN_NOT_FOUND = ErrorSpec(2015, 404, _("No such API token."))
TENANT_STATE_INVALID = ErrorSpec(2016, 400, _("%(state)s is not a tenant state; use active or suspended."))
USAGE_LOCATION_INVALID = ErrorSpec(
    2018, 400, _("%(location)s is not a usage location of this instance. Use one of: %(markets)s.")
)
CUSTOMER_USER_NOT_FOUND = ErrorSpec(2019, 404, _("The user was not found."))
USER_NOT_DELETED = ErrorSpec(2020, 409, _("The user is not deleted, so there is nothing to restore."))
RESTORE_EXPIRED = ErrorSpec(
    2021, 409, _("The user was deleted more than %(days)s days ago and can no longer be restored.")
)
CSV_INVALID = ErrorSpec(2022, 400, _("The CSV file cannot be imported: %(reason)s"))
LAST_GLOBAL_ADMIN = ErrorSpec(
    2023, 409, _("This is the last active Global admin of the partner: make someone else Global admin first.")
)
TASK_ROUTED = ErrorSpec(
    2024,
    403,
    _("In this instance, %(task)s is done in the admin center, not in the partner center. Use %(endpoint)s."),
)
DISPLAY_NAME_BLANK = ErrorSpec(2025, 400, _("The display name cannot be blank."))
USER_STATE_INVALID = ErrorSpec(2026, 400, _("%(state)s is not a user state; use active or inactive."))
USER_DELETED = ErrorSpec(
    2027, 409, _("The user is deleted: restore it first (state active), then change it.")
)
ROLE_NOT_HELD = ErrorSpec(
    2028, 403, _("You can only grant or take away roles you hold yourself; you do not hold %(role)s.")
)
OWN_ROLES = ErrorSpec(
    2029, 403, _("You cannot give yourself a role that lets you do more: ask another administrator.")
)
GLOBAL_ADMIN_PROTECTED = ErrorSpec(
    2030, 403, _("Only a Global admin can change the roles of a Global admin or deactivate one.")
)
IMPORT_NOT_FOUND = ErrorSpec(2031, 404, _("The import was not found."))
IMPORT_REQUESTER_GONE = ErrorSpec(
    2032, 404, _("The user who started the import can no longer act: nobody was created for this row.")
)
IMPERSONATION_REFUSED = ErrorSpec(
    2033,
    403,
    _(
        "No token for %(upn)s: on a trustee instance the operator does not act as a customer's user; "
        "request access through the data trustee instead."
    ),
)
OAUTH_CLIENT_INVALID = ErrorSpec(2034, 400, _("The OAuth client is not valid: %(reason)s."))
OAUTH_CLIENT_EXISTS = ErrorSpec(2035, 409, _("An OAuth client named %(name)s exists already."))
