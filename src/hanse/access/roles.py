"""Roles, actions and the permission matrix (docs/roles.md), as data in one place.

A view or endpoint declares the action it performs; ``MATRIX`` alone decides who may.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    GLOBAL_ADMIN = "global_admin"
    USER_MANAGEMENT_ADMIN = "user_management_admin"
    ADMIN_AGENT = "admin_agent"
    SALES_AGENT = "sales_agent"
    BILLING_ADMIN = "billing_admin"
    HELPDESK_AGENT = "helpdesk_agent"
    CUSTOMER_GLOBAL_ADMIN = "customer_global_admin"
    OPERATOR = "operator"
    TRUSTEE_OFFICER = "trustee_officer"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def is_partner_role(self) -> bool:
        return self in PARTNER_ROLES


ROLE_LABELS = {
    Role.GLOBAL_ADMIN: _("Global admin"),
    Role.USER_MANAGEMENT_ADMIN: _("User management admin"),
    Role.ADMIN_AGENT: _("Admin agent"),
    Role.SALES_AGENT: _("Sales agent"),
    Role.BILLING_ADMIN: _("Billing admin"),
    Role.HELPDESK_AGENT: _("Helpdesk agent"),
    Role.CUSTOMER_GLOBAL_ADMIN: _("Customer global admin"),
    Role.OPERATOR: _("Operator"),
    Role.TRUSTEE_OFFICER: _("Trustee officer"),
}

PARTNER_ROLES = frozenset(
    {
        Role.GLOBAL_ADMIN,
        Role.USER_MANAGEMENT_ADMIN,
        Role.ADMIN_AGENT,
        Role.SALES_AGENT,
        Role.BILLING_ADMIN,
        Role.HELPDESK_AGENT,
    }
)


class Action(StrEnum):
    PARTNER_VIEW = "partner.view"
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"
    SUBSCRIPTION_MANAGE = "subscription.manage"
    CUSTOMER_USER_MANAGE = "customer_user.manage"
    PARTNER_USER_MANAGE = "partner_user.manage"
    BILLING_MANAGE = "billing.manage"
    PRICING_VIEW = "pricing.view"
    AGREEMENT_MANAGE = "agreement.manage"
    TENANT_LINK_MANAGE = "tenant_link.manage"
    MIGRATION_MANAGE = "migration.manage"
    MIGRATION_IMPORT = "migration.import"  # a peer instance's, never a role's
    AUDIT_VIEW = "audit.view"
    # Principals outside partners.
    OWN_TENANT_ADMIN = "own_tenant.admin"
    OPERATOR_ACCESS_DECIDE = "operator_access.decide"
    OPERATOR_ACCESS_REQUEST = "operator_access.request"
    INSTANCE_OPERATE = "instance.operate"


A = Action

_PARTNER_BASE = frozenset({A.PARTNER_VIEW})

MATRIX: dict[Role, frozenset[Action]] = {
    Role.GLOBAL_ADMIN: _PARTNER_BASE
    | {
        A.CUSTOMER_VIEW,
        A.CUSTOMER_CREATE,
        A.CUSTOMER_EDIT,
        A.SUBSCRIPTION_MANAGE,
        A.CUSTOMER_USER_MANAGE,
        A.PARTNER_USER_MANAGE,
        A.BILLING_MANAGE,
        A.PRICING_VIEW,
        A.AGREEMENT_MANAGE,
        A.TENANT_LINK_MANAGE,
        A.MIGRATION_MANAGE,
        A.AUDIT_VIEW,
    },
    # Partner Center's User management admin manages the partner's own users, not its customers'
    # (that is customer management: the Admin agent's), so it never touches what it cannot see.
    Role.USER_MANAGEMENT_ADMIN: _PARTNER_BASE | {A.PARTNER_USER_MANAGE},
    Role.ADMIN_AGENT: _PARTNER_BASE
    | {
        A.CUSTOMER_VIEW,
        A.CUSTOMER_CREATE,
        A.CUSTOMER_EDIT,
        A.SUBSCRIPTION_MANAGE,
        A.CUSTOMER_USER_MANAGE,
        A.PRICING_VIEW,
        A.AUDIT_VIEW,
    },
    Role.SALES_AGENT: _PARTNER_BASE
    | {A.CUSTOMER_VIEW, A.CUSTOMER_CREATE, A.CUSTOMER_EDIT, A.SUBSCRIPTION_MANAGE, A.PRICING_VIEW},
    Role.BILLING_ADMIN: _PARTNER_BASE | {A.BILLING_MANAGE, A.PRICING_VIEW},
    # Partner Center's Helpdesk agent searches customers and handles their service requests: it
    # reads, and changes neither profiles nor billing.
    Role.HELPDESK_AGENT: _PARTNER_BASE | {A.CUSTOMER_VIEW},
    Role.CUSTOMER_GLOBAL_ADMIN: frozenset(
        {A.OWN_TENANT_ADMIN, A.CUSTOMER_USER_MANAGE, A.OPERATOR_ACCESS_DECIDE}
    ),
    Role.OPERATOR: frozenset({A.INSTANCE_OPERATE, A.OPERATOR_ACCESS_REQUEST}),
    Role.TRUSTEE_OFFICER: frozenset({A.OPERATOR_ACCESS_DECIDE, A.AUDIT_VIEW}),
}


def allowed(roles: frozenset[Role], action: Action) -> bool:
    return any(action in MATRIX[r] for r in roles)
