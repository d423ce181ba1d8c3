"""The audit trail through the real entry point, on SQLite and PostgreSQL: every command that
changes data writes its row (who: ``cli:<os user>``; what; which case and creditor) in the
transaction of the change; a refused command writes none; ``krav audit`` filters by case and
creditor; and no row can be updated or deleted (triggers on both databases)."""

from __future__ import annotations

import getpass
import json
from datetime import date

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from tests.factories import NORDLYS, Krav, claim, claim_row, table_counts, write_csv

from krav.audit.tables import audit
from krav.payments.formats.ocr_writer import OcrPayment, write_ocr

REF = "K-0000001"


@pytest.fixture
def krav(db_url, capsys, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    k = Krav(db_url, capsys)
    path = write_csv(tmp_path / "claims.csv", [claim_row(), claim_row(invoice="1002",
                                                                      amount="250.00")])
    k.json("import", "claims", str(path))
    return k


def actions(krav: Krav, *argv: str) -> list[str]:
    return [r["action"] for r in krav.json("audit", *argv)]


def test_each_command_that_changes_data_writes_one_row(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    me = f"cli:{getpass.getuser()}"
    rows = krav.json("audit")
    assert [(r["action"], r["actor"], r["creditor"]) for r in rows] == [
        ("claims.import", me, NORDLYS.orgnr)]
    assert rows[0]["details"]["claims"] == 2 and rows[0]["details"]["first"] == REF
    assert rows[0]["at"].endswith("Z") and rows[0]["request_id"] is None

    krav.ok("run", "--as-of", "2026-01-19")
    krav.ok("case", "pause", REF, "--on", "2026-01-20", "--reason", "Utsettelse")
    krav.ok("case", "resume", REF, "--on", "2026-01-21")
    krav.ok("case", "dispute", REF, "--on", "2026-01-22", "--reason", "Varen kom aldri")
    krav.ok("case", "resume", REF, "--on", "2026-01-23")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"approval_required": True}), encoding="utf-8")
    krav.ok("creditor", "set-policy", NORDLYS.orgnr, str(policy), "--on", "2026-01-23")
    krav.ok("creditor", "set-order", NORDLYS.orgnr, "interest,costs,principal")
    ocr = tmp_path / "ocr.txt"
    day = date(2026, 1, 24)
    ocr.write_text(write_ocr([OcrPayment(25_000, claim(engine, "K-0000002")["kid"],
                                         bank_date=day),
                              OcrPayment(1_000, "", tx_type="21", text="ukjent", bank_date=day)],
                             nets_date=day))
    krav.json("payments", "import", str(ocr), "--as-of", "2026-01-24")
    krav.json("payments", "import", str(ocr), "--as-of", "2026-01-24")  # again: nothing changes
    queued = krav.json("payments", "unmatched")[0]["payment"]
    krav.ok("payments", "refund", str(queued), "--on", "2026-01-25")
    krav.ok("payments", "credit-note", REF, "100.00", "--reason", "rabatt", "--on", "2026-01-25")
    krav.ok("payments", "direct", REF, "50.00", "--on", "2026-01-25")
    krav.ok("case", "withdraw", REF, "--on", "2026-01-26", "--reason", "trukket")
    krav.json("settle", "--creditor", NORDLYS.orgnr, "--period", "2026-01", "--as-of",
              "2026-02-01")
    assert actions(krav) == [
        "claims.import", "run", "case.pause", "case.resume", "case.dispute", "case.resume",
        "creditor.set_policy", "creditor.set_order", "payments.import", "payment.refund",
        "payment.credit_note", "payment.direct", "case.withdraw", "settle"]
    assert actions(krav, "--case", REF) == [
        "case.pause", "case.resume", "case.dispute", "case.resume", "payment.credit_note",
        "payment.direct", "case.withdraw"]
    assert "settle" in actions(krav, "--creditor", NORDLYS.orgnr)
    dispute = [r for r in krav.json("audit", "--case", REF) if r["action"] == "case.dispute"][0]
    assert dispute["case"] == REF and dispute["details"]["reason"] == "Varen kom aldri"
    assert dispute["actor"] == me
    assert [r["action"] for r in krav.json("audit", "--limit", "2")] == ["case.withdraw", "settle"]


def test_a_refused_command_writes_no_row(krav, engine) -> None:  # type: ignore[no-untyped-def]
    before = table_counts(engine)
    code, _, err = krav("case", "resume", REF, "--on", "2026-01-20")  # open: nothing to resume
    assert code != 0 and err.startswith("krav: ")
    assert table_counts(engine) == before
    assert actions(krav) == ["claims.import"]


def test_letters_retry_and_returned_are_audited(krav, engine) -> None:  # type: ignore[no-untyped-def]
    from krav.db.tables import letters

    krav.ok("run", "--as-of", "2026-01-19")
    with engine.begin() as conn:
        letter_id = conn.execute(select(letters.c.id).where(
            letters.c.claim_id == claim(engine, REF)["id"])).scalar_one()
        conn.execute(update(letters).where(letters.c.id == letter_id)
                     .values(status="parked", last_error="test"))
    krav.ok("letters", "retry", str(letter_id))
    rows = [r for r in krav.json("audit", "--case", REF) if r["action"] == "letter.retry"]
    assert len(rows) == 1 and rows[0]["details"]["letter_id"] == letter_id
    assert rows[0]["details"]["was"] == "parked"


def test_the_run_printing_handing_over_and_law_values_are_audited(krav, engine, tmp_path,
                                                                   monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The nightly run (one row with what it did; a dry run none), the print file and its
    handing to the post (a row per letter, naming its case), and a law value set locally."""
    from tests.factories import OLA

    krav.json("import", "claims", str(write_csv(tmp_path / "ola.csv", [
        claim_row(debtor=OLA, invoice="1003")])))  # no e-mail: his reminder is printed
    krav.ok("run", "--as-of", "2026-01-19", "--dry-run")
    assert actions(krav) == ["claims.import", "claims.import"]
    krav.ok("run", "--as-of", "2026-01-19")
    (run,) = [r for r in krav.json("audit") if r["action"] == "run"]
    assert run["details"]["as_of"] == "2026-01-19" and run["details"]["claims_changed"] == 3
    assert run["details"]["letters"] == {"reminder": 3} and run["case"] is None
    assert krav.post("2026-01-19", tmp_path / "print") == 1
    printed = [r for r in krav.json("audit") if r["action"] == "letters.print_batch"]
    assert [r["details"]["letters"] for r in printed] == [1]
    handed = [r for r in krav.json("audit", "--case", "K-0000003")
              if r["action"] == "letters.handed"]
    assert len(handed) == 1 and handed[0]["details"]["on"] == "2026-01-19"
    assert handed[0]["details"]["file"] == "2026-01-19-print.pdf"
    assert handed[0]["creditor"] == NORDLYS.orgnr
    monkeypatch.setenv("KRAV_LAW_DIR", str(tmp_path / "law"))
    krav.ok("law", "set", "interest/forsinkelsesrente", "--from", "2027-01-01", "--value", "12.00",
            "--source", "Norges Bank og Finanstilsynet, 2027-1")
    (law,) = [r for r in krav.json("audit") if r["action"] == "law.set"]
    assert law["details"]["quantity"] == "interest/forsinkelsesrente"
    assert law["details"]["from"] == "2027-01-01" and "Norges Bank" in law["details"]["source"]
    before = len(krav.json("audit"))
    code, _, err = krav("law", "set", "interest/forsinkelsesrente", "--from", "2027-01-01",
                        "--value", "tre", "--source", "x")
    assert code != 0 and len(krav.json("audit")) == before  # refused: no row


def test_creditor_profile_commands_are_audited(krav) -> None:  # type: ignore[no-untyped-def]
    krav.ok("creditor", "add", "990993122", "--name", "Fjordnett Bredbånd AS", "--address",
            "Bryggen 1", "--postcode", "5003", "--city", "Bergen", "--account", "15032080119")
    krav.ok("creditor", "update", "990993122", "--email", "faktura@fjordnett.no")
    rows = krav.json("audit", "--creditor", "990993122")
    assert [r["action"] for r in rows] == ["creditor.add", "creditor.update"]
    assert rows[1]["details"]["changed"] == {"email": "faktura@fjordnett.no"}


def test_user_and_apikey_commands_are_audited(krav, db_url) -> None:  # type: ignore[no-untyped-def]
    krav.ok("user", "add", "ops@krav.example", "--role", "admin")
    krav.ok("user", "add", "kunde@nordlys.no", "--role", "creditor_user",
            "--creditor", NORDLYS.orgnr)
    key = krav.json("apikey", "create", "--creditor", NORDLYS.orgnr, "--name", "ERP")
    krav.ok("apikey", "revoke", str(key["id"]))
    krav.ok("user", "disable", "kunde@nordlys.no")
    assert actions(krav)[1:] == ["user.add", "user.add", "apikey.create", "apikey.revoke",
                                 "user.disable"]
    assert key["key"] not in json.dumps(krav.json("audit"))


def test_no_audit_row_can_be_updated_or_deleted(krav, engine) -> None:  # type: ignore[no-untyped-def]
    for statement in (update(audit).values(action="forged"), delete(audit),
                      text("UPDATE audit SET actor = 'someone else'"),
                      text("DELETE FROM audit WHERE id = 1")):
        with pytest.raises(DBAPIError, match="bare for tillegg"):
            with engine.begin() as conn:
                conn.execute(statement)
    with engine.connect() as conn:
        rows = conn.execute(select(audit.c.action, audit.c.actor)).all()
        assert [r.action for r in rows] == ["claims.import"]
        assert conn.execute(select(func.count()).select_from(audit)).scalar_one() == 1
