"""Hanse's audit actions as Partner Center names them: its ``operationType`` and ``resourceType``.

Records keep Hanse's own action (``user.create``), which the hash chain covers; these names are
a reading of it, so that a partner's scripts written against Partner Center's audit records
(``create_customer_user`` on a ``CustomerUser``) find the same events here.
"""

from __future__ import annotations

from django.db.models import Q

# Actions on users: the same verb whether the user is a customer's or the partner's own.
_USER_OPERATIONS = {
    "user.create": "create_{}_user",
    "user.update": "update_{}_user",
    "user.delete": "delete_{}_user",
    "user.restore": "restore_{}_user",
    "user.purge": "purge_{}_user",
    "user.reset_password": "reset_{}_user_password",
    "user.change_password": "change_{}_user_password",
    "user.activate": "enable_{}_user",
    "user.deactivate": "disable_{}_user",
    "user.set_roles": "update_{}_user_roles",
    "user.mfa_enrol": "enrol_{}_user_mfa",
}

_OPERATIONS = {
    "customer.create": ("add_customer", "Customer"),
    "customer.import": ("import_customer", "Customer"),
    "customer.update_billing": ("update_customer_billing_profile", "Customer"),
    "order.create": ("create_order", "Order"),
    "subscription.create": ("create_subscription", "Subscription"),
    "subscription.update": ("update_subscription", "Subscription"),
    "subscription.suspend": ("suspend_subscription", "Subscription"),
    "subscription.reactivate": ("reactivate_subscription", "Subscription"),
    "subscription.cancel": ("cancel_subscription", "Subscription"),
    "licence.update": ("update_customer_user_licenses", "License"),
    "licence.release": ("update_customer_user_licenses", "License"),
    "offer.add": ("add_offer", "Offer"),
    "partner.create": ("create_partner", "Partner"),
    "partner.agreement_sign": ("accept_partner_agreement", "Partner"),
    "tenant.create": ("create_tenant", "Tenant"),
    "tenant.set_state": ("update_tenant_state", "Tenant"),
    "token.issue": ("create_api_token", "ApiToken"),
    "token.revoke": ("revoke_api_token", "ApiToken"),
}


def operation(action: str, *, of_customer: bool) -> tuple[str, str]:
    """``(operationType, resourceType)`` of a record; ``of_customer``: the record is about one
    of the partner's customers (a user of its tenant is then a ``CustomerUser``)."""
    if action in _USER_OPERATIONS:
        who = "customer" if of_customer else "partner"
        return _USER_OPERATIONS[action].format(who), "CustomerUser" if of_customer else "PartnerUser"
    if action in _OPERATIONS:
        return _OPERATIONS[action]
    # Partner state changes (partner.suspend, …) and any action added later: Hanse's own name.
    noun, _, verb = action.partition(".")
    return f"{verb}_{noun}" if verb else action, noun.capitalize()


RESOURCE_TYPES = sorted(
    {"CustomerUser", "PartnerUser", "Partner"} | {resource for _, resource in _OPERATIONS.values()}
)


def resource_condition(resource_type: str, *, customer_field: str) -> Q | None:
    """The records whose ``resourceType`` is ``resource_type`` (any case); None: no such type.
    ``customer_field``: the annotation that holds the record's customer, null for none."""
    wanted = {name.lower(): name for name in RESOURCE_TYPES}.get(resource_type.lower())
    if wanted is None:
        return None
    if wanted in ("CustomerUser", "PartnerUser"):
        return Q(action__in=list(_USER_OPERATIONS)) & Q(
            **{f"{customer_field}__isnull": wanted == "PartnerUser"}
        )
    if wanted == "Partner":
        return Q(action__startswith="partner.")
    return Q(action__in=[a for a, (_, resource) in _OPERATIONS.items() if resource == wanted])
