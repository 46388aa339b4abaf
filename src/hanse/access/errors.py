from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

NOT_PERMITTED = ErrorSpec(3001, 403, _("Your roles do not permit this action (%(action)s)."))
NOT_SIGNED_IN = ErrorSpec(3002, 401, _("Sign in first: this request carries no valid credentials."))
TENANT_SUSPENDED = ErrorSpec(3003, 403, _("Your organisation's tenant is suspended."))
