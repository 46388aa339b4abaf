"""Each decision on an access request (approve, deny, revoke) is a note signed with the instance's
Ed25519 key, covering the request, the decision, the approver and the time (docs/audit.md §8)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from hanse.audit import keys, notes
from hanse.audit.export import export_log
from hanse.audit.offline import verify_export
from hanse.audit.signing import decision_fields, decision_verifies
from hanse.trustee import services
from hanse.trustee.models import AccessRequest
from tests.audit import spec_verifier
from tests.conftest import principal_of
from tests.trustee.conftest import World
from tests.trustee.test_grants import approve, file
from tests.trustee.test_pages import signed_in


def test_approve_deny_and_revoke_are_signed_and_the_signature_covers_what_was_decided(
    world: World, swap_instance: Any, tmp_path: Path
) -> None:
    w = world
    swap_instance(data_dir=tmp_path)
    granted = approve(w.officer, file(w))
    (decision,) = granted.decisions.all()
    fields = decision_fields(decision.signature)
    assert fields["request"] == str(granted.id) and fields["customer"] == str(w.a.tenant_id)
    assert fields["decision"] == "approve" and fields["party"] == "trustee"
    assert fields["approver"] == f"{w.officer.upn} {w.officer.id}"
    assert fields["access"] == "users read 2h" and fields["reason"] == "customer_support"
    assert fields["time"] == decision.at.isoformat(timespec="microseconds")
    assert decision_verifies(decision.signature)
    _, signers = notes.open_note(decision.signature, keys.verifiers())
    assert signers == [keys.signer().verifier]

    denied = services.access_request_decide(
        actor=principal_of(w.officer), request_id=file(w).id, approve=False, note="Not for this case."
    )
    assert decision_fields(denied.decisions.get().signature)["decision"] == "deny"
    revoked = services.access_request_revoke(
        actor=principal_of(w.officer), request_id=granted.id, note="Done"
    )
    assert decision_fields(revoked.end_signature)["decision"] == "revoke"
    assert decision_verifies(revoked.end_signature)

    # Changing what was decided breaks the signature.
    forged = decision.signature.replace("decision approve", "decision deny")
    assert not decision_verifies(forged)

    # Every signed decision goes into the export, and both verifiers check it.
    out = tmp_path / "export"
    export_log().write(out)
    assert verify_export(out).decisions == 3
    assert spec_verifier.verify_export(out)["decisions"] == 3


def test_the_request_page_shows_each_decision_verified(
    world: World, swap_instance: Any, tmp_path: Path
) -> None:
    w = world
    swap_instance(data_dir=tmp_path, mfa_required_roles=())
    req = approve(w.officer, file(w))
    page = signed_in(w.officer).get(f"/access/{req.id}/").content.decode()
    assert 'data-testid="decision-signature" data-signed="yes"' in page
    # A signature rewritten in the database no longer verifies, and the page says so.
    decision = req.decisions.get()
    type(decision).objects.filter(pk=decision.pk).update(signature=decision.signature.replace("2h", "8h"))
    page = signed_in(w.officer).get(f"/access/{req.id}/").content.decode()
    assert 'data-testid="decision-signature" data-signed="no"' in page
    assert AccessRequest.objects.filter(id=req.id).exists()


def test_the_trustee_portal_shows_the_logs_verification_and_its_witness(
    world: World, swap_instance: Any, tmp_path: Path
) -> None:
    from hanse.audit import services as audit
    from tests.audit.test_witness import rewrite_record

    w = world
    swap_instance(data_dir=tmp_path, mfa_required_roles=())
    portal = signed_in(w.officer)
    assert 'data-testid="log-verdict">' in portal.get("/access/").content.decode()  # none signed yet
    checkpoint = audit.checkpoint_write()
    page = portal.get("/access/").content.decode()
    assert 'data-intact="yes"' in page and f"{checkpoint.size} records" in page
    assert 'data-testid="log-cosigners">no witness yet' in page
    rewrite_record(2)
    page = portal.get("/access/").content.decode()
    assert 'data-intact="no"' in page and 'role="alert"' in page
    # The customer's admin does not see the log's evidence, only its own records' download.
    mine = signed_in(w.admin_a).get("/access/").content.decode()
    assert 'data-testid="log-status"' not in mine and 'data-testid="download-records"' in mine


def test_a_customers_admin_downloads_its_own_records_with_their_proofs(
    world: World, swap_instance: Any, tmp_path: Path
) -> None:
    w = world
    swap_instance(data_dir=tmp_path, mfa_required_roles=())
    approve(w.officer, file(w))  # a decision about customer A, signed
    client = signed_in(w.admin_a)
    assert client.get("/audit/mine.zip").status_code == 405
    response = client.post("/audit/mine.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path / "mine")
    result = verify_export(tmp_path / "mine")
    assert result.scope == "tenant" and result.records == result.inclusion > 0 and result.decisions == 1
    assert spec_verifier.verify_export(tmp_path / "mine")["records"] == result.records
    lines = (tmp_path / "mine" / "records.jsonl").read_text().splitlines()
    assert all(f'"tenant_id": "{w.a.tenant_id}"' in line for line in lines)  # its own, and no other's
    assert signed_in(w.operator).post("/audit/mine.zip").status_code == 403
