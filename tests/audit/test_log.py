"""The verifiable log (docs/audit.md): signed C2SP checkpoints over an RFC 6962 tree, proofs,
exports verified offline, key rotation, and tampering found without the database."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from hanse.access.roles import Role
from hanse.audit import keys, merkle, notes
from hanse.audit import services as audit
from hanse.audit.export import export_log
from hanse.audit.models import AuditRecord, Checkpoint
from hanse.audit.offline import VerifyError, verify_export
from hanse.cli import main
from hanse.errors import Conflict
from tests.audit import spec_verifier, tamper
from tests.conftest import SYSTEM


def _write(n: int, what: str = "test.event") -> None:
    with transaction.atomic():
        for i in range(n):
            audit.record(
                actor=SYSTEM, action=what, target_type="Thing", target_id=i, after={"n": i, "ü": "é"}
            )


@pytest.fixture
def log(db: None, swap_instance: Any, tmp_path: Path) -> Path:
    """A log of 13 records with checkpoints at 5 and 11, and two records after the last one."""
    swap_instance(data_dir=tmp_path / "data")
    _write(5)
    audit.checkpoint_write()
    _write(6)
    audit.checkpoint_write()
    _write(2)
    return tmp_path


def _export(tmp_path: Path, name: str = "export") -> Path:
    out = tmp_path / name
    export_log().write(out)
    return out


def both_refuse(export: Path, match: str, held: tuple[str, ...] = ()) -> None:
    """Hanse's verifier and the one written from the specifications both refuse it."""
    with pytest.raises(VerifyError, match=match):
        verify_export(export, held)
    with pytest.raises(spec_verifier.VerificationError):
        spec_verifier.verify_export(export, held)


def test_a_checkpoint_is_a_c2sp_signed_note_over_the_rfc6962_root(log: Path) -> None:
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None and latest.size == 11
    text, signatures = notes.split(latest.note)
    origin, size, root, end = text.split("\n")
    assert (origin, size, end) == ("hanse/test/audit", "11", "")
    hashes = AuditRecord.objects.order_by("seq").values_list("hash", flat=True)[:11]
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]
    assert base64.b64decode(root) == merkle.root(leaves)
    (sig,) = signatures
    assert sig.name == "hanse/test/audit" and len(sig.blob) == 64
    assert notes.open_note(latest.note, keys.verifiers())[0] == text
    # The key was generated on first use, readable by its owner only.
    key_file = log / "data" / keys.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_public_keys_are_published_in_the_verifier_key_form(log: Path) -> None:
    response = Client().get("/.well-known/hanse/audit-keys")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    (line,) = response.content.decode().splitlines()
    name, key_id, encoded = line.split("+", 2)
    raw = base64.b64decode(encoded)
    assert name == "hanse/test/audit" and raw[0] == 0x01 and len(raw) == 33
    assert bytes.fromhex(key_id) == notes.key_id(name, 0x01, raw[1:])
    assert notes.parse_vkey(line) == keys.signer().verifier


def test_an_export_verifies_offline_with_both_verifiers(log: Path, capsys: Any) -> None:
    export = _export(log)
    result = verify_export(export)
    assert (result.records, result.checkpoints, result.inclusion, result.consistency) == (13, 2, 11, 1)
    assert result.unsigned_tail == 2
    counts = spec_verifier.verify_export(export)
    assert counts["records"] == 13 and counts["checkpoints"] == 2
    assert main(["audit", "verify", "--export", str(export)]) == 0
    assert "13 record(s), 2 checkpoint(s)" in capsys.readouterr().out


def test_the_cli_export_signs_the_rest_first_and_proves_every_record(log: Path) -> None:
    import argparse

    from hanse.audit import cli

    out = log / "cli-export"
    assert cli.export(argparse.Namespace(out=str(out))) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tree_size"] == manifest["records"] == 13
    assert verify_export(out).inclusion == 13


@pytest.mark.parametrize("where", [1, 4, 9])
def test_a_modified_record_is_found_even_with_its_chain_recomputed(log: Path, where: int) -> None:
    export = _export(log)
    lines = tamper.read_records(export)
    lines[where - 1]["body"]["after"] = {"n": 999}
    tamper.write_records(export, tamper.rechain(lines))
    both_refuse(export, "root of checkpoint")


def test_a_deleted_record_is_found(log: Path) -> None:
    export = _export(log)
    lines = tamper.read_records(export)
    del lines[2]
    tamper.write_records(export, tamper.rechain(lines))
    both_refuse(export, "root of checkpoint")


def test_an_inserted_record_is_found(log: Path) -> None:
    export = _export(log)
    lines = tamper.read_records(export)
    lines.insert(7, {**lines[6], "body": {**lines[6]["body"], "action": "test.inserted"}})
    tamper.write_records(export, tamper.rechain(lines))
    both_refuse(export, "root of checkpoint")


def test_reordered_records_are_found(log: Path) -> None:
    export = _export(log)
    lines = tamper.read_records(export)
    lines[1], lines[2] = lines[2], lines[1]
    tamper.write_records(export, tamper.rechain(lines))
    both_refuse(export, "root of checkpoint")


def test_a_log_truncated_after_a_checkpoint_is_found(log: Path) -> None:
    export = _export(log)
    lines = tamper.read_records(export)
    tamper.write_records(export, lines[:9])  # checkpoint 11 was signed
    both_refuse(export, "records were cut")


def test_a_fork_two_checkpoints_of_one_size_with_different_roots_is_found(log: Path) -> None:
    export = _export(log)
    # Whoever holds the key signs a second view of 11 records; a verifier holding either sees it.
    forked = notes.Checkpoint("hanse/test/audit", 11, b"\x07" * 32)
    held = notes.sign(forked.body, keys.signer())
    both_refuse(export, "fork", held=(held,))


def test_a_checkpoint_signed_by_an_unknown_key_is_refused(log: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    export = _export(log)
    stranger = notes.Signer("hanse/test/audit", Ed25519PrivateKey.generate())
    path = export / "checkpoints" / f"{11:012d}.note"
    path.write_text(notes.sign(notes.split(path.read_text())[0], stranger))
    both_refuse(export, "no signature by a known key")


def test_a_proof_of_a_record_in_scope_verifies_against_the_checkpoint(
    db: None, swap_instance: Any, tmp_path: Path, make_partner: Any, make_user: Any, api_for: Any
) -> None:
    swap_instance(data_dir=tmp_path)
    mine, theirs = make_partner(), make_partner()
    admin = make_user(mine.tenant, Role.GLOBAL_ADMIN)
    audit.checkpoint_write()
    api = api_for(admin)
    record = AuditRecord.objects.filter(partner_id=mine.account.id).order_by("seq").first()
    response = api.get(f"/v1/auditrecords/{record.id}/proof")
    assert response.status_code == 200, response.content
    body = response.json()
    checkpoint = notes.parse_checkpoint(notes.open_note(body["checkpoint"], keys.verifiers())[0])
    assert body["leafIndex"] == record.seq - 1 and body["treeSize"] == checkpoint.size
    merkle.verify_inclusion(
        body["leafIndex"],
        checkpoint.size,
        merkle.leaf_hash(bytes.fromhex(body["recordHash"])),
        [base64.b64decode(h) for h in body["inclusionProof"]],
        checkpoint.root,
    )
    other = AuditRecord.objects.filter(partner_id=theirs.account.id).first()
    missing = api.get(f"/v1/auditrecords/{other.id}/proof")
    assert missing.status_code == 404 and missing.json()["code"] == 9702
    _write(1)
    newest = AuditRecord.objects.order_by("-seq").first()
    from hanse.access.principal import system_principal
    from hanse.audit.selectors import record_proof

    with pytest.raises(Conflict) as refused:
        record_proof(principal=system_principal("test"), record_id=newest.id)
    assert refused.value.code == 9703


@pytest.mark.parametrize("sizes", [(1, 1, 1), (3, 5, 8), (2, 2, 30), (16, 1, 16, 17)])
def test_a_tree_extended_in_steps_is_the_tree_built_whole(sizes: tuple[int, ...]) -> None:
    grown = merkle.Tree([])
    every: list[bytes] = []
    for n in sizes:
        more = [merkle.leaf_hash(f"{len(every) + i}".encode()) for i in range(n)]
        grown.extend(more)
        every += more
        whole = merkle.Tree(every)
        assert grown.levels == whole.levels
        for size in range(1, len(every) + 1):
            assert grown.root(size) == merkle.root(every[:size])
            assert [grown.inclusion(i, size) for i in range(size)] == [
                whole.inclusion(i, size) for i in range(size)
            ]


def test_proofs_read_only_the_leaves_signed_since_and_never_serve_another_log(log: Path) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hanse.audit import tree
    from hanse.audit.selectors import records_proofs

    def proves(size: int) -> list[AuditRecord]:
        checkpoint = Checkpoint.objects.get(size=size)
        records = list(AuditRecord.objects.filter(seq__lte=size).order_by("seq"))
        for rec, path in zip(records, records_proofs(records, checkpoint), strict=True):
            merkle.verify_inclusion(
                rec.seq - 1,
                size,
                merkle.leaf_hash(bytes.fromhex(rec.hash)),
                path,
                bytes.fromhex(checkpoint.root),
            )
        return records

    # A tree kept from another log of the same size (another database, in this process) is not used.
    tree._signed = merkle.Tree([merkle.leaf_hash(b"x")] * 5)
    proves(5)
    audit.checkpoint_write()  # of 13
    with CaptureQueriesContext(connection) as read:
        proves(13)
    (leaves,) = [q["sql"] for q in read.captured_queries if '"hash"' in q["sql"] and "LIMIT" in q["sql"]]
    assert '"seq" > 5' in leaves.replace("%s", "5")  # only the records after the kept 5
    assert tree._signed.size == 13
    proves(11)  # an older checkpoint, from the same tree


def test_consistency_proofs_between_checkpoints_verify(log: Path) -> None:
    client = Client()
    response = client.get("/v1/auditlog/consistency?first=5&second=11")
    assert response.status_code == 200
    proof = [base64.b64decode(x) for x in response.content.decode().split()]
    first, second = Checkpoint.objects.get(size=5), Checkpoint.objects.get(size=11)
    merkle.verify_consistency(5, 11, bytes.fromhex(first.root), bytes.fromhex(second.root), proof)
    bad = client.get("/v1/auditlog/consistency?first=11&second=5")
    assert bad.status_code == 404 and bad.json()["code"] == 9704
    unsigned = client.get("/v1/auditlog/consistency?first=5&second=12")
    assert unsigned.status_code == 404 and unsigned.json()["code"] == 9704


def test_the_instance_refuses_to_sign_a_rewritten_log(log: Path) -> None:
    # An operator with database access changes record 3 and recomputes the chain and the head.
    from tests.audit.test_witness import rewrite_record

    rewrite_record(3)
    with pytest.raises(Conflict) as refused:
        audit.checkpoint_write()
    assert refused.value.code == 9705
    assert Checkpoint.objects.order_by("-size").first().size == 11  # nothing new was signed
    response = Client().post("/v1/auditlog/checkpoint")
    assert response.status_code == 409 and response.json()["code"] == 9705


def test_after_a_key_rotation_old_checkpoints_still_verify(log: Path, capsys: Any) -> None:
    old = keys.signer().verifier
    retired, new = keys.rotate()
    assert retired == old and new != old
    _write(1)
    audit.checkpoint_write()
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest.key_id == new.id.hex() and Checkpoint.objects.get(size=11).key_id == old.id.hex()
    listed = Client().get("/.well-known/hanse/audit-keys").content.decode().split()
    assert listed == [new.vkey, old.vkey]
    export = _export(log)
    assert verify_export(export).checkpoints == 3
    assert spec_verifier.verify_export(export)["checkpoints"] == 3
    # Without the retired key, the old checkpoints no longer verify: it is the old key that does it.
    (export / "keys" / "log.vkeys").write_text(new.vkey + "\n")
    both_refuse(export, "no signature by a known key")


def test_the_checkpoint_job_runs_every_n_records_and_on_its_timer(
    db: None, swap_instance: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    import dataclasses

    from django.conf import settings
    from django_tasks_db.models import DBTaskResult

    from hanse.audit.tasks import checkpoint_timer, start_timer, write_checkpoint

    cfg = swap_instance(data_dir=tmp_path)
    swap_instance(audit=dataclasses.replace(cfg.audit, checkpoint_every=4))
    head = AuditRecord.objects.count()
    jobs = DBTaskResult.objects.filter(task_path=write_checkpoint.module_path)
    before = jobs.count()
    with django_capture_on_commit_callbacks(execute=True):
        _write(4 - head % 4)  # the record that reaches a multiple of 4 queues the job
    assert jobs.count() == before + 1
    assert write_checkpoint.call() == AuditRecord.objects.count()
    timers = DBTaskResult.objects.filter(task_path=checkpoint_timer.module_path, status="READY")
    start_timer()
    start_timer()  # a second worker start does not start a second timer
    assert timers.count() == 1
    assert settings.HANSE_INSTANCE.audit.checkpoint_every == 4


def test_the_audit_config_is_validated() -> None:
    from hanse.instance.config import ConfigError, parse_config

    base = {
        "instance": {"id": "x", "name": "X", "kind": "public", "data_boundary": ["DE"]},
        "regions": [{"id": "r", "name": "R", "country": "DE"}],
    }
    for audit_table, key in (
        ({"witnesses": ["nope"]}, "witnesses"),
        ({"origin": "has space"}, "origin"),
        ({"checkpoint_every": 0}, "checkpoint_every"),
        ({"retired_keys": [keys_vkey_of_type(0x04)]}, "retired_keys"),
    ):
        with pytest.raises(ConfigError) as e:
            parse_config({**base, "audit": audit_table}, source="t.toml", base=Path("."))
        assert e.value.key == f"audit.{key}"
    cfg = parse_config(
        {**base, "audit": {"witnesses": [keys_vkey_of_type(0x04)]}}, source="t", base=Path(".")
    )
    assert cfg.audit.origin == "hanse/x/audit" and len(cfg.audit.witnesses) == 1


def keys_vkey_of_type(kind: int) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return notes.Signer("trustee.example/witness", Ed25519PrivateKey.generate(), kind=kind).verifier.vkey
