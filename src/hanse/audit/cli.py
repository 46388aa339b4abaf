"""``hanse audit …``: verify, prove, export, checkpoint, keys, rotate-key, witness (docs/audit.md)."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


class AuditCliError(Exception):
    pass


def verify_offline(args: argparse.Namespace) -> int:
    from hanse.audit.offline import VerifyError, verify_export

    held = []
    for name in args.checkpoint or []:
        try:
            held.append(Path(name).read_text(encoding="utf-8"))
        except OSError as e:
            raise AuditCliError(f"{name}: {e}") from None
    try:
        result = verify_export(Path(args.export), held)
    except VerifyError as e:
        print(f"export BROKEN: {e}", file=sys.stderr)
        return EXIT_FAIL
    print(
        f"export verified ({result.scope}): {result.records} record(s), {result.checkpoints} checkpoint(s) "
        f"with {result.cosignatures} cosignature(s), {result.inclusion} inclusion and "
        f"{result.consistency} consistency proof(s), {result.decisions} signed decision(s)"
    )
    if result.unsigned_tail:
        print(
            f"  {result.unsigned_tail} record(s) after the latest checkpoint are chained but not yet signed"
        )
    if result.witnesses:
        print(f"  co-signed by {', '.join(sorted(result.witnesses))}")
    return EXIT_OK


def prove(args: argparse.Namespace) -> int:
    from hanse.access.principal import system_principal
    from hanse.audit.selectors import cosigned_note, record_proof

    try:
        record_id = uuid.UUID(args.record)
    except ValueError:
        raise AuditCliError(f"--record {args.record!r}: a record id (a GUID)") from None
    p = record_proof(principal=system_principal("cli"), record_id=record_id)
    import base64

    out = {
        "recordId": str(p.record.id),
        "sequence": p.record.seq,
        "leafIndex": p.leaf_index,
        "recordHash": p.record.hash,
        "treeSize": p.checkpoint.size,
        "inclusionProof": [base64.b64encode(h).decode() for h in p.proof],
        "checkpoint": cosigned_note(p.checkpoint),
    }
    print(json.dumps(out, indent=2))
    return EXIT_OK


def export(args: argparse.Namespace) -> int:
    from hanse.audit.export import export_log
    from hanse.audit.services import checkpoint_write
    from hanse.errors import Conflict

    try:
        checkpoint_write()  # so that every record is proved; a damaged log is exported as it is
    except Conflict as e:
        print(f"warning: {e.description}", file=sys.stderr)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise AuditCliError(f"{out}: not empty")
    files = export_log()
    files.write(out)
    manifest = json.loads(files.files["manifest.json"])
    print(f"exported {manifest['records']} record(s), signed up to {manifest['tree_size']}, to {out}")
    return EXIT_OK


def checkpoint(args: argparse.Namespace) -> int:
    from hanse.audit.services import checkpoint_write

    written = checkpoint_write()
    if written is None:
        print("the log is empty: nothing to sign")
    else:
        print(written.note, end="")
    return EXIT_OK


def show_keys(args: argparse.Namespace) -> int:
    from hanse.audit import keys

    for v in keys.verifiers():
        print(v.vkey)
    return EXIT_OK


def rotate_key(args: argparse.Namespace) -> int:
    from hanse.audit import keys

    try:
        old, new = keys.rotate()
    except keys.KeyConfigError as e:
        raise AuditCliError(str(e)) from None
    print(f"retired {old.vkey}\ncurrent {new.vkey}")
    return EXIT_OK


def witness(args: argparse.Namespace) -> int:
    from hanse.audit import witness as w

    try:
        cfg = w.load_config(args.config)
        if args.show_key:
            print(w.signer(cfg).verifier.vkey)
            return EXIT_OK
        if not args.instance:
            raise AuditCliError("--instance URL is required")
        result = w.run(cfg, args.instance)
    except w.Inconsistent as e:
        print(f"INCONSISTENT: {args.instance}: {e}", file=sys.stderr)
        return EXIT_FAIL
    except w.WitnessError as e:
        print(f"hanse: witness: {e}", file=sys.stderr)
        return EXIT_ERROR
    since = f", consistent with {result.previous}" if result.previous is not None else " (first run)"
    print(f"witnessed {result.origin} at {result.size} record(s){since}")
    if not result.published:
        print(
            "  the instance did not take the cosignature: add this witness's key to its [audit] witnesses "
            "(hanse audit witness --show-key)",
            file=sys.stderr,
        )
    return EXIT_OK


def add_commands(audit_sub: Any, command: Any, setup: Any) -> None:
    """Register the subcommands under ``hanse audit`` (``verify`` stays in hanse.cli)."""
    p = command(
        "prove",
        "Print a record's inclusion proof against the latest checkpoint.",
        setup(prove),
        parent=audit_sub,
    )
    p.add_argument("--record", required=True, metavar="ID")
    p = command(
        "export",
        "Write the log, its checkpoints, proofs and public keys to a directory (docs/audit.md).",
        setup(export),
        parent=audit_sub,
    )
    p.add_argument("--out", required=True, metavar="DIR")
    command(
        "checkpoint",
        "Check the log against its latest checkpoint and sign it as it stands.",
        setup(checkpoint),
        parent=audit_sub,
    )
    command(
        "keys", "Print the log's verifier keys, the current one first.", setup(show_keys), parent=audit_sub
    )
    command(
        "rotate-key", "Retire the log's key and generate its successor.", setup(rotate_key), parent=audit_sub
    )
    p = command(
        "witness",
        "The trustee's witness: check that the instance's log only grew, and co-sign its checkpoint.",
        setup(witness),
        parent=audit_sub,
        config=False,
    )
    p.add_argument("--config", required=True, metavar="TRUSTEE.toml", help="the witness's TOML file")
    p.add_argument("--instance", metavar="URL", help="the instance's base URL")
    p.add_argument("--show-key", action="store_true", help="print the witness's verifier key and exit")
