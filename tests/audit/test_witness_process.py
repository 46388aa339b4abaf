"""The witness as the trustee runs it: ``hanse audit witness`` against a real ``hanse serve``, the
export and its offline check from the command line, and an operator's rewrite of the database
caught at the witness's next run, while ``hanse audit verify`` (the chain alone) says intact."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hanse.audit import merkle, notes
from tests.live import serving
from tests.test_process import free_port, hanse

pytestmark = pytest.mark.process

REWRITE = """
import django
django.setup()
from tests.audit.test_witness import rewrite_record
rewrite_record(5)
"""


def test_the_trustee_witnesses_a_served_instance_and_catches_a_rewrite(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    seeded = hanse("demo", "--data-dir", str(data), "--seed-only", "--port-base", str(free_port()))
    assert seeded.returncode == 0, seeded.stderr
    config, trustee = data / "de.toml", data / "trustee-witness.toml"
    with serving(config) as url:
        first = hanse("audit", "witness", "--config", str(trustee), "--instance", url)
        assert first.returncode == 0, first.stderr
        assert "witnessed hanse/de/audit at" in first.stdout and "(first run)" in first.stdout

        exported = hanse("audit", "export", "--config", str(config), "--out", str(tmp_path / "export"))
        assert exported.returncode == 0, exported.stderr
        (state,) = (data / "witness-state" / "logs").glob("*.json")
        held = tmp_path / "cosigned.note"
        held.write_text(json.loads(state.read_text())["note"])
        checked = hanse("audit", "verify", "--export", str(tmp_path / "export"), "--checkpoint", str(held))
        assert checked.returncode == 0, checked.stderr
        assert "co-signed by treuhand.example/witness" in checked.stdout

        record = json.loads((tmp_path / "export" / "records.jsonl").read_text().splitlines()[3])
        proved = hanse("audit", "prove", "--config", str(config), "--record", record["body"]["id"])
        assert proved.returncode == 0, proved.stderr
        proof = json.loads(proved.stdout)
        checkpoint = notes.parse_checkpoint(notes.split(proof["checkpoint"])[0])
        merkle.verify_inclusion(
            proof["leafIndex"],
            checkpoint.size,
            merkle.leaf_hash(bytes.fromhex(record["hash"])),
            [base64.b64decode(h) for h in proof["inclusionProof"]],
            checkpoint.root,
        )

        # The operator changes record 5 in the database and recomputes every hash after it.
        env = {**os.environ, "HANSE_CONFIG": str(config), "DJANGO_SETTINGS_MODULE": "hanse.settings"}
        rewrite = subprocess.run(
            [sys.executable, "-c", REWRITE], env=env, capture_output=True, text=True, check=False, timeout=120
        )
        assert rewrite.returncode == 0, rewrite.stderr
        chain = hanse("audit", "verify", "--config", str(config))
        assert chain.returncode == 0 and "intact" in chain.stdout  # the chain alone cannot tell

        caught = hanse("audit", "witness", "--config", str(trustee), "--instance", url)
        assert caught.returncode == 1, caught.stdout + caught.stderr
        assert "INCONSISTENT" in caught.stderr and "9705" in caught.stderr
