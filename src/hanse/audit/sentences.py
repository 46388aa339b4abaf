"""An audit record in its reader's words: who did what to which object, for which customer.

The record keeps Hanse's own action (``subscription.update``) and snapshots, which the hash chain
covers; a sentence is a reading of them, in the reader's language, with links to the objects the
reader may open. Names come from the record's own snapshot first (the name the object had then),
and from the directory and the catalogue for what a snapshot does not carry (a user whose
licences changed, an offer id). A reader who needs the exact record has it on its own page.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hanse.access.principal import DataKind, Principal
from hanse.access.roles import Action, Role
from hanse.audit.models import AuditRecord
from hanse.catalog.models import Offer
from hanse.directory.models import User
from hanse.trustee.models import DATA_KIND_LABELS
from hanse.trustee.selectors import access_requests

# The action filter's choices: an area (its prefix, ending in a dot) and the actions in it.
AREAS: list[tuple[str, Any, list[tuple[str, Any]]]] = [
    (
        "customer.",
        gettext_lazy("Customers"),
        [
            ("customer.create", gettext_lazy("Customer added")),
            ("customer.import", gettext_lazy("Customer imported")),
            ("customer.update_billing", gettext_lazy("Billing profile changed")),
        ],
    ),
    ("order.", gettext_lazy("Orders"), [("order.create", gettext_lazy("Order placed"))]),
    (
        "subscription.",
        gettext_lazy("Subscriptions"),
        [
            ("subscription.create", gettext_lazy("Subscription bought")),
            ("subscription.update", gettext_lazy("Subscription changed")),
            ("subscription.suspend", gettext_lazy("Subscription suspended")),
            ("subscription.reactivate", gettext_lazy("Subscription reactivated")),
            ("subscription.cancel", gettext_lazy("Subscription cancelled")),
        ],
    ),
    (
        "licence.",
        gettext_lazy("Licences"),
        [
            ("licence.update", gettext_lazy("Licences changed")),
            ("licence.release", gettext_lazy("Licences released")),
        ],
    ),
    (
        "user.",
        gettext_lazy("Users"),
        [
            ("user.create", gettext_lazy("User created")),
            ("user.update", gettext_lazy("User changed")),
            ("user.set_roles", gettext_lazy("Roles changed")),
            ("user.reset_password", gettext_lazy("Password reset")),
            ("user.change_password", gettext_lazy("Password changed")),
            ("user.mfa_enrol", gettext_lazy("Two-step verification set up")),
            ("user.deactivate", gettext_lazy("Sign-in blocked")),
            ("user.activate", gettext_lazy("Sign-in allowed")),
            ("user.delete", gettext_lazy("User deleted")),
            ("user.restore", gettext_lazy("User restored")),
            ("user.purge", gettext_lazy("User removed for good")),
        ],
    ),
    (
        "partner.",
        gettext_lazy("Partner account"),
        [
            ("partner.create", gettext_lazy("Partner account created")),
            ("partner.agreement_sign", gettext_lazy("Partner agreement accepted")),
            ("partner.activated", gettext_lazy("Partner account activated")),
            ("partner.suspended", gettext_lazy("Partner account suspended")),
            ("partner.reactivated", gettext_lazy("Partner account reactivated")),
        ],
    ),
    (
        "access.",
        gettext_lazy("Operator access"),
        [
            ("access.request", gettext_lazy("Access requested")),
            ("access.approve", gettext_lazy("Access approved")),
            ("access.deny", gettext_lazy("Access denied")),
            ("access.revoke", gettext_lazy("Access revoked")),
            ("access.complete", gettext_lazy("Access ended")),
            ("access.review", gettext_lazy("Access reviewed")),
            ("access.read", gettext_lazy("Data read under an access")),
        ],
    ),
    (
        "migration.",
        gettext_lazy("Moves to another instance"),
        [
            ("migration.consent", gettext_lazy("Consent to move given")),
            ("migration.consent_withdraw", gettext_lazy("Consent to move withdrawn")),
            ("migration.start", gettext_lazy("Move started")),
            ("migration.freeze", gettext_lazy("Customer frozen for its move")),
            ("migration.export", gettext_lazy("Data sent")),
            ("migration.verify", gettext_lazy("Copy verified")),
            ("migration.cutover", gettext_lazy("Move completed")),
            ("migration.fail", gettext_lazy("Move failed")),
            ("migration.retry", gettext_lazy("Move retried")),
            ("migration.rollback", gettext_lazy("Rollback asked")),
            ("migration.rolled_back", gettext_lazy("Move rolled back")),
            ("migration.import", gettext_lazy("Data received")),
            ("migration.import_remove", gettext_lazy("Data received removed")),
            ("migration.purge", gettext_lazy("Data removed after the move")),
        ],
    ),
    (
        "billing.",
        gettext_lazy("Billing"),
        [
            ("billing.invoice_issue", gettext_lazy("Invoice issued")),
            ("billing.invoice_credit", gettext_lazy("Credit note issued")),
            ("billing.profile", gettext_lazy("Partner billing profile changed")),
        ],
    ),
    (
        "tenant_link.",
        gettext_lazy("Link to another instance"),
        [
            ("tenant_link.create", gettext_lazy("Account linked")),
            ("tenant_link.remove", gettext_lazy("Link removed")),
        ],
    ),
    (
        "token.",
        gettext_lazy("API tokens"),
        [
            ("token.issue", gettext_lazy("API token issued")),
            ("token.revoke", gettext_lazy("API token revoked")),
            ("token.issue_refused", gettext_lazy("API token refused")),
        ],
    ),
    (
        "tenant.",
        gettext_lazy("Tenants"),
        [
            ("tenant.create", gettext_lazy("Tenant created")),
            ("tenant.set_state", gettext_lazy("Tenant state changed")),
        ],
    ),
    (
        "offer.",
        gettext_lazy("Catalogue"),
        [("offer.add", gettext_lazy("Offer added"))],
    ),
    (
        "oauth.",
        gettext_lazy("Applications"),
        [("oauth.client_add", gettext_lazy("Application registered"))],
    ),
    ("audit.", gettext_lazy("Audit log"), [("audit.cosigned", gettext_lazy("Log co-signed"))]),
]
LABELS: dict[str, Any] = {action: label for _p, _a, actions in AREAS for action, label in actions}


# The sentences that need no more than the actor, the object and the customer (and the peer,
# requester or reason a snapshot names); the others are built by their own method below.
PLAIN: dict[str, Any] = {
    "customer.create": gettext_lazy("%(actor)s added the customer %(customer)s"),
    "customer.import": gettext_lazy("%(actor)s imported the customer %(customer)s"),
    "customer.update_billing": gettext_lazy("%(actor)s changed the billing profile of %(customer)s"),
    "subscription.suspend": gettext_lazy("%(actor)s suspended %(object)s for %(customer)s"),
    "subscription.reactivate": gettext_lazy("%(actor)s reactivated %(object)s for %(customer)s"),
    "subscription.cancel": gettext_lazy("%(actor)s cancelled %(object)s for %(customer)s"),
    "user.create": gettext_lazy("%(actor)s created the user %(object)s"),
    "user.update": gettext_lazy("%(actor)s changed the user %(object)s"),
    "user.delete": gettext_lazy("%(actor)s deleted the user %(object)s"),
    "user.restore": gettext_lazy("%(actor)s restored the user %(object)s"),
    "user.purge": gettext_lazy("%(actor)s removed the user %(object)s for good"),
    "user.reset_password": gettext_lazy("%(actor)s reset the password of %(object)s"),
    "user.activate": gettext_lazy("%(actor)s allowed %(object)s to sign in"),
    "user.deactivate": gettext_lazy("%(actor)s blocked sign-in for %(object)s"),
    "user.mfa_enrol": gettext_lazy("%(object)s set up two-step verification"),
    "offer.add": gettext_lazy("%(actor)s added the offer %(object)s to the catalogue"),
    "partner.create": gettext_lazy("%(actor)s created the partner account %(object)s"),
    "partner.activated": gettext_lazy("%(actor)s activated the partner account %(object)s"),
    "partner.reactivated": gettext_lazy("%(actor)s reactivated the partner account %(object)s"),
    "tenant.create": gettext_lazy("%(actor)s created the tenant %(object)s"),
    "token.issue": gettext_lazy("%(actor)s issued an API token for %(object)s"),
    "token.revoke": gettext_lazy("%(actor)s revoked an API token of %(object)s"),
    "token.issue_refused": gettext_lazy("%(actor)s was refused an API token for %(object)s"),
    "oauth.client_add": gettext_lazy("%(actor)s registered the application %(object)s"),
    "access.approve": gettext_lazy(
        "%(actor)s approved the access of %(requester)s to the data of %(customer)s"
    ),
    "access.deny": gettext_lazy("%(actor)s denied the access of %(requester)s to the data of %(customer)s"),
    "access.revoke": gettext_lazy(
        "%(actor)s revoked the access of %(requester)s to the data of %(customer)s"
    ),
    "access.complete": gettext_lazy(
        "%(actor)s ended the access of %(requester)s to the data of %(customer)s"
    ),
    "access.review": gettext_lazy(
        "%(actor)s reviewed the access of %(requester)s to the data of %(customer)s"
    ),
    "migration.consent": gettext_lazy("%(actor)s recorded the consent of %(customer)s to its move"),
    "migration.consent_withdraw": gettext_lazy("%(actor)s withdrew the consent of %(customer)s to its move"),
    "migration.start": gettext_lazy("%(actor)s started the move of %(customer)s to %(peer)s"),
    "migration.freeze": gettext_lazy("%(actor)s froze %(customer)s for its move to %(peer)s"),
    "migration.verify": gettext_lazy("%(actor)s verified the copy of %(customer)s at %(peer)s"),
    "migration.cutover": gettext_lazy("%(actor)s completed the move of %(customer)s to %(peer)s"),
    "migration.fail": gettext_lazy("The move of %(customer)s to %(peer)s failed"),
    "migration.retry": gettext_lazy("%(actor)s retried the move of %(customer)s"),
    "migration.rollback": gettext_lazy("%(actor)s asked to roll back the move of %(customer)s: %(reason)s"),
    "migration.rolled_back": gettext_lazy("%(actor)s rolled back the move of %(customer)s"),
    "migration.import": gettext_lazy("%(actor)s delivered data of %(customer)s to this instance"),
    "migration.import_remove": gettext_lazy("%(actor)s removed the data delivered for %(customer)s"),
    "migration.purge": gettext_lazy("%(actor)s removed the data of %(customer)s after its move"),
    "tenant_link.create": gettext_lazy("%(actor)s linked the partner account to %(object)s at %(peer)s"),
    "tenant_link.remove": gettext_lazy("%(actor)s removed the link to %(object)s at %(peer)s"),
}


def action_label(action: str) -> str:
    """The action's name for people; an action without one keeps its code."""
    label = LABELS.get(action)
    return str(label) if label is not None else action


def action_choices() -> list[tuple[str, Any]]:
    """Choices for a form's select: each area, then its actions, grouped under the area."""
    choices: list[tuple[str, Any]] = [("", _("Any action"))]
    for prefix, area, actions in AREAS:
        choices.append(
            (str(area), [(prefix, _("All: %(area)s") % {"area": area}), *((a, str(lb)) for a, lb in actions)])
        )
    return choices


@dataclass(frozen=True)
class Part:
    """A name in a sentence, with the page it links to (None: plain text) and its exact form."""

    text: str
    url: str | None = None
    title: str = ""

    def html(self) -> SafeString:
        if self.url:
            return format_html('<a href="{}" title="{}">{}</a>', self.url, self.title, self.text)
        if self.title:
            return format_html('<span title="{}">{}</span>', self.title, self.text)
        return format_html("{}", self.text)


@dataclass(frozen=True)
class Entry:
    """One record as a reader sees it."""

    record: AuditRecord
    label: str  # the action's name
    html: SafeString  # the sentence, with links
    text: str  # the sentence, plain (CSV)
    actor: Part
    customer: Part | None
    object: Part | None = None


@dataclass
class _Names:
    """What a page of records needs from outside them, read once per page."""

    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (display name, upn)
    offers: dict[str, str] = field(default_factory=dict)  # id -> name
    # The customer of an access request (by its id, which is also its grant's): the trustee and
    # operators read customers only through the requests they decide or make.
    of_request: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (customer id, name)

    @classmethod
    def of(cls, principal: Principal, records: list[AuditRecord]) -> _Names:
        user_ids: set[uuid.UUID] = set()
        offer_ids: set[str] = set()
        request_ids: set[str] = set()
        for r in records:
            if r.grant_id:
                request_ids.add(str(r.grant_id))
            if r.target_type == "AccessRequest":
                request_ids.add(r.target_id)
            if r.actor_id:
                user_ids.add(r.actor_id)
            if r.target_type == "User":
                with contextlib.suppress(ValueError):
                    user_ids.add(uuid.UUID(r.target_id))
            for snap in (r.before or {}, r.after or {}):
                offer_ids.update(str(o) for o in snap.get("licences", []) if isinstance(o, str))
                offer_ids.update(
                    str(line.get("offerId")) for line in snap.get("lineItems", []) if isinstance(line, dict)
                )
        users = user_names(user_ids)
        offers = dict(Offer.objects.filter(id__in=offer_ids).values_list("id", "name"))
        of_request: dict[str, tuple[str, str]] = {}
        if request_ids and (principal.is_operator or principal.can(Action.OPERATOR_ACCESS_DECIDE)):
            rows = access_requests(principal).filter(id__in=request_ids)
            fields = ("id", "customer_id", "customer__company_name")
            of_request = {str(i): (str(c), n) for i, c, n in rows.values_list(*fields)}
        return cls(users=users, offers=offers, of_request=of_request)


def user_names(ids: set[uuid.UUID]) -> dict[str, tuple[str, str]]:
    """The name and UPN of each user that records the reader may read name, as actor or object
    (the records carry the UPN; the name is the same person's): id -> (display name, upn)."""
    rows = User.objects.filter(id__in=ids).values_list("id", "display_name", "upn")
    return {str(i): (name, upn) for i, name, upn in rows}


def describe(principal: Principal, records: Iterable[AuditRecord]) -> list[Entry]:
    """The records in their reader's words, with links to what ``principal`` may open."""
    records = list(records)
    names = _Names.of(principal, records)
    return [_Reading(principal, r, names).entry() for r in records]


Clause = tuple[str, dict[str, Any]]  # a translated template and its values (a Part, or text)


class _Reading:
    def __init__(self, principal: Principal, record: AuditRecord, names: _Names) -> None:
        self.principal, self.r, self.names = principal, record, names
        self.before: dict[str, Any] = record.before if isinstance(record.before, dict) else {}
        self.after: dict[str, Any] = record.after if isinstance(record.after, dict) else {}

    def value(self, key: str, default: Any = None) -> Any:
        return self.after.get(key, self.before.get(key, default))

    # --- the names -------------------------------------------------------------------------

    def actor(self) -> Part:
        r = self.r
        if r.actor_id and str(r.actor_id) in self.names.users:
            return Part(self.names.users[str(r.actor_id)][0], title=r.actor_upn)
        if r.actor_id:
            return Part(r.actor_upn)
        if r.actor_upn.startswith("peer:"):
            return Part(_("the %(name)s instance") % {"name": r.actor_upn[5:]}, title=r.actor_upn)
        return Part(_("Hanse (%(task)s)") % {"task": r.actor_upn}, title=r.actor_upn)

    def customer(self) -> Part | None:
        customer_id = getattr(self.r, "customer_ref", None)
        name = getattr(self.r, "customer_name", None)
        if customer_id is None:
            return None
        url = None
        if self.principal.can(Action.CUSTOMER_VIEW):
            url = reverse("customers:detail", args=[customer_id])
        return Part(name or str(customer_id), url, str(customer_id))

    def customer_or_named(self) -> Part:
        """The record's customer; or, for the trustee and operators, the customer of the access
        the record is about; or the one its snapshot names (a customer since removed)."""
        named = self.customer()
        if named is not None:
            return named
        r = self.r
        request = r.target_id if r.target_type == "AccessRequest" else str(r.grant_id or "")
        if request in self.names.of_request:
            customer_id, name = self.names.of_request[request]
            return Part(name, title=customer_id)
        if r.target_type == "Customer":
            return Part(str(self.value("companyName") or _("a customer")), title=r.target_id)
        return Part(_("a customer"))

    def target(self) -> Part:
        """The record's object, named as it was then, linked where the reader may open it."""
        r, p = self.r, self.principal
        customer_id = getattr(r, "customer_ref", None)
        text, url = r.target_id, None
        if r.target_type == "User":
            name, upn = self.names.users.get(r.target_id, (None, None))
            text = str(self.value("displayName") or name or self.value("upn") or upn or r.target_id)
            if r.action != "user.purge":
                if customer_id is not None and p.can(Action.CUSTOMER_USER_MANAGE):
                    url = reverse("pcusers:user", args=[customer_id, r.target_id])
                elif customer_id is None and p.can(Action.PARTNER_USER_MANAGE) and upn:
                    url = reverse("pcusers:partner_user", args=[r.target_id])
        elif r.target_type == "Subscription":
            text = str(self.value("friendlyName") or self.value("offerId") or r.target_id)
            if customer_id is not None and p.can(Action.CUSTOMER_VIEW):
                url = reverse("customers:subscription", args=[customer_id, r.target_id])
        elif r.target_type == "Offer":
            text = str(self.value("name") or r.target_id)
            if p.can(Action.PRICING_VIEW):
                url = reverse("catalog:list")
        elif r.target_type == "PartnerAccount":
            text = str(self.value("companyName") or r.target_id)
            if p.can(Action.INSTANCE_OPERATE):
                url = reverse("operator:partners")
            elif str(p.partner_id) == r.target_id and p.can(Action.PARTNER_VIEW):
                url = reverse("partners:overview")
        elif r.target_type == "Tenant":
            text = str(self.value("domain") or self.value("name") or r.target_id)
        elif r.target_type == "AccessRequest":
            text = _("access request")
            if p.can(Action.OPERATOR_ACCESS_DECIDE) or p.can(Action.OPERATOR_ACCESS_REQUEST):
                url = reverse("trustee:request", args=[r.target_id])
        elif r.target_type == "ApiToken":
            text = str(self.value("user") or r.target_id)
        elif r.target_type in ("Application", "TenantLink"):
            text = str(self.value("name") or self.value("targetDomain") or r.target_id)
        elif r.target_type == "Customer":
            return self.customer_or_named()
        return Part(text, url, r.target_id)

    def offer(self, offer_id: str) -> str:
        return self.names.offers.get(offer_id, offer_id)

    def offers(self, ids: Iterable[str]) -> str:
        return ", ".join(self.offer(i) for i in ids)

    # --- the sentences ----------------------------------------------------------------------

    def clause(self) -> Clause:
        r = self.r
        base = {"actor": self.actor(), "object": self.target(), "customer": self.customer_or_named()}
        special: dict[str, Callable[[dict[str, Any]], Clause]] = {
            "subscription.create": self.subscription_bought,
            "subscription.update": self.subscription_changed,
            "order.create": self.order_placed,
            "licence.update": self.licences_changed,
            "licence.release": self.licences_released,
            "user.set_roles": self.roles_set,
            "user.change_password": self.password_changed,
            "partner.suspended": self.partner_suspended,
            "partner.agreement_sign": self.agreement_signed,
            "access.read": self.data_read,
            "access.request": self.access_requested,
            "tenant.set_state": self.tenant_state,
            "migration.export": self.data_sent,
            "audit.cosigned": self.log_cosigned,
        }
        if r.action in special:
            return special[r.action](base)
        template = PLAIN.get(r.action)
        if template is None:  # an action added later, before its sentence: its code
            return _("%(actor)s: %(action)s on %(object)s"), {**base, "action": r.action}
        base["peer"] = str(self.value("peer") or "")
        base["requester"] = str(self.value("requester") or "")
        base["reason"] = str(self.value("reason") or "")
        return str(template), base

    def subscription_bought(self, base: dict[str, Any]) -> Clause:
        n = int(self.after.get("quantity") or 0)
        template = ngettext(
            "%(actor)s bought %(quantity)s seat of %(object)s for %(customer)s",
            "%(actor)s bought %(quantity)s seats of %(object)s for %(customer)s",
            n,
        )
        return template, {**base, "quantity": n}

    def subscription_changed(self, base: dict[str, Any]) -> Clause:
        b, a = self.before, self.after
        if b.get("quantity") != a.get("quantity"):
            template = _(
                "%(actor)s changed the quantity of %(object)s for %(customer)s from %(old)s to %(new)s"
            )
            return template, {**base, "old": b.get("quantity"), "new": a.get("quantity")}
        if b.get("friendlyName") != a.get("friendlyName"):
            return _("%(actor)s renamed %(old)s for %(customer)s to %(object)s"), {
                **base,
                "old": b.get("friendlyName"),
            }
        if b.get("autoRenewEnabled") != a.get("autoRenewEnabled"):
            if a.get("autoRenewEnabled"):
                return _("%(actor)s turned on auto-renewal of %(object)s for %(customer)s"), base
            return _("%(actor)s turned off auto-renewal of %(object)s for %(customer)s"), base
        return _("%(actor)s changed %(object)s for %(customer)s"), base

    def order_placed(self, base: dict[str, Any]) -> Clause:
        lines = [line for line in self.after.get("lineItems", []) if isinstance(line, dict)]
        times = "\N{MULTIPLICATION SIGN}"
        what = ", ".join(f"{ln.get('quantity')} {times} {self.offer(str(ln.get('offerId')))}" for ln in lines)
        return _("%(actor)s placed an order for %(customer)s: %(lines)s"), {**base, "lines": what}

    def licences_changed(self, base: dict[str, Any]) -> Clause:
        old, new = set(self.before.get("licences", [])), set(self.after.get("licences", []))
        added, removed = self.offers(sorted(new - old)), self.offers(sorted(old - new))
        values = {**base, "added": added, "removed": removed}
        if added and removed:
            return _("%(actor)s assigned %(added)s to %(object)s and removed %(removed)s"), values
        if removed:
            return _("%(actor)s removed %(removed)s from %(object)s"), values
        return _("%(actor)s assigned %(added)s to %(object)s"), values

    def licences_released(self, base: dict[str, Any]) -> Clause:
        freed = self.offers(sorted(self.before.get("licences", [])))
        return _("%(actor)s released the licences of %(object)s: %(removed)s"), {**base, "removed": freed}

    def roles_set(self, base: dict[str, Any]) -> Clause:
        roles = []
        for name in self.after.get("roles", []):
            try:
                roles.append(Role(name).label)
            except ValueError:
                roles.append(str(name))
        return _("%(actor)s set the roles of %(object)s to %(roles)s"), {
            **base,
            "roles": ", ".join(roles) or _("none"),
        }

    def password_changed(self, base: dict[str, Any]) -> Clause:
        if self.r.actor_id is not None and str(self.r.actor_id) == self.r.target_id:
            return _("%(actor)s changed their password"), base
        return _("%(actor)s changed the password of %(object)s"), base

    def partner_suspended(self, base: dict[str, Any]) -> Clause:
        reason = str(self.after.get("suspensionReason") or self.after.get("reason") or "")
        return _("%(actor)s suspended the partner account %(object)s: %(reason)s"), {**base, "reason": reason}

    def agreement_signed(self, base: dict[str, Any]) -> Clause:
        return _("%(actor)s accepted the partner agreement, version %(version)s"), {
            **base,
            "version": self.after.get("version", ""),
        }

    def data_read(self, base: dict[str, Any]) -> Clause:
        n = len(self.after.get("objects", []))
        template = ngettext(
            "%(actor)s read %(count)s object of %(customer)s under a granted access",
            "%(actor)s read %(count)s objects of %(customer)s under a granted access",
            n,
        )
        return template, {**base, "count": n}

    def access_requested(self, base: dict[str, Any]) -> Clause:
        kinds = []
        for name in self.after.get("kinds", []):
            try:
                kinds.append(str(DATA_KIND_LABELS[DataKind(name)]).lower())
            except (ValueError, KeyError):
                kinds.append(str(name))
        return _("%(actor)s asked for access to the data of %(customer)s: %(kinds)s"), {
            **base,
            "kinds": ", ".join(kinds),
        }

    def tenant_state(self, base: dict[str, Any]) -> Clause:
        return _("%(actor)s set the state of the tenant %(object)s to %(state)s"), {
            **base,
            "state": self.after.get("state", ""),
        }

    def data_sent(self, base: dict[str, Any]) -> Clause:
        return _("%(actor)s sent part %(batch)s of %(of)s of %(customer)s to %(peer)s"), {
            **base,
            "batch": self.after.get("batch", ""),
            "of": self.after.get("of", ""),
            "peer": self.after.get("peer", ""),
        }

    def log_cosigned(self, base: dict[str, Any]) -> Clause:
        witness = str(self.after.get("witness") or self.r.actor_upn)
        return _("%(witness)s co-signed the log at %(size)s records"), {
            **base,
            "witness": witness,
            "size": self.after.get("size", self.r.target_id),
        }

    def entry(self) -> Entry:
        template, values = self.clause()
        html_values = {
            k: v.html() if isinstance(v, Part) else conditional_escape(str(v)) for k, v in values.items()
        }
        text_values = {k: v.text if isinstance(v, Part) else str(v) for k, v in values.items()}
        return Entry(
            record=self.r,
            label=action_label(self.r.action),
            html=mark_safe(conditional_escape(template) % html_values),  # every value is escaped
            text=template % text_values,
            actor=values["actor"],
            customer=self.customer(),
            object=values.get("object"),
        )
