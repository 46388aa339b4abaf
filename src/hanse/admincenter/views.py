"""User and licence pages, served in two shells: the admin center (/admin-center/…) and the
partner center (/customers/<id>/users/…, /partner-users/…).

One view per page; ``shell`` (from the URLconf) selects the base template and URL namespace. In
the partner center the instance's task routing applies: where a task is done in the admin center
the partner center shows a pointer there, and its writes are refused by
``routing.ensure_partner_center``. The services are the same in both places.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from hanse.access.guards import require_action
from hanse.access.roles import ROLE_LABELS, Action, Role
from hanse.access.scope import scoped
from hanse.admincenter.forms import (
    ImportForm,
    InviteForm,
    NewUserForm,
    RolesForm,
    SearchForm,
    UserEditForm,
    UserSearchForm,
)
from hanse.admincenter.shells import SHELLS, Shell
from hanse.customers import errors as customer_errors
from hanse.customers.models import Customer
from hanse.customers.selectors import customer_get, customer_page
from hanse.directory import customer_users as users_svc
from hanse.directory import partner_users as partners_svc
from hanse.directory.models import User
from hanse.directory.selectors import customer_user_get, customer_users_page, partner_user_get
from hanse.directory.selectors import partner_users as partner_users_list
from hanse.errors import DomainError, NotFound
from hanse.instance.routing import TASK_LABELS, done_in, routed_elsewhere
from hanse.licensing.selectors import licences_by_user, licences_of, subscribed_skus
from hanse.licensing.services import licence_update
from hanse.web.confirm import Ask, ask, confirmed
from hanse.web.context import customer_admin_shell
from hanse.web.search import search

PAGE_SIZE = 25
USERS = Action.CUSTOMER_USER_MANAGE
PARTNER_USERS = Action.PARTNER_USER_MANAGE


# --- Shell, routing ------------------------------------------------------------------------------


def _nav(request: HttpRequest, sh: Shell, customer: Customer | None) -> list[dict[str, str]]:
    """The admin center's own left navigation (the partner center keeps its shell's)."""
    if sh.routed:
        return []
    p = request.principal  # type: ignore[attr-defined]
    ns = sh.ns
    nav = []
    if p.is_partner and p.can(USERS):
        nav.append({"label": _("Customers"), "url": reverse(f"{ns}:home"), "testid": "nav-customers"})
    if customer is not None:
        cid = {"customer_id": customer.id}
        nav += [
            {"label": _("Users"), "url": reverse(f"{ns}:users", kwargs=cid), "testid": "nav-users"},
            {
                "label": _("Deleted users"),
                "url": reverse(f"{ns}:users_deleted", kwargs=cid),
                "testid": "deleted-users",
            },
            {"label": _("Licences"), "url": reverse(f"{ns}:licences", kwargs=cid), "testid": "nav-licences"},
        ]
    if p.is_partner and p.can(PARTNER_USERS):
        nav.append(
            {
                "label": _("Partner users"),
                "url": reverse(f"{ns}:partner_users"),
                "testid": "nav-partner-users",
            }
        )
    if p.is_partner:
        nav.append({"label": _("Partner center"), "url": reverse("web:home"), "testid": "nav-partner-center"})
    if p.is_customer_admin:
        nav += [n for n in customer_admin_shell(p)["ac_nav"] if n["testid"] != "nav-users"]
    return nav


def _ctx(request: HttpRequest, sh: Shell, customer: Customer | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "base": sh.base,
        "ns": sh.ns,
        "shell": sh.name,
        "customer": customer,
        "ac_nav": _nav(request, sh, customer),
        **extra,
    }


def _admin_url(name: str, **kwargs: Any) -> str:
    return reverse(f"admincenter:{name}", kwargs=kwargs)


def pointer(sh: Shell, task: str, name: str, **kwargs: Any) -> dict[str, str] | None:
    """Where the partner center points to the admin center instead of offering a task's writes."""
    if not sh.routed or done_in(task) != "admincenter":
        return None
    return {
        "text": _("In this instance, %(task)s is done in the admin center.") % {"task": TASK_LABELS[task]},
        "url": _admin_url(name, **kwargs),
    }


def combined_pointer(sh: Shell, tasks: Sequence[str], name: str, **kwargs: Any) -> dict[str, str] | None:
    """One pointer for the tasks of a page that this instance does in the admin center."""
    routed = [str(TASK_LABELS[t]) for t in tasks if sh.routed and done_in(t) == "admincenter"]
    if not routed:
        return None
    listed = (
        routed[0]
        if len(routed) == 1
        else _("%(some)s and %(last)s")
        % {
            "some": ", ".join(routed[:-1]),
            "last": routed[-1],
        }
    )
    text = ngettext(
        "In this instance, %(tasks)s is done in the admin center.",
        "In this instance, %(tasks)s are done in the admin center.",
        len(routed),
    ) % {"tasks": listed}
    return {"text": text, "url": _admin_url(name, **kwargs)}


def _refused(request: HttpRequest, sh: Shell, task: str, name: str, **kwargs: Any) -> HttpResponse | None:
    """The partner-center entry point of a write: the routing's refusal, with the way to the admin center."""
    if not sh.routed:
        return None
    url = _admin_url(name, **kwargs)
    refusal = routed_elsewhere(task, endpoint=url)
    if refusal is None:
        return None
    status = 403 if request.method == "POST" else 200
    # The page says it in words and gives the link; the API's refusal names the endpoint instead.
    message = _("In this instance, %(task)s is done in the admin center, not in the partner center.") % {
        "task": TASK_LABELS[task]
    }
    ctx = _ctx(request, sh, message=message, admin_url=url, task=TASK_LABELS[task])
    return render(request, "admincenter/routed.html", ctx, status=status)


def _once(response: HttpResponse) -> HttpResponse:
    """A page showing a temporary password: never cached, never shown again."""
    response["Cache-Control"] = "no-store"
    return response


def _customer(request: HttpRequest, customer_id: uuid.UUID) -> Customer:
    return customer_get(principal=request.principal, customer_id=customer_id, action=USERS)  # type: ignore[attr-defined]


# --- Home ----------------------------------------------------------------------------------------


@require_action(USERS)
def home(request: HttpRequest, shell: str) -> HttpResponse:
    """A partner picks one of its customers; a customer's Global admin goes straight to its own tenant."""
    sh = SHELLS[shell]
    principal = request.principal  # type: ignore[attr-defined]
    if not principal.is_partner:
        own = scoped(Customer.objects.all(), principal, USERS).first()
        if own is None:
            raise NotFound(customer_errors.CUSTOMER_NOT_FOUND)
        return redirect(f"{sh.ns}:users", customer_id=own.id)
    asked = search(request, SearchForm)
    page = customer_page(
        principal=principal,
        size=PAGE_SIZE,
        token=request.GET.get("after") or None,
        match=asked.match,
        action=USERS,
    )
    return render(
        request,
        "admincenter/home.html",
        _ctx(request, sh, search=asked.form, q=asked.q, page=page, next_query=asked.next_query(page)),
    )


# --- Customer users ------------------------------------------------------------------------------


@require_action(USERS)
def users(request: HttpRequest, shell: str, customer_id: uuid.UUID) -> HttpResponse:
    sh = SHELLS[shell]
    principal = request.principal  # type: ignore[attr-defined]
    customer = _customer(request, customer_id)
    asked = search(request, UserSearchForm)
    page = customer_users_page(
        principal=principal,
        customer_id=customer.id,
        size=PAGE_SIZE,
        token=request.GET.get("after") or None,
        match=asked.match,
    )
    held = licences_by_user(principal=principal, customer_id=customer.id, user_ids=[u.id for u in page.items])
    rows = [{"user": u, "licences": held.get(u.id, [])} for u in page.items]
    return render(
        request,
        "admincenter/users.html",
        _ctx(
            request,
            sh,
            customer,
            page=page,
            rows=rows,
            search=asked.form,
            q=asked.q,
            next_query=asked.next_query(page),
            pointer=pointer(sh, "customer_users", "users", customer_id=customer.id),
        ),
    )


@require_action(USERS)
def user_new(request: HttpRequest, shell: str, customer_id: uuid.UUID) -> HttpResponse:
    sh = SHELLS[shell]
    customer = _customer(request, customer_id)
    refused = _refused(request, sh, "customer_users", "user_new", customer_id=customer.id)
    if refused is not None:
        return refused
    form = NewUserForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                created = users_svc.customer_user_create(
                    actor=request.principal,  # type: ignore[attr-defined]
                    customer_id=customer.id,
                    new=users_svc.NewUser(
                        upn=d["upn"], display_name=d["display_name"], usage_location=d["usage_location"]
                    ),
                )
            except DomainError as e:
                form.add_error(None, e.description)
                status = e.status
            else:
                ctx = _ctx(request, sh, customer, user=created.user, password=created.password, created=True)
                return _once(render(request, "admincenter/password.html", ctx, status=201))
    return render(request, "admincenter/user_new.html", _ctx(request, sh, customer, form=form), status=status)


@require_action(USERS)
def users_import(request: HttpRequest, shell: str, customer_id: uuid.UUID) -> HttpResponse:
    sh = SHELLS[shell]
    customer = _customer(request, customer_id)
    refused = _refused(request, sh, "customer_users", "users_import", customer_id=customer.id)
    if refused is not None:
        return refused
    form = ImportForm(request.POST or None, request.FILES or None)
    status, report = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                outcome = users_svc.customer_users_import(
                    actor=request.principal,  # type: ignore[attr-defined]
                    customer_id=customer.id,
                    data=form.cleaned_data["file"].read(users_svc.CSV_MAX_BYTES + 1),
                )
            except DomainError as e:
                form.add_error(None, e.description)
                status = e.status
            else:
                if not isinstance(outcome, users_svc.ImportReport):  # a job: follow its progress
                    return redirect(f"{sh.ns}:users_import_job", customer.id, outcome.id)
                status, report = 200, outcome
    response = render(
        request,
        "admincenter/users_import.html",
        _ctx(request, sh, customer, form=form, report=report),
        status=status,
    )
    return _once(response) if report is not None else response


@require_action(USERS)
def users_import_job(
    request: HttpRequest, shell: str, customer_id: uuid.UUID, import_id: uuid.UUID
) -> HttpResponse:
    """A large import's progress, refreshing itself until done; then its report, once."""
    sh = SHELLS[shell]
    customer = _customer(request, customer_id)
    progress = users_svc.user_import_read(
        actor=request.principal,  # type: ignore[attr-defined]
        customer_id=customer.id,
        import_id=import_id,
    )
    ctx = _ctx(request, sh, customer, job=progress.job, report=progress.report)
    return _once(render(request, "admincenter/users_import_job.html", ctx))


@require_action(USERS)
def users_deleted(request: HttpRequest, shell: str, customer_id: uuid.UUID) -> HttpResponse:
    sh = SHELLS[shell]
    customer = _customer(request, customer_id)
    page = customer_users_page(
        principal=request.principal,  # type: ignore[attr-defined]
        customer_id=customer.id,
        size=PAGE_SIZE,
        token=request.GET.get("after") or None,
        deleted=True,
    )
    return render(
        request,
        "admincenter/users_deleted.html",
        _ctx(
            request,
            sh,
            customer,
            page=page,
            days=users_svc.RESTORE_DAYS,
            next_query=urlencode({"after": page.next_token}) if page.next_token else "",
            pointer=pointer(sh, "customer_users", "users_deleted", customer_id=customer.id),
        ),
    )


def _licence_rows(request: HttpRequest, customer: Customer, user: User) -> list[dict[str, Any]]:
    principal = request.principal  # type: ignore[attr-defined]
    held = set(licences_of(principal=principal, customer_id=customer.id, user_id=user.id))
    rows = []
    for s in subscribed_skus(principal=principal, customer_id=customer.id):
        checked = s.sku.id in held
        rows.append({"sku": s, "checked": checked, "enabled": checked or s.available > 0})
    return rows


@require_action(USERS)
def user_detail(request: HttpRequest, shell: str, customer_id: uuid.UUID, user_id: uuid.UUID) -> HttpResponse:
    """The user: edit (POST here), licences, password reset, delete; a deleted user: restore."""
    sh = SHELLS[shell]
    principal = request.principal  # type: ignore[attr-defined]
    customer = _customer(request, customer_id)
    user = customer_user_get(principal=principal, customer_id=customer.id, user_id=user_id)
    ids = {"customer_id": customer.id, "user_id": user.id}
    status = 200
    if request.method == "POST":
        refused = _refused(request, sh, "customer_users", "user", **ids)
        if refused is not None:
            return refused
        form = UserEditForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                users_svc.customer_user_update(
                    actor=principal,
                    customer_id=customer.id,
                    user_id=user.id,
                    display_name=form.cleaned_data["display_name"],
                    usage_location=form.cleaned_data["usage_location"],
                )
            except NotFound:
                raise
            except DomainError as e:
                form.add_error(None, e.description)
                status = e.status
            else:
                messages.success(request, _("The user %(upn)s was saved.") % {"upn": user.upn})
                return redirect(f"{sh.ns}:user", **ids)
    else:
        form = UserEditForm(
            initial={"display_name": user.display_name, "usage_location": user.usage_location}
        )
    pointers = {
        task: pointer(sh, task, "user", **ids) for task in ("customer_users", "password_reset", "licences")
    }
    return render(
        request,
        "admincenter/user_detail.html",
        _ctx(
            request,
            sh,
            customer,
            user=user,
            form=form,
            licence_rows=_licence_rows(request, customer, user),
            pointers=[p for p in pointers.values() if p],
            can_edit=pointers["customer_users"] is None,
            can_reset=pointers["password_reset"] is None,
            can_license=pointers["licences"] is None,
            restore_days=users_svc.RESTORE_DAYS,
        ),
        status=status,
    )


def _after_error(request: HttpRequest, e: DomainError) -> None:
    if isinstance(e, NotFound):
        raise e
    messages.error(request, e.description)


@require_action(USERS)
@require_POST
def user_licences(
    request: HttpRequest, shell: str, customer_id: uuid.UUID, user_id: uuid.UUID
) -> HttpResponse:
    """One atomic save of the checked SKUs: all of the change or none of it."""
    sh = SHELLS[shell]
    principal = request.principal  # type: ignore[attr-defined]
    customer = _customer(request, customer_id)
    user = customer_user_get(principal=principal, customer_id=customer.id, user_id=user_id)
    ids = {"customer_id": customer.id, "user_id": user.id}
    refused = _refused(request, sh, "licences", "user", **ids)
    if refused is not None:
        return refused
    held = set(licences_of(principal=principal, customer_id=customer.id, user_id=user.id))
    offered = {s.sku.id for s in subscribed_skus(principal=principal, customer_id=customer.id)}
    checked = set(request.POST.getlist("sku"))
    try:
        licence_update(
            actor=principal,
            customer_id=customer.id,
            user_id=user.id,
            add=sorted(checked - held),
            remove=sorted((held & offered) - checked),
        )
    except DomainError as e:
        _after_error(request, e)
    else:
        messages.success(request, _("The licences of %(upn)s were saved.") % {"upn": user.upn})
    return redirect(f"{sh.ns}:user", **ids)


@require_action(USERS)
@require_POST
def user_reset_password(
    request: HttpRequest, shell: str, customer_id: uuid.UUID, user_id: uuid.UUID
) -> HttpResponse:
    sh = SHELLS[shell]
    customer = _customer(request, customer_id)
    ids = {"customer_id": customer.id, "user_id": user_id}
    refused = _refused(request, sh, "password_reset", "user", **ids)
    if refused is not None:
        return refused
    if not confirmed(request):
        user = customer_user_get(principal=request.principal, customer_id=customer.id, user_id=user_id)  # type: ignore[attr-defined]
        question = Ask(
            title=_("Reset the password of %(upn)s?") % {"upn": user.upn},
            consequence=_(
                "A new temporary password is shown once. Every session and token of %(upn)s stops "
                "working, and the user chooses a new password at the next sign-in."
            )
            % {"upn": user.upn},
            confirm=_("Reset the password"),
            cancel_url=reverse(f"{sh.ns}:user", kwargs=ids),
        )
        return ask(request, question, **_ctx(request, sh, customer))
    reset = users_svc.customer_user_reset_password(
        actor=request.principal,  # type: ignore[attr-defined]
        customer_id=customer.id,
        user_id=user_id,
    )
    ctx = _ctx(request, sh, customer, user=reset.user, password=reset.password, created=False)
    return _once(render(request, "admincenter/password.html", ctx))


@require_action(USERS)
@require_POST
def user_delete(request: HttpRequest, shell: str, customer_id: uuid.UUID, user_id: uuid.UUID) -> HttpResponse:
    sh = SHELLS[shell]
    customer = _customer(request, customer_id)
    ids = {"customer_id": customer.id, "user_id": user_id}
    refused = _refused(request, sh, "customer_users", "user", **ids)
    if refused is not None:
        return refused
    if not confirmed(request):
        user = customer_user_get(principal=request.principal, customer_id=customer.id, user_id=user_id)  # type: ignore[attr-defined]
        names = {"upn": user.upn, "days": users_svc.RESTORE_DAYS}
        question = Ask(
            title=_("Delete %(upn)s?") % names,
            consequence=_(
                "%(upn)s can no longer sign in, and its licences are freed at once. You can restore "
                "the user for %(days)s days; it then comes back without its licences."
            )
            % names,
            confirm=_("Delete the user"),
            cancel_url=reverse(f"{sh.ns}:user", kwargs=ids),
        )
        return ask(request, question, **_ctx(request, sh, customer))
    try:
        user = users_svc.customer_user_delete(
            actor=request.principal,  # type: ignore[attr-defined]
            customer_id=customer.id,
            user_id=user_id,
        )
    except DomainError as e:
        _after_error(request, e)
        return redirect(f"{sh.ns}:user", **ids)
    messages.success(
        request,
        _("The user %(upn)s was deleted. It can be restored for %(days)s days.")
        % {"upn": user.upn, "days": users_svc.RESTORE_DAYS},
    )
    return redirect(f"{sh.ns}:users", customer_id=customer.id)


@require_action(USERS)
@require_POST
def user_restore(
    request: HttpRequest, shell: str, customer_id: uuid.UUID, user_id: uuid.UUID
) -> HttpResponse:
    sh = SHELLS[shell]
    customer = _customer(request, customer_id)
    refused = _refused(request, sh, "customer_users", "users_deleted", customer_id=customer.id)
    if refused is not None:
        return refused
    try:
        user = users_svc.customer_user_restore(
            actor=request.principal,  # type: ignore[attr-defined]
            customer_id=customer.id,
            user_id=user_id,
        )
    except DomainError as e:
        _after_error(request, e)
        return redirect(f"{sh.ns}:users_deleted", customer_id=customer.id)
    messages.success(
        request,
        _("The user %(upn)s was restored, without the licences it had: assign them again below.")
        % {"upn": user.upn},
    )
    return redirect(f"{sh.ns}:user", customer_id=customer.id, user_id=user.id)


@require_action(USERS)
def licences(request: HttpRequest, shell: str, customer_id: uuid.UUID) -> HttpResponse:
    sh = SHELLS[shell]
    customer = _customer(request, customer_id)
    skus = subscribed_skus(principal=request.principal, customer_id=customer.id)  # type: ignore[attr-defined]
    return render(
        request,
        "admincenter/licences.html",
        _ctx(
            request,
            sh,
            customer,
            skus=skus,
            pointer=pointer(sh, "licences", "licences", customer_id=customer.id),
        ),
    )


# --- Partner users -------------------------------------------------------------------------------


def _role_labels(user: User) -> list[str]:
    return sorted(str(ROLE_LABELS[Role(a.role)]) for a in user.role_assignments.all())


@require_action(PARTNER_USERS)
def partner_users(request: HttpRequest, shell: str) -> HttpResponse:
    sh = SHELLS[shell]
    rows = [
        {"user": u, "roles": _role_labels(u)}
        for u in partner_users_list(principal=request.principal)  # type: ignore[attr-defined]
    ]
    return render(
        request,
        "admincenter/partner_users.html",
        _ctx(request, sh, rows=rows, pointer=pointer(sh, "partner_users", "partner_users")),
    )


@require_action(PARTNER_USERS)
def partner_user_new(request: HttpRequest, shell: str) -> HttpResponse:
    sh = SHELLS[shell]
    refused = _refused(request, sh, "partner_users", "partner_user_new")
    if refused is not None:
        return refused
    form = InviteForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = partners_svc.partner_user_invite(
                    actor=request.principal,  # type: ignore[attr-defined]
                    upn=form.cleaned_data["upn"],
                    display_name=form.cleaned_data["display_name"],
                    roles=form.roles_list(),
                )
            except DomainError as e:
                form.add_error(None, e.description)
                status = e.status
            else:
                ctx = _ctx(
                    request, sh, user=created.user, password=created.password, created=True, partner=True
                )
                return _once(render(request, "admincenter/password.html", ctx, status=201))
    return render(request, "admincenter/partner_user_new.html", _ctx(request, sh, form=form), status=status)


@require_action(PARTNER_USERS)
def partner_user_detail(request: HttpRequest, shell: str, user_id: uuid.UUID) -> HttpResponse:
    """A partner user's roles (POST here to change them) and its deactivation."""
    sh = SHELLS[shell]
    principal = request.principal  # type: ignore[attr-defined]
    user = partner_user_get(principal=principal, user_id=user_id)
    status = 200
    if request.method == "POST":
        refused = _refused(request, sh, "partner_users", "partner_user", user_id=user.id)
        if refused is not None:
            return refused
        form = RolesForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                partners_svc.partner_user_set_roles(actor=principal, user_id=user.id, roles=form.roles_list())
            except NotFound:
                raise
            except DomainError as e:
                form.add_error(None, e.description)
                status = e.status
            else:
                messages.success(request, _("The roles of %(upn)s were saved.") % {"upn": user.upn})
                return redirect(f"{sh.ns}:partner_user", user_id=user.id)
    else:
        form = RolesForm(initial={"roles": [a.role for a in user.role_assignments.all()]})
    return render(
        request,
        "admincenter/partner_user_detail.html",
        _ctx(
            request,
            sh,
            user=user,
            form=form,
            roles=_role_labels(user),
            pointer=pointer(sh, "partner_users", "partner_user", user_id=user.id),
        ),
        status=status,
    )


@require_action(PARTNER_USERS)
@require_POST
def partner_user_active(request: HttpRequest, shell: str, user_id: uuid.UUID) -> HttpResponse:
    sh = SHELLS[shell]
    user = partner_user_get(principal=request.principal, user_id=user_id)  # type: ignore[attr-defined]
    refused = _refused(request, sh, "partner_users", "partner_user", user_id=user.id)
    if refused is not None:
        return refused
    active = request.POST.get("active") == "1"
    try:
        partners_svc.partner_user_set_active(
            actor=request.principal,  # type: ignore[attr-defined]
            user_id=user.id,
            active=active,
        )
    except DomainError as e:
        _after_error(request, e)
    else:
        text = _("%(upn)s was reactivated.") if active else _("%(upn)s was deactivated.")
        messages.success(request, text % {"upn": user.upn})
    return redirect(f"{sh.ns}:partner_user", user_id=user.id)
