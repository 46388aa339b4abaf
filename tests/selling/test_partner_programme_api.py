"""The partner agreement and the account states: pending -> active -> suspended (and back)."""

from __future__ import annotations

import pytest

from hanse.access.roles import Role
from hanse.audit.models import AuditRecord
from hanse.partners import agreement
from hanse.partners.models import AgreementSignature, PartnerAccount
from tests.api.test_conventions import assert_error


@pytest.fixture
def pending(make_partner):
    return make_partner(state=PartnerAccount.State.PENDING)


@pytest.fixture
def operator(make_tenant, make_user, api_for):
    return api_for(make_user(make_tenant("provider"), Role.OPERATOR), REMOTE_ADDR="203.0.113.7")


def test_agreement_text_in_each_language(pending, make_user, api_for):
    client = api_for(make_user(pending.tenant, Role.SALES_AGENT))
    texts = {
        lang: client.get("/v1/agreement", headers={"X-Locale": lang}).json() for lang in ("en", "de", "fr")
    }
    assert texts["en"]["version"] == agreement.VERSION and not texts["en"]["signed"]
    assert "AGREEMENT" in texts["en"]["text"] and "VEREINBARUNG" in texts["de"]["text"]
    assert "CONTRAT" in texts["fr"]["text"]


def test_global_admin_signs_and_it_is_recorded(pending, make_user, api_for):
    admin = make_user(pending.tenant, Role.GLOBAL_ADMIN)
    client = api_for(admin, REMOTE_ADDR="198.51.100.4")
    r = client.post_json(
        "/v1/agreement/signatures", {"name": "Greta Admin", "email": "greta@partner.example"}
    )
    assert r.status_code == 201 and r.json()["signed"] and r.json()["signedBy"] == "Greta Admin"
    sig = AgreementSignature.objects.get()
    assert (sig.version, sig.signer_email, sig.signer_user_id, sig.client_address) == (
        agreement.VERSION,
        "greta@partner.example",
        admin.id,
        "198.51.100.4",
    )
    rec = AuditRecord.objects.get(action="partner.agreement_sign")
    assert rec.after["name"] == "Greta Admin" and rec.after["clientAddress"] == "198.51.100.4"
    assert_error(
        client.post_json("/v1/agreement/signatures", {"name": "Greta Admin", "email": "g@p.example"}),
        409,
        5007,
    )


@pytest.mark.parametrize("role", [Role.SALES_AGENT, Role.ADMIN_AGENT, Role.BILLING_ADMIN])
def test_only_global_admin_signs(pending, make_user, api_for, role):
    r = api_for(make_user(pending.tenant, role)).post_json(
        "/v1/agreement/signatures", {"name": "X Y", "email": "x@y.example"}
    )
    assert_error(r, 403, 3001)
    assert not AgreementSignature.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A", "email": "a@b.example"},
        {"name": "Anna B", "email": "nope"},
        {"name": "\u0085\f", "email": "a@b.example"},  # white space only, in Unicode's sense
        {"name": " A ", "email": "a@b.example"},
    ],
)
def test_bad_signer_is_400(pending, make_user, api_for, body):
    r = api_for(make_user(pending.tenant, Role.GLOBAL_ADMIN)).post_json("/v1/agreement/signatures", body)
    assert_error(r, 400)
    assert not AgreementSignature.objects.exists()
    assert not AuditRecord.objects.filter(action="partner.agreement_sign").exists()


def test_operator_activates_only_after_signing(pending, make_user, api_for, operator):
    assert_error(
        operator.patch(
            f"/v1/partners/{pending.account.id}", data={"state": "active"}, content_type="application/json"
        ),
        409,
        5005,
    )
    api_for(make_user(pending.tenant, Role.GLOBAL_ADMIN)).post_json(
        "/v1/agreement/signatures", {"name": "Greta Admin", "email": "greta@partner.example"}
    )
    r = operator.patch(
        f"/v1/partners/{pending.account.id}", data={"state": "active"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["state"] == "active"
    # A suspension says why, and the partner reads it in its profile.
    assert_error(
        operator.patch(
            f"/v1/partners/{pending.account.id}", data={"state": "suspended"}, content_type="application/json"
        ),
        400,
        5010,
    )
    reason = {"state": "suspended", "reason": "Unpaid invoices since September."}
    s = operator.patch(f"/v1/partners/{pending.account.id}", data=reason, content_type="application/json")
    assert s.json()["state"] == "suspended" and s.json()["suspensionReason"] == reason["reason"]
    profile = api_for(make_user(pending.tenant, Role.GLOBAL_ADMIN)).get("/v1/profiles/partner").json()
    assert profile["suspensionReason"] == reason["reason"]
    back = operator.patch(
        f"/v1/partners/{pending.account.id}", data={"state": "active"}, content_type="application/json"
    )
    assert back.json()["state"] == "active" and back.json()["suspensionReason"] is None
    actions = list(
        AuditRecord.objects.filter(target_type="PartnerAccount", action__startswith="partner.")
        .exclude(action__in=["partner.create", "partner.agreement_sign"])
        .values_list("action", flat=True)
    )
    assert actions == ["partner.activated", "partner.suspended", "partner.reactivated"]


def test_auto_activation_setting(pending, make_user, api_for, swap_instance):
    swap_instance(auto_activate_partners=True)
    api_for(make_user(pending.tenant, Role.GLOBAL_ADMIN)).post_json(
        "/v1/agreement/signatures", {"name": "Greta Admin", "email": "greta@partner.example"}
    )
    pending.account.refresh_from_db()
    assert pending.account.state == "active" and pending.account.activated_at is not None


def test_partners_cannot_operate(partner, make_user, api_for):
    client = api_for(make_user(partner.tenant, Role.GLOBAL_ADMIN))
    assert_error(client.get("/v1/partners"), 403, 3001)
    assert_error(
        client.patch(
            f"/v1/partners/{partner.account.id}", data={"state": "suspended"}, content_type="application/json"
        ),
        403,
        3001,
    )


def test_operator_lists_partners_and_bad_state_is_400(partner, operator):
    assert str(partner.account.id) in {p["id"] for p in operator.get("/v1/partners").json()}
    assert_error(
        operator.patch(
            f"/v1/partners/{partner.account.id}", data={"state": "frozen"}, content_type="application/json"
        ),
        400,
        1001,
    )
    import uuid

    assert_error(
        operator.patch(
            f"/v1/partners/{uuid.uuid4()}", data={"state": "active"}, content_type="application/json"
        ),
        404,
        5001,
    )
