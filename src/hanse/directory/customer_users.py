"""Every write to a customer's users: create, update, delete and restore, password reset, CSV import.

One service layer for both entry points (the partner center's /v1 API and the admin center);
where each is allowed is decided by the instance's task routing, at the entry point.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from hanse import clock
from hanse.access.principal import Principal, system_principal
from hanse.access.roles import Action
from hanse.access.scope import scoped
from hanse.customers.models import Customer
from hanse.customers.selectors import customer_get
from hanse.directory import errors
from hanse.directory.models import User, UserImport
from hanse.directory.selectors import customer_user_get
from hanse.directory.services import (
    CreatedUser,
    HashedPassword,
    audit_user,
    check_new_user,
    hash_password,
    revoke_credentials,
    user_create,
    user_restore,
    user_snapshot,
    user_soft_delete,
)
from hanse.errors import Conflict, DomainError, InvalidInput, NotFound
from hanse.instance.current import instance
from hanse.instance.markets import market_list
from hanse.instance.routing import ADMIN_CENTER_API, admin_center_users, ensure_partner_center
from hanse.migration.freeze import ensure_unfrozen

RESTORE_DAYS = 30
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 1000


def _customer(actor: Principal, customer_id: uuid.UUID) -> Customer:
    return customer_get(principal=actor, customer_id=customer_id, action=Action.CUSTOMER_USER_MANAGE)


def _location(value: str) -> str:
    code = (value or "").strip().upper()
    if code and code not in instance().markets:
        raise InvalidInput(
            errors.USAGE_LOCATION_INVALID, location=value[:10], markets=market_list(instance().markets)
        )
    return code


def customer_user_for_update(
    actor: Principal, customer_id: uuid.UUID, user_id: uuid.UUID, *, deleted: bool | None = False
) -> User:
    """The user, locked, for a change (so: not while its customer moves); a deleted user is found
    only by restore (``deleted=True``) and by an update that may restore it (``deleted=None``)."""
    customer = _customer(actor, customer_id)
    ensure_unfrozen(customer_id=customer.id)
    qs = scoped(User.objects.select_for_update(of=("self",)), actor, Action.CUSTOMER_USER_MANAGE)
    if deleted is not None:
        qs = qs.filter(deleted_at__isnull=not deleted)
    user = qs.select_related("tenant").filter(id=user_id, tenant=customer.tenant).first()
    if user is None:
        raise NotFound(errors.CUSTOMER_USER_NOT_FOUND)
    return user


@dataclass(frozen=True)
class NewUser:
    upn: str
    display_name: str
    usage_location: str = ""
    password: str | HashedPassword | None = None  # None: a generated one, returned once
    must_change_password: bool = True
    first_name: str = ""
    last_name: str = ""


def customer_user_create(*, actor: Principal, customer_id: uuid.UUID, new: NewUser) -> CreatedUser:
    """A customer user with the password given (checked like any other) or a generated one, shown
    once; to change at first sign-in unless the caller says otherwise. Everything is checked and
    the password hashed first; then one short transaction writes."""
    ensure_partner_center("customer_users", endpoint=admin_center_users(customer_id))
    customer = _customer(actor, customer_id)
    location = _location(new.usage_location)
    upn = check_new_user(tenant=customer.tenant, upn=new.upn, roles=[])
    password = new.password
    if not isinstance(password, HashedPassword):
        password = hash_password(password, upn=upn, display_name=new.display_name)
    with transaction.atomic():
        ensure_unfrozen(customer_id=customer.id)
        created = user_create(
            actor=actor,
            tenant=customer.tenant,
            upn=upn,
            display_name=new.display_name,
            roles=[],
            password=password,
            must_change_password=new.must_change_password,
        )
        user = created.user
        user.usage_location = location
        user.first_name, user.last_name = new.first_name.strip()[:64], new.last_name.strip()[:64]
        if location or user.first_name or user.last_name:
            user.save(update_fields=["usage_location", "first_name", "last_name"])
    return created


@dataclass(frozen=True)
class NewPassword:
    password: str | None = None  # None: a generated one, returned once
    must_change: bool = True


@dataclass(frozen=True)
class UpdatedUser:
    user: User
    password: str | None = None  # the generated one, when the update set one; shown once


def customer_user_update(
    *,
    actor: Principal,
    customer_id: uuid.UUID,
    user_id: uuid.UUID,
    display_name: str | None = None,
    usage_location: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    restore: bool = False,
    password: NewPassword | None = None,
) -> UpdatedUser:
    """Partner Center's one ``PATCH`` of a user, all or nothing: ``restore`` (its ``state:
    active``) brings a deleted user back first; ``password`` is its password reset, checked and
    hashed before the transaction."""
    ensure_partner_center("customer_users", endpoint=admin_center_users(customer_id, f"/{user_id}"))
    if password is not None:
        ensure_partner_center(
            "password_reset", endpoint=admin_center_users(customer_id, f"/{user_id}/resetPassword")
        )
    hashed = None
    if password is not None:
        current = customer_user_get(principal=actor, customer_id=customer_id, user_id=user_id)
        name = display_name or current.display_name
        hashed = hash_password(password.password, upn=current.upn, display_name=name)
    with transaction.atomic():
        user = customer_user_for_update(actor, customer_id, user_id, deleted=None)
        if user.deleted_at is not None:
            if not restore:
                raise Conflict(errors.USER_DELETED)
            user = _restore(actor, user)
        before = _profile(user)
        if display_name is not None:
            if not display_name.strip():
                raise InvalidInput(errors.DISPLAY_NAME_BLANK)
            user.display_name = display_name.strip()[:200]
        if usage_location is not None:
            user.usage_location = _location(usage_location)
        if first_name is not None:
            user.first_name = first_name.strip()[:64]
        if last_name is not None:
            user.last_name = last_name.strip()[:64]
        after = _profile(user)
        if after != before:
            user.save(update_fields=["display_name", "usage_location", "first_name", "last_name"])
            audit_user(actor, "user.update", user, before=before, after=after)
        if password is None or hashed is None:
            return UpdatedUser(user)
        _set_password(actor, user, hashed, must_change=password.must_change)
    return UpdatedUser(user, hashed.plain if hashed.generated else None)


def _profile(user: User) -> dict[str, object]:
    return {
        **user_snapshot(user),
        "usageLocation": user.usage_location,
        "firstName": user.first_name,
        "lastName": user.last_name,
    }


@transaction.atomic
def customer_user_delete(*, actor: Principal, customer_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """Soft delete: restorable for 30 days; the user's licences are freed at once."""
    from hanse.licensing.models import LicenceAssignment

    ensure_partner_center("customer_users", endpoint=admin_center_users(customer_id, f"/{user_id}"))
    user = customer_user_for_update(actor, customer_id, user_id)
    held = scoped(LicenceAssignment.objects.all(), actor, Action.CUSTOMER_USER_MANAGE).filter(user=user)
    freed = list(held.values_list("sku_id", flat=True))
    held.delete()
    if freed:
        audit_user(actor, "licence.release", user, before={"licences": sorted(freed)}, after={"licences": []})
    user = user_soft_delete(actor=actor, user=user)
    _schedule_purge(user.deleted_at + timedelta(days=RESTORE_DAYS, minutes=1))
    return user


def _schedule_purge(when: datetime) -> None:
    from hanse.directory.tasks import purge_deleted_customer_users

    # On commit: a rolled-back deletion schedules nothing.
    transaction.on_commit(lambda: purge_deleted_customer_users.using(run_after=when).enqueue())


@transaction.atomic
def customer_user_restore(*, actor: Principal, customer_id: uuid.UUID, user_id: uuid.UUID) -> User:
    restore_at = f"{ADMIN_CENTER_API}/customers/{customer_id}/directory/deletedItems/{user_id}/restore"
    ensure_partner_center("customer_users", endpoint=restore_at)
    return _restore(actor, customer_user_for_update(actor, customer_id, user_id, deleted=True))


def _restore(actor: Principal, user: User) -> User:
    if user.deleted_at < clock.now() - timedelta(days=RESTORE_DAYS):
        raise Conflict(errors.RESTORE_EXPIRED, days=RESTORE_DAYS)
    return user_restore(actor=actor, user=user)


@dataclass(frozen=True)
class PasswordReset:
    user: User
    password: str  # shown once


def customer_user_reset_password(
    *, actor: Principal, customer_id: uuid.UUID, user_id: uuid.UUID
) -> PasswordReset:
    """A new temporary password; every session and token of the user stops working."""
    ensure_partner_center(
        "password_reset", endpoint=admin_center_users(customer_id, f"/{user_id}/resetPassword")
    )
    current = customer_user_get(principal=actor, customer_id=customer_id, user_id=user_id)
    hashed = hash_password(None, upn=current.upn, display_name=current.display_name)
    with transaction.atomic():
        user = customer_user_for_update(actor, customer_id, user_id)
        _set_password(actor, user, hashed, must_change=True)
    return PasswordReset(user=user, password=hashed.plain)


def _set_password(actor: Principal, user: User, hashed: HashedPassword, *, must_change: bool) -> None:
    """Every session and token of the user stops working."""
    user.password = hashed.encoded
    user.must_change_password = must_change
    revoke_credentials(user)
    user.save(update_fields=["password", "must_change_password", "credentials_version"])
    audit_user(actor, "user.reset_password", user, after={"mustChangePassword": must_change})


def purge_deleted_users() -> int:
    """Remove users deleted more than 30 days ago (run by the worker)."""
    cutoff = clock.now() - timedelta(days=RESTORE_DAYS)
    purged = 0
    purge = system_principal("purge")
    deleted = scoped(User.objects.select_related("tenant"), purge, Action.CUSTOMER_USER_MANAGE)
    for user in deleted.filter(deleted_at__lt=cutoff, tenant__kind="customer"):
        with transaction.atomic(durable=True):  # each purge commits on its own
            try:
                ensure_unfrozen(customer_id=user.tenant.customer.id)
            except Conflict:
                continue  # a moving customer's users move as they are; a moved one's go with it
            audit_user(purge, "user.purge", user, before=user_snapshot(user))
            user.delete()
            purged += 1
    return purged


@dataclass
class ImportReport:
    created: list[tuple[int, str, str | None]] = field(default_factory=list)  # (line, upn, password)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (line, upn, reason)


COLUMNS = ("userPrincipalName", "displayName", "usageLocation")
# Up to this many rows an import runs within its request (a password hash per row, some tens of
# milliseconds each); a larger one is a job (UserImport) whose progress the caller follows.
INLINE_ROWS = 20

Row = tuple[int, str, str, str]  # line, userPrincipalName, displayName, usageLocation


def _rows(data: bytes) -> list[Row]:
    if not data.strip():
        raise InvalidInput(errors.CSV_INVALID, reason=_("the file is empty"))
    if len(data) > CSV_MAX_BYTES:
        raise InvalidInput(errors.CSV_INVALID, reason=_("the file is larger than 1 MB"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(errors.CSV_INVALID, reason=_("the file is not UTF-8 text")) from None
    if "\x00" in text:
        raise InvalidInput(errors.CSV_INVALID, reason=_("the file contains NUL characters"))
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or set(COLUMNS[:2]) - set(rows[0].keys()):
        raise InvalidInput(
            errors.CSV_INVALID, reason=_("the header must name %(columns)s") % {"columns": ", ".join(COLUMNS)}
        )
    if len(rows) > CSV_MAX_ROWS:
        raise InvalidInput(errors.CSV_INVALID, reason=_("more than %(n)s rows") % {"n": CSV_MAX_ROWS})
    return [
        (
            line,
            (row.get("userPrincipalName") or "").strip(),
            (row.get("displayName") or "").strip(),
            (row.get("usageLocation") or "").strip(),
        )
        for line, row in enumerate(rows, start=2)
    ]


def customer_users_import(
    *, actor: Principal, customer_id: uuid.UUID, data: bytes
) -> ImportReport | UserImport:
    """Create a user per valid row; name each bad row with its reason. Valid rows are kept even
    when others are refused: each row is its own short transaction, its password hashed before
    it. More than ``INLINE_ROWS`` rows: a job, returned queued, that a worker runs."""
    ensure_partner_center("customer_users", endpoint=admin_center_users(customer_id, "/import"))
    customer = _customer(actor, customer_id)  # scope and permission before reading anything
    ensure_unfrozen(customer_id=customer.id)  # the whole file refused, not row by row
    rows = _rows(data)
    if len(rows) <= INLINE_ROWS:
        report = ImportReport()
        for line, upn, name, location in rows:
            try:
                created = customer_user_create(
                    actor=actor,
                    customer_id=customer_id,
                    new=NewUser(upn=upn, display_name=name, usage_location=location),
                )
            except DomainError as e:
                report.refused.append((line, upn, e.description))
            else:
                report.created.append((line, created.user.upn, created.password))
        return report
    from hanse.directory.tasks import run_user_import

    with transaction.atomic():
        job = UserImport.objects.create(
            tenant=customer.tenant,
            partner_id=customer.partner_id,
            requested_by_id=actor.user_id,
            rows=[list(row) for row in rows],
            created_at=clock.now(),
        )
        transaction.on_commit(lambda: run_user_import.enqueue(str(job.id)))
    return job


# Jobs run as the instance; each row is created as the user who asked for the import.
WORKER = system_principal("worker")


def user_import_run(import_id: uuid.UUID) -> UserImport:
    """Run an import job to its end, from the first row not done (the worker's task). Each row's
    user and the job's progress commit together; running it again, or twice at once, does each
    row once."""
    from hanse.directory.selectors import principal_for

    jobs = scoped(UserImport.objects.all(), WORKER, Action.CUSTOMER_USER_MANAGE)
    job = jobs.select_related("requested_by", "tenant__customer").get(id=import_id)
    customer = job.tenant.customer
    requester = job.requested_by
    while job.next_row < len(job.rows):
        index = job.next_row
        line, upn, name, location = job.rows[index]
        hashed = hash_password(None, upn=upn, display_name=name)  # before the row's transaction
        # Durable: a row's user and the job's progress are committed when this block ends, never
        # held in a caller's transaction that a crash would lose with the rows before it.
        with transaction.atomic(durable=True):
            job = jobs.select_for_update().get(id=import_id)
            if job.next_row != index:
                continue  # another worker did this row meanwhile
            job.status = UserImport.Status.RUNNING
            try:
                if requester is None or not requester.is_active or requester.deleted_at is not None:
                    raise NotFound(errors.IMPORT_REQUESTER_GONE)
                with transaction.atomic():
                    created = customer_user_create(
                        actor=principal_for(requester),
                        customer_id=customer.id,
                        new=NewUser(upn=upn, display_name=name, usage_location=location, password=hashed),
                    )
            except DomainError as e:
                job.refused.append([line, upn, e.code, {k: str(v) for k, v in e.params.items()}])
            else:
                job.created.append([line, created.user.upn, hashed.plain])
            job.next_row = index + 1
            if job.next_row == len(job.rows):
                job.status, job.finished_at = UserImport.Status.DONE, clock.now()
            job.save(update_fields=["next_row", "created", "refused", "status", "finished_at"])
    if job.status != UserImport.Status.DONE:  # an import of no rows
        jobs.filter(id=import_id).update(status=UserImport.Status.DONE, finished_at=clock.now())
        job.refresh_from_db()
    return job


@dataclass(frozen=True)
class ImportProgress:
    job: UserImport
    report: ImportReport  # the rows done so far; reasons in the reader's language


def user_import_read(*, actor: Principal, customer_id: uuid.UUID, import_id: uuid.UUID) -> ImportProgress:
    """A job's progress and report. The temporary passwords are in the first read of the finished
    report only; it clears them, in the same transaction."""
    from hanse.errors import REGISTRY

    _customer(actor, customer_id)
    with transaction.atomic():
        job = (
            scoped(UserImport.objects.select_for_update(), actor, Action.CUSTOMER_USER_MANAGE)
            .filter(id=import_id, tenant__customer__id=customer_id)
            .first()
        )
        if job is None:
            raise NotFound(errors.IMPORT_NOT_FOUND)
        report = ImportReport(
            created=[(line, upn, password) for line, upn, password in job.created],
            refused=[
                (line, upn, DomainError(REGISTRY[code], **params).description)
                for line, upn, code, params in job.refused
            ],
        )
        if job.status == UserImport.Status.DONE and job.passwords_shown_at is None:
            job.passwords_shown_at = clock.now()
            job.created = [[line, upn, None] for line, upn, _password in job.created]
            job.save(update_fields=["passwords_shown_at", "created"])
    return ImportProgress(job=job, report=report)
