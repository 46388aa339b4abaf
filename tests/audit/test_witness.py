"""The trustee as witness (docs/audit.md §7): it co-signs checkpoints it found consistent, refuses
an inconsistent one, and catches an operator who rewrote history in the database."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client

from hanse.audit import keys, notes, witness
from hanse.audit import services as audit
from hanse.audit.models import AuditHead, AuditRecord, Checkpoint, Cosignature
from hanse.audit.offline import verify_export
from tests.audit import tamper
from tests.audit.test_log import _export, _write

URL = "http://127.0.0.1"


def rewrite_record(seq: int) -> None:
    """What the issue's attacker does: change record ``seq``, recompute the hashes of it and of every
    record after it, and the head, straight in the database (update() goes around save())."""
    from hanse.audit.export import record_line

    lines = [record_line(r) for r in AuditRecord.objects.order_by("seq")]
    lines[seq - 1]["body"]["after"] = {"rewritten": True}
    for line in tamper.rechain(lines)[seq - 1 :]:
        AuditRecord.objects.filter(seq=line["seq"]).update(
            after=line["body"]["after"], prev_hash=line["prev_hash"], hash=line["hash"]
        )
    AuditHead.objects.filter(id=1).update(hash=line["hash"])


@pytest.fixture
def trustee(db: None, swap_instance: Any, tmp_path: Path) -> witness.WitnessConfig:
    """A witness with its own key, known to the instance."""
    cfg = witness.WitnessConfig(name="trustee.example/witness", state_dir=tmp_path / "witness")
    instance = swap_instance(data_dir=tmp_path / "data")
    vkey = witness.signer(cfg).verifier.vkey
    swap_instance(audit=dataclasses.replace(instance.audit, witnesses=(vkey,)))
    _write(3)
    return cfg


def in_process(request: httpx.Request) -> httpx.Response:
    """This test's instance answers, through Django's test client (which keeps the test's database
    connection open, where a bare WSGI handler closes it after each request)."""
    path = request.url.path + (f"?{request.url.query.decode()}" if request.url.query else "")
    answer = Client().generic(
        request.method, path, data=request.content, content_type=request.headers.get("Content-Type", "")
    )
    return httpx.Response(
        answer.status_code, content=answer.content, headers={"Content-Type": answer["Content-Type"]}
    )


def http() -> httpx.Client:
    """The witness's HTTP client, talking to this test's instance in-process."""
    return httpx.Client(transport=httpx.MockTransport(in_process), base_url=URL)


def test_the_witness_cosigns_and_the_instance_keeps_the_cosignature(trustee: witness.WitnessConfig) -> None:
    first = witness.run(trustee, URL, client=http(), now=1_790_000_000)
    assert first.previous is None and first.published and first.size == 3
    cosig = Cosignature.objects.get(checkpoint__size=3)
    assert cosig.witness == "trustee.example/witness" and int(cosig.signed_at.timestamp()) == 1_790_000_000
    served = Client().get("/v1/auditlog/checkpoint").content.decode()
    body, signatures = notes.split(served)
    assert [s.name for s in signatures] == ["hanse/test/audit", "trustee.example/witness"]
    me = witness.signer(trustee).verifier
    assert notes.check_cosignature(body, signatures[1], me) == 1_790_000_000
    # The log grew (the cosignature is itself audited): the next run proves consistency and cosigns.
    _write(2)
    second = witness.run(trustee, URL, client=http())
    assert second.previous == 3 and second.size > 3 and second.published
    assert verify_export(_export(trustee.state_dir.parent)).witnesses == {"trustee.example/witness"}


def test_a_cosignature_by_a_stranger_or_over_other_bytes_is_refused(trustee: witness.WitnessConfig) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    checkpoint = audit.checkpoint_write()
    body = checkpoint.note[: checkpoint.note.rfind("\n\n") + 1]
    stranger = notes.Signer(
        "trustee.example/witness", Ed25519PrivateKey.generate(), kind=notes.COSIGNATURE_V1
    )
    client = Client()
    path = f"/v1/auditlog/checkpoints/{checkpoint.size}/cosignatures"
    refused = client.post(path, notes.cosign(body, stranger, 5).line, content_type="text/plain")
    assert refused.status_code == 403 and refused.json()["code"] == 9706
    me = witness.signer(trustee)
    other = notes.cosign(body.replace("\n3\n", "\n4\n"), me, 5)  # signed over another tree size
    bad = client.post(path, other.line, content_type="text/plain")
    assert bad.status_code == 400 and bad.json()["code"] == 9707
    assert not Cosignature.objects.exists()
    good = client.post(path, notes.cosign(body, me, 5).line, content_type="text/plain")
    assert good.status_code == 201 and Cosignature.objects.count() == 1


def lying(serve: dict[str, str]) -> httpx.Client:
    """An instance that answers some paths with what ``serve`` says (signed with its real key, as
    whoever controls the server could), and the rest as the real one does."""

    def handle(request: httpx.Request) -> httpx.Response:
        answer = serve.get(f"{request.method} {request.url.path}")
        if answer is None:
            return in_process(request)
        return httpx.Response(200, text=answer, headers={"Content-Type": "text/plain"})

    return httpx.Client(transport=httpx.MockTransport(handle), base_url=URL)


def test_the_witness_refuses_a_fork_of_what_it_cosigned(trustee: witness.WitnessConfig) -> None:
    first = witness.run(trustee, URL, client=http())
    fork = notes.Checkpoint("hanse/test/audit", first.size, b"\x01" * 32)
    served = {"POST /v1/auditlog/checkpoint": notes.sign(fork.body, keys.signer())}
    with pytest.raises(witness.Inconsistent, match="fork"):
        witness.run(trustee, URL, client=lying(served))
    assert Cosignature.objects.count() == 1  # only the first, genuine one


def test_the_witness_refuses_a_checkpoint_that_does_not_extend_what_it_cosigned(
    trustee: witness.WitnessConfig,
) -> None:
    first = witness.run(trustee, URL, client=http())
    larger = notes.Checkpoint("hanse/test/audit", first.size + 5, b"\x02" * 32)
    served = {"POST /v1/auditlog/checkpoint": notes.sign(larger.body, keys.signer())}
    Checkpoint.objects.create(  # so that the real instance answers the proof request
        size=larger.size,
        root=larger.root.hex(),
        note=served["POST /v1/auditlog/checkpoint"],
        key_id="x",
        at=first_at(),
    )
    _write(10)
    with pytest.raises(witness.Inconsistent, match="not an extension"):
        witness.run(trustee, URL, client=lying(served))
    assert Cosignature.objects.count() == 1


def first_at() -> Any:
    from hanse import clock

    return clock.now()


def test_an_operator_who_rewrites_history_is_caught_at_the_witness_next_run(
    trustee: witness.WitnessConfig,
) -> None:
    witness.run(trustee, URL, client=http())
    _write(2)
    rewrite_record(2)
    # The instance's own check refuses to sign the rewritten log, and the witness reports it.
    with pytest.raises(witness.Inconsistent, match="9705"):
        witness.run(trustee, URL, client=http())
    # An operator who also deletes the checkpoints, so that the instance signs the rewritten log
    # afresh, is caught by the consistency proof against what the witness co-signed.
    Cosignature.objects.all().delete()
    Checkpoint.objects.all().delete()
    with pytest.raises(witness.Inconsistent, match="not an extension"):
        witness.run(trustee, URL, client=http())
    # The witness kept what it co-signed: every later run fails too.
    with pytest.raises(witness.Inconsistent):
        witness.run(trustee, URL, client=http())


def test_the_witness_config_and_key(tmp_path: Path) -> None:
    config = tmp_path / "trustee.toml"
    config.write_text('[witness]\nname = "trustee.example/witness"\nstate_dir = "state"\n')
    cfg = witness.load_config(config)
    assert cfg.state_dir == tmp_path / "state"
    vkey = witness.signer(cfg).verifier.vkey
    assert vkey.startswith("trustee.example/witness+") and notes.parse_vkey(vkey).kind == notes.COSIGNATURE_V1
    assert (tmp_path / "state" / witness.KEY_FILE).stat().st_mode & 0o777 == 0o600
    config.write_text('[witness]\nname = "has space"\n')
    with pytest.raises(witness.WitnessError, match=r"witness\.name"):
        witness.load_config(config)


def test_a_verifier_holding_a_cosigned_checkpoint_catches_a_log_signed_afresh_after_a_rewrite(
    trustee: witness.WitnessConfig,
) -> None:
    from hanse.audit.offline import VerifyError

    first = witness.run(trustee, URL, client=http())
    rewrite_record(2)
    Cosignature.objects.all().delete()
    Checkpoint.objects.all().delete()  # covering the tracks: the instance signs the new history
    audit.checkpoint_write()
    export = _export(trustee.state_dir.parent, "after")
    assert verify_export(export).records > 0  # on its own, the re-signed export holds together
    with pytest.raises(VerifyError, match=f"root of checkpoint {first.size}$"):
        verify_export(export, [first.note])


def test_a_configured_key_file_signs_and_none_is_generated(
    db: None, swap_instance: Any, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    path = tmp_path / "log.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cfg = swap_instance(data_dir=tmp_path / "data")
    swap_instance(audit=dataclasses.replace(cfg.audit, key_file=path))
    _write(1)
    checkpoint = audit.checkpoint_write()
    assert notes.open_note(checkpoint.note, [notes.Signer("hanse/test/audit", key).verifier])
    assert not (tmp_path / "data" / keys.KEY_FILE).exists()
    with pytest.raises(keys.KeyConfigError, match="retired_keys"):
        keys.rotate()
