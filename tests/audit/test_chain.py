"""The audit log: written in the change's transaction; any tampering is found and named."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from hanse.access.principal import system_principal
from hanse.audit import services as audit
from hanse.audit.models import AppendOnlyError, AuditHead, AuditRecord
from hanse.audit.verify import verify_chain
from hanse.cli import main
from hanse.directory.models import Tenant
from tests.conftest import SYSTEM

CONFIG = str(__import__("pathlib").Path(__file__).resolve().parents[1] / "instance.toml")


def _write(n: int) -> list[AuditRecord]:
    with transaction.atomic():
        return [
            audit.record(
                actor=SYSTEM,
                action="test.event",
                target_type="Thing",
                target_id=i,
                after={"n": i, "note": "é"},
            )
            for i in range(n)
        ]


def _raw(sql: str, params: list) -> None:
    # Tampering goes around the ORM, as an attacker with database access would.
    with connection.cursor() as c:
        c.execute(sql, params)


@pytest.fixture
def chain(db):
    return _write(5)


def test_intact_chain_verifies(chain):
    result = verify_chain()
    assert result.ok and result.checked == 5


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(actor=SYSTEM, action="x", target_type="T", target_id=1)


def test_rolled_back_change_leaves_no_record(make_tenant):
    from hanse.directory import services as directory

    before = AuditRecord.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        directory.tenant_create(
            actor=SYSTEM, domain="rollback.example", name="R", kind=Tenant.Kind.CUSTOMER, region="eu-west"
        )
        raise RuntimeError("the change fails after its audit record was written")
    assert AuditRecord.objects.count() == before
    assert not Tenant.objects.filter(domain="rollback.example").exists()
    assert verify_chain().ok


def test_service_writes_its_record_with_before_after(make_tenant):
    tenant = make_tenant("customer", "audited.example")
    rec = AuditRecord.objects.get(action="tenant.create", target_id=str(tenant.id))
    assert rec.after["domain"] == "audited.example" and rec.actor_upn == "test" and rec.tenant_id == tenant.id


def test_orm_refuses_update_and_delete(chain):
    rec = chain[0]
    rec.action = "changed"
    with pytest.raises(AppendOnlyError):
        rec.save()
    with pytest.raises(AppendOnlyError):
        rec.delete()


def _rows() -> list[tuple]:
    from hanse.audit.verify import WALKED

    sql, params = AuditRecord.objects.order_by("seq").values_list(*WALKED).query.sql_with_params()
    with connection.cursor() as c:
        c.execute(sql, params)
        return c.fetchall()


def test_the_fast_walk_hashes_every_kind_of_record_as_the_chain_does(db, make_partner, make_customer):
    """Every record of a real log hashes from the database's raw row (the walk's fast path) to
    what the chain's canonical encoder hashed: UUIDs, times, nested and non-ASCII payloads."""
    import uuid

    from hanse.audit.verify import hashes_as_stored

    make_customer(make_partner(), name="Zürcher Treuhand — 東京 \u2028 \x01")
    with transaction.atomic():
        audit.record(
            actor=SYSTEM,
            action="test.event",
            target_type="Thing",
            target_id="x",
            before={"z": [1, 2.5, None, True], "a": {"é": '"quoted" </script>'}},
            after=None,
            grant_id=uuid.uuid4(),
        )
    rows = _rows()
    assert len(rows) > 5 and all(hashes_as_stored(row) for row in rows)
    _raw(f"UPDATE {AuditRecord._meta.db_table} SET target_type = %s WHERE seq = %s", ["Forged", 2])
    assert [hashes_as_stored(row) for row in _rows()].count(False) == 1
    result = verify_chain()
    assert not result.ok and result.bad_seq == 2 and "hash" in result.reason


def test_modified_record_is_detected(chain):
    _raw(f"UPDATE {AuditRecord._meta.db_table} SET action = %s WHERE seq = %s", ["forged", 3])
    result = verify_chain()
    assert not result.ok and result.bad_seq == 3 and "hash" in result.reason


def test_modified_payload_is_detected(chain):
    _raw(f"UPDATE {AuditRecord._meta.db_table} SET after = %s WHERE seq = %s", ['{"n": 99, "note": "é"}', 2])
    result = verify_chain()
    assert not result.ok and result.bad_seq == 2


def test_deleted_record_is_detected(chain):
    _raw(f"DELETE FROM {AuditRecord._meta.db_table} WHERE seq = %s", [2])
    result = verify_chain()
    assert not result.ok and result.bad_seq == 3 and "missing" in result.reason


def test_deleted_last_record_is_detected(chain):
    _raw(f"DELETE FROM {AuditRecord._meta.db_table} WHERE seq = %s", [5])
    result = verify_chain()
    assert not result.ok and result.bad_seq == 5 and "head" in result.reason


def test_inserted_record_is_detected(chain):
    # Make room after #2 and insert a forged record that claims to follow #2.
    table = AuditRecord._meta.db_table
    _raw(f"UPDATE {table} SET seq = seq + 1000 WHERE seq > %s", [2])
    _raw(f"UPDATE {table} SET seq = seq - 999 WHERE seq > %s", [1000])
    second = AuditRecord.objects.get(seq=2)
    forged = {
        "id": "00000000-0000-0000-0000-000000000001",
        "seq": 3,
        "at": second.at,
        "actor_upn": "mallory",
        "action": "test.event",
        "target_type": "Thing",
        "target_id": "x",
        "request_id": "",
        "correlation_id": "",
        "client_address": "",
        "prev_hash": second.hash,
        "hash": "f" * 64,
    }
    cols = ", ".join(forged)
    marks = ", ".join(["%s"] * len(forged))
    _raw(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(forged.values()))
    result = verify_chain()
    assert not result.ok and result.bad_seq == 3


def test_reordered_records_are_detected(chain):
    table = AuditRecord._meta.db_table
    _raw(f"UPDATE {table} SET seq = %s WHERE seq = %s", [100, 2])
    _raw(f"UPDATE {table} SET seq = %s WHERE seq = %s", [2, 3])
    _raw(f"UPDATE {table} SET seq = %s WHERE seq = %s", [3, 100])
    result = verify_chain()
    assert not result.ok and result.bad_seq == 2


def test_cli_verify_exit_codes(chain, capsys):
    assert main(["audit", "verify", "--config", CONFIG]) == 0
    assert "5 record(s) verified" in capsys.readouterr().out
    _raw(f"UPDATE {AuditRecord._meta.db_table} SET actor_upn = %s WHERE seq = %s", ["mallory", 4])
    assert main(["audit", "verify", "--config", CONFIG]) == 1
    err = capsys.readouterr().err
    assert "record #4" in err and str(chain[3].id) in err


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain():
    """Writers in parallel threads (own connections) never fork the chain."""
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(5):
                _write(2)
        except BaseException as e:  # collected and asserted below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditRecord.objects.count() == 40
    assert AuditHead.objects.get().seq == 40
    assert verify_chain().ok


def test_actor_is_the_principal(admin):
    rec = AuditRecord.objects.filter(action="user.create", target_id=str(admin.id)).get()
    assert rec.actor_upn == system_principal("test").upn
