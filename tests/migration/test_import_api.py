"""The target's import API (docs/migration.md): only a peer's token of the ``migration`` scope,
for the partner that linked it; a batch applied once whatever is sent again; a stale attempt, a
taken user name or domain refused with nothing written; cutover only on the verified checksum;
a rollback removes everything; another partner's import is not found."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from oauth2_provider.models import AccessToken, Application, set_token_value

from hanse import clock
from hanse.access.roles import Role
from hanse.audit import merkle, notes
from hanse.commerce.models import Subscription
from hanse.customers.models import Customer
from hanse.directory.models import Tenant, User
from hanse.licensing.models import LicenceAssignment
from hanse.migration import errors
from hanse.migration.canonical import Summary
from hanse.migration.models import ImportBatch, ImportedObject
from tests.api.test_conventions import assert_error
from tests.audit.tamper import chain_hash as tamper_chain_hash
from tests.conftest import ApiClient

CID = str(uuid.uuid4())
AUDIT_ID = str(uuid.uuid4())
NOW = "2026-11-01T10:00:00.000000+00:00"
HASH = "argon2$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"


def items(domain: str = "arriving.example", upn: str = "ada@arriving.example") -> list[dict[str, Any]]:
    billing = {
        f: ""
        for f in (
            "first_name",
            "last_name",
            "email",
            "culture",
            "language",
            "billing_company_name",
            "city",
            "postal_code",
            "address_line1",
            "address_line2",
            "address_line3",
            "address_region",
            "address_state",
            "phone_number",
        )
    }
    billing["country"] = "DE"
    return [
        {
            "kind": "customer",
            "id": CID,
            "domain": domain,
            "tenantName": "Arriving",
            "companyName": "Arriving GmbH",
            "createdAt": NOW,
            "billing": billing,
        },
        {
            "kind": "user",
            "id": "u1",
            "upn": upn,
            "displayName": "Ada",
            "firstName": "Ada",
            "lastName": "L",
            "isActive": True,
            "usageLocation": "DE",
            "mustChangePassword": False,
            "passwordHash": HASH,
            "createdAt": NOW,
            "deletedAt": None,
            "roles": ["customer_global_admin"],
            "totp": [
                {
                    "name": "authenticator",
                    "key": "3132333435363738393031323334353637383930",
                    "confirmed": True,
                    "digits": 6,
                    "step": 30,
                    "t0": 0,
                    "tolerance": 1,
                }
            ],
        },
        {
            "kind": "subscription",
            "id": "s1",
            "orderId": "o1",
            "orderCreatedAt": NOW,
            "orderCreatedBy": "seller@partner.example",
            "line": 0,
            "offer": "ENTERPRISE-E3",
            "friendlyName": "E3",
            "quantity": 5,
            "status": "active",
            "autoRenew": True,
            "isTrial": False,
            "billingCycle": "monthly",
            "term": "P1M",
            "unitPrice": "32.00",
            "currency": "EUR",
            "createdAt": NOW,
            "updatedAt": NOW,
            "cancelledAt": None,
        },
        {"kind": "licence", "id": "l1", "user": "u1", "sku": "ENTERPRISE-E3", "assignedAt": NOW},
        *history(),
    ]


SOURCE_KEY = notes.Signer("hanse/de/audit", Ed25519PrivateKey.from_private_bytes(b"\x07" * 32))


def history(*, tamper: bool = False) -> list[dict[str, Any]]:
    """The source's log of 8 records, the 7th of them the customer's: that record with its proof
    in the source's signed checkpoint, as the source exports it (docs/audit.md §9)."""
    lines, prev = [], "0" * 64
    for seq in range(1, 9):
        body = {
            "seq": seq,
            "at": NOW,
            "action": "customer.import" if seq == 7 else "other",
            "actor_upn": "seed",
        }
        digest = tamper_chain_hash(prev, body)
        lines.append({"seq": seq, "prev_hash": prev, "hash": digest, "body": body})
        prev = digest
    tree = merkle.Tree([merkle.leaf_hash(bytes.fromhex(x["hash"])) for x in lines])
    note = notes.sign(notes.Checkpoint("hanse/de/audit", 8, tree.root()).body, SOURCE_KEY)
    mine = lines[6]
    record = {**mine["body"], "actor_upn": "someone else"} if tamper else mine["body"]
    return [
        {
            "kind": "audit",
            "id": AUDIT_ID,
            "seq": 7,
            "hash": mine["hash"],
            "prev_hash": mine["prev_hash"],
            "record": record,
            "path": [base64.b64encode(h).decode() for h in tree.inclusion(6)],
        },
        {"kind": "checkpoint", "id": "8", "note": note, "keys": [SOURCE_KEY.verifier.vkey]},
    ]


def batch(
    attempt: int = 1, index: int = 0, content: list[dict[str, Any]] | None = None, batch_id: str | None = None
) -> dict[str, Any]:
    return {
        "batch": batch_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{attempt}:{index}")),
        "attempt": attempt,
        "index": index,
        "total": 1,
        "source": "de",
        "items": content if content is not None else items(),
    }


def peer_client(user: User, scope: str = "openid migration") -> ApiClient:
    app = Application.objects.filter(name="de").first() or Application.objects.create(
        name="de",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="http://127.0.0.1:9/cb",
        algorithm="RS256",
    )
    raw = secrets.token_urlsafe(24)
    token = AccessToken(user=user, application=app, scope=scope, expires=clock.now() + timedelta(hours=1))
    set_token_value(token, raw)
    token.save()
    return ApiClient(raw)


@pytest.fixture
def peer(partner, admin, offers) -> ApiClient:
    return peer_client(admin)


def test_only_a_peers_migration_token_imports_and_it_does_nothing_else(partner, admin, offers, api_for):
    assert_error(
        peer_client(admin, "openid partner").post_json(f"/v1/migrationimports/{CID}/batches", batch()),
        403,
        3001,
    )
    assert_error(api_for(admin).post_json(f"/v1/migrationimports/{CID}/batches", batch()), 403, 3001)
    p = peer_client(admin)
    assert_error(p.get("/v1/customers"), 403, 3001)
    assert p.post_json(f"/v1/migrationimports/{CID}/batches", batch()).status_code == 200


def test_a_peer_token_of_a_user_no_longer_global_admin_is_not_accepted(partner, make_user, offers):
    agent = make_user(partner.tenant, Role.ADMIN_AGENT)
    assert_error(peer_client(agent).post_json(f"/v1/migrationimports/{CID}/batches", batch()), 401)


def test_a_batch_is_applied_once_however_often_it_is_sent(peer, partner):
    first = peer.post_json(f"/v1/migrationimports/{CID}/batches", batch())
    assert first.json() == {"batch": batch()["batch"], "applied": 6, "replay": False}
    again = peer.post_json(f"/v1/migrationimports/{CID}/batches", batch())
    assert again.status_code == 200 and again.json()["replay"] is True
    customer = Customer.objects.get(id=CID)
    assert customer.partner_id == partner.account.id and customer.tenant.state == Tenant.State.ARRIVING
    assert (
        User.objects.filter(tenant_id=CID).count() == 1
        and Subscription.objects.filter(customer_id=CID).count() == 1
    )
    assert LicenceAssignment.objects.filter(customer_id=CID).count() == 1 and ImportBatch.objects.count() == 1
    user = User.objects.get(tenant_id=CID)
    assert user.password == HASH and user.upn == "ada@arriving.example"
    # The same objects under a new batch id: found by their source ids, not created twice.
    peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(index=1))
    assert (
        User.objects.filter(tenant_id=CID).count() == 1
        and ImportedObject.objects.filter(kind="user").count() == 1
    )
    other = items()
    other[1]["displayName"] = "Changed"
    assert_error(
        peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(content=other)),
        409,
        errors.IMPORT_BATCH_REUSED.code,
    )


def test_a_batchs_statements_do_not_grow_with_its_objects(peer):
    """Its new rows go in with one insert a table: five users, subscriptions and licences cost
    what one of each costs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def sent(n: int) -> int:
        cid = str(uuid.uuid4())
        content = items(domain=f"{cid[:8]}.example")
        customer, user, sub, licence = content[:4]
        customer["id"] = cid
        users = [{**user, "id": f"u{i}", "upn": f"u{i}@{cid[:8]}.example"} for i in range(n)]
        subs = [{**sub, "id": f"s{i}", "line": i} for i in range(n)]
        licences = [{**licence, "id": f"l{i}", "user": f"u{i}"} for i in range(n)]
        with CaptureQueriesContext(connection) as ran:
            r = peer.post_json(
                f"/v1/migrationimports/{cid}/batches",
                batch(content=[customer, *users, *subs, *licences], batch_id=str(uuid.uuid4())),
            )
        assert r.status_code == 200 and r.json()["applied"] == 1 + 3 * n, r.content
        assert User.objects.filter(tenant_id=cid).count() == n
        assert LicenceAssignment.objects.filter(customer_id=cid, user__tenant_id=cid).count() == n
        return len(ran.captured_queries)

    sent(1)  # the first request of the token reads what the next ones keep
    assert sent(5) == sent(1)


def test_the_summary_is_the_sources_canonical_form_and_cutover_needs_it(peer):
    peer.post_json(f"/v1/migrationimports/{CID}/batches", batch())
    summary = peer.get(f"/v1/migrationimports/{CID}").json()
    expected = Summary.of(items())
    assert summary["checksum"] == expected.checksum and summary["digests"] == expected.digests
    assert summary["counts"] == {
        "customer": 1,
        "user": 1,
        "subscription": 1,
        "licence": 1,
        "audit": 1,
        "checkpoint": 1,
    }
    assert_error(
        peer.post_json(f"/v1/migrationimports/{CID}/cutover", {"attempt": 1, "checksum": "0" * 64}),
        409,
        errors.CUTOVER_CHECKSUM.code,
    )
    assert Tenant.objects.get(id=CID).state == Tenant.State.ARRIVING
    done = peer.post_json(
        f"/v1/migrationimports/{CID}/cutover", {"attempt": 1, "checksum": expected.checksum}
    )
    assert done.json()["status"] == "active" and Tenant.objects.get(id=CID).state == Tenant.State.ACTIVE
    assert (
        peer.post_json(
            f"/v1/migrationimports/{CID}/cutover", {"attempt": 1, "checksum": expected.checksum}
        ).status_code
        == 200
    )
    assert_error(peer.delete(f"/v1/migrationimports/{CID}?attempt=1"), 409, errors.IMPORT_CUT_OVER.code)
    assert_error(
        peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(index=2)),
        409,
        errors.IMPORT_CUT_OVER.code,
    )


def test_the_verification_and_the_cutover_read_the_summary_the_last_batch_left(peer):
    """The last batch digests the rows it wrote, read back; until another batch comes, nothing
    else writes the arriving customer, so neither the summary nor the cutover digests again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    peer.post_json(f"/v1/migrationimports/{CID}/batches", batch())
    with CaptureQueriesContext(connection) as ran:
        summary = peer.get(f"/v1/migrationimports/{CID}").json()
        done = peer.post_json(
            f"/v1/migrationimports/{CID}/cutover", {"attempt": 1, "checksum": summary["checksum"]}
        )
    assert summary["checksum"] == Summary.of(items()).checksum and summary["counts"]["user"] == 1
    assert done.json()["status"] == "active", done.content
    assert not [q for q in ran.captured_queries if 'FROM "directory_user"' in q["sql"]]
    # Live now, the customer may change: its summary is read from the rows again.
    User.objects.filter(tenant_id=CID).update(display_name="Ada, live")
    assert peer.get(f"/v1/migrationimports/{CID}").json()["checksum"] != summary["checksum"]


def test_a_batch_after_the_verification_is_digested_at_cutover(peer):
    peer.post_json(f"/v1/migrationimports/{CID}/batches", batch())
    verified = peer.get(f"/v1/migrationimports/{CID}").json()["checksum"]
    changed = items()
    changed[1]["displayName"] = "Ada Changed"
    assert peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(index=1, content=changed)).json()[
        "applied"
    ]
    assert_error(
        peer.post_json(f"/v1/migrationimports/{CID}/cutover", {"attempt": 1, "checksum": verified}),
        409,
        errors.CUTOVER_CHECKSUM.code,
    )
    assert Tenant.objects.get(id=CID).state == Tenant.State.ARRIVING
    now = peer.get(f"/v1/migrationimports/{CID}").json()["checksum"]
    assert now == Summary.of(changed).checksum != verified
    done = peer.post_json(f"/v1/migrationimports/{CID}/cutover", {"attempt": 1, "checksum": now})
    assert done.json()["status"] == "active"


def test_a_rollback_removes_everything_and_refuses_the_attempts_late_batches(peer):
    from hanse.access.principal import system_principal
    from hanse.customers import counts

    peer.post_json(f"/v1/migrationimports/{CID}/batches", batch())
    partner_id = Customer.objects.get(id=CID).partner_id
    assert counts.of(system_principal("test"), partner_id) == 1  # the arriving customer is the partner's
    assert peer.delete(f"/v1/migrationimports/{CID}?attempt=1").json()["status"] == "removed"
    assert counts.of(system_principal("test"), partner_id) == 0
    assert not Customer.objects.filter(id=CID).exists() and not Tenant.objects.filter(id=CID).exists()
    assert (
        not User.objects.filter(upn="ada@arriving.example").exists() and not ImportedObject.objects.exists()
    )
    assert_error(
        peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(index=1)), 409, errors.IMPORT_STALE.code
    )
    assert peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(attempt=2)).json()["applied"] == 6
    assert User.objects.filter(tenant_id=CID).count() == 1
    assert counts.of(system_principal("test"), partner_id) == Customer.objects.count() == 1


def test_a_new_attempt_starts_from_nothing_and_an_older_one_is_stale(peer):
    peer.post_json(f"/v1/migrationimports/{CID}/batches", batch())
    changed = items()
    changed[2]["quantity"] = 9
    peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(attempt=2, content=changed))
    assert list(Subscription.objects.filter(customer_id=CID).values_list("quantity", flat=True)) == [9]
    assert_error(
        peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(attempt=1, index=3)),
        409,
        errors.IMPORT_STALE.code,
    )


def test_a_taken_user_name_or_domain_refuses_the_batch_and_writes_nothing(peer, make_tenant, make_user):
    elsewhere = make_tenant("customer", "schon-da.example")
    User.objects.create(
        tenant=elsewhere, upn="ada@arriving.example", display_name="Other Ada", created_at=clock.now()
    )
    assert_error(
        peer.post_json(f"/v1/migrationimports/{CID}/batches", batch()), 409, errors.IMPORT_UPN_TAKEN.code
    )
    assert not Customer.objects.filter(id=CID).exists() and not ImportBatch.objects.exists()
    assert_error(
        peer.post_json(
            f"/v1/migrationimports/{CID}/batches",
            batch(content=items(domain="schon-da.example", upn="x@schon-da.example")),
        ),
        409,
        errors.IMPORT_DOMAIN_TAKEN.code,
    )
    check = peer.post_json(
        "/v1/migrationimports/check",
        {
            "offers": ["ENTERPRISE-E3", "NOPE"],
            "customers": [
                {
                    "id": CID,
                    # Names differ from the stored ones only in case: still taken.
                    "domain": "Schon-Da.example",
                    "users": ["Ada@Arriving.example", "free@arriving.example"],
                }
            ],
        },
    ).json()
    assert check == {
        "unknownOffers": ["NOPE"],
        "customers": {CID: {"domainTaken": True, "takenUsers": ["ada@arriving.example"]}},
    }


def test_a_history_that_is_not_in_the_sources_checkpoint_refuses_the_batch_and_writes_nothing(peer):
    from hanse.migration.models import ImportedAuditRecord

    content = [*items()[:-2], *history(tamper=True)]
    refused = peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(content=content))
    assert_error(refused, 400, errors.IMPORT_INVALID.code)
    assert "record #7" in refused.json()["description"]
    assert not Customer.objects.filter(id=CID).exists() and not ImportedAuditRecord.objects.exists()
    assert peer.post_json(f"/v1/migrationimports/{CID}/batches", batch()).status_code == 200
    kept = ImportedAuditRecord.objects.get()
    assert kept.path and kept.imported.source_checkpoint.startswith("hanse/de/audit\n8\n")


def test_another_partners_import_is_not_found(peer, make_partner, make_user):
    peer.post_json(f"/v1/migrationimports/{CID}/batches", batch())
    other = make_partner("anderer-partner.example")
    theirs = peer_client(make_user(other.tenant, Role.GLOBAL_ADMIN))
    assert_error(theirs.get(f"/v1/migrationimports/{CID}"), 404, errors.IMPORT_NOT_FOUND.code)
    assert_error(
        theirs.post_json(f"/v1/migrationimports/{CID}/cutover", {"attempt": 1, "checksum": "0" * 64}),
        404,
        errors.IMPORT_NOT_FOUND.code,
    )


def test_bad_batches_are_refused_with_the_error_body(peer):
    for body in (
        {"batch": "x", "attempt": 1, "index": 0, "total": 1, "items": []},
        {**batch(), "extra": 1},
        batch(content=[{"kind": "planet", "id": "p"}]),
    ):
        r = peer.post_json(f"/v1/migrationimports/{CID}/batches", body)
        assert r.status_code == 400 and r.json()["source"] == "hanse"
    broken = items()
    del broken[1]["upn"]
    assert_error(
        peer.post_json(f"/v1/migrationimports/{CID}/batches", batch(content=broken)),
        400,
        errors.IMPORT_INVALID.code,
    )
    assert not Customer.objects.filter(id=CID).exists()
