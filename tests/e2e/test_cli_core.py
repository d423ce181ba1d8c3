"""The core ``krav`` commands through the real entry point, on SQLite and PostgreSQL:
import, run, cases, case show/dispute/resume/withdraw/approve, creditor set-policy — and bad
input on each: a non-zero exit, one ``krav:`` line on stderr, no traceback, nothing written."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from tests.factories import (
    NORDLYS,
    Krav,
    add_creditor,
    claim,
    claim_row,
    send_letters,
    table_counts,
    write_csv,
)

AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REF = "K-0000001"


@pytest.fixture
def krav(db_url, capsys) -> Krav:  # type: ignore[no-untyped-def]
    return Krav(db_url, capsys)


@pytest.fixture
def imported(krav, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "claims.csv", [claim_row(), claim_row(invoice="1002",
                                                                      amount="250.00")])
    data = krav.json("import", "claims", str(path))
    assert data == {"claims": 2, "creditors_created": 1, "debtors_created": 1}
    return krav


def assert_user_error(engine, krav: Krav, *argv: str, says: str) -> None:  # type: ignore[no-untyped-def]
    before = table_counts(engine)
    code, out, err = krav(*argv)
    assert code != 0
    assert err.startswith("krav: ") and err.count("\n") == 1, err
    assert says in err, err
    assert "Traceback" not in err + out
    assert table_counts(engine) == before


def test_the_default_process_through_the_cli(imported, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    krav = imported
    for day in ("2026-01-19", "2026-02-03", "2026-02-18", "2026-03-05", "2026-04-02"):
        krav.ok("run", "--as-of", day)
        send_letters(engine, date.fromisoformat(day))  # the day's letters go out
    view = krav.json("case", "show", REF, "--as-of", "2026-04-02")
    assert [(lt["kind"], lt["sent_on"], lt["deadline"], lt["fee"]) for lt in view["letters"]] == [
        ("reminder", "2026-01-19", "2026-02-02", "38.00"),
        ("collection_notice", "2026-02-03", "2026-02-17", "38.00"),
        ("payment_demand", "2026-02-18", "2026-03-04", "0.00")]
    assert view["stage"] == "legal_ready"
    assert view["balance"] == {"principal": "1000.00", "interest": "14.46", "fees": "601.00",
                               "total": "1615.46"}


def test_case_show_json_has_exactly_the_contract_shape(imported) -> None:  # type: ignore[no-untyped-def]
    krav = imported
    krav.ok("run", "--as-of", "2026-01-19")
    view = krav.json("case", "show", REF, "--as-of", "2026-01-25")
    assert {"ref", "invoice_number", "kid", "creditor", "debtor", "principal", "due", "status",
            "stage", "letters", "postings", "balance", "interest_accrued"} <= set(view)
    assert (view["ref"], view["invoice_number"], view["principal"], view["due"]) == (
        REF, "1001", "1000.00", "2026-01-05")
    assert re.fullmatch(r"\d{10}", view["kid"])
    assert set(view["creditor"]) >= {"orgnr", "name"} and view["creditor"]["orgnr"] == NORDLYS.orgnr
    assert view["debtor"]["kind"] == "consumer" and view["debtor"]["name"] == "Kari Nordmann"
    assert view["status"] in ("open", "paused", "disputed", "closed")
    assert view["stage"] == "reminder"
    [letter] = view["letters"]
    assert set(letter) >= {"kind", "sender", "sent_on", "deadline", "fee"}
    assert ISO.match(letter["sent_on"]) and ISO.match(letter["deadline"])
    assert AMOUNT.match(letter["fee"])
    for posting in view["postings"]:
        assert set(posting) >= {"on", "kind", "amount", "rule"}
        assert ISO.match(posting["on"]) and AMOUNT.match(posting["amount"]) and posting["rule"]
    assert set(view["balance"]) >= {"principal", "interest", "fees", "total"}
    assert all(AMOUNT.match(v) for v in view["balance"].values())
    assert view["balance"]["total"] == "1042.60"
    assert view["interest_accrued"] == "1.97"  # 6 days since the reminder


def test_cases_json(imported) -> None:  # type: ignore[no-untyped-def]
    rows = imported.json("cases")
    assert [{k: r[k] for k in ("ref", "invoice_number", "status", "stage")} for r in rows] == [
        {"ref": "K-0000001", "invoice_number": "1001", "status": "open", "stage": "invoiced"},
        {"ref": "K-0000002", "invoice_number": "1002", "status": "open", "stage": "invoiced"}]
    assert "Saker (2)" in imported.ok("cases")


def test_run_json_keys_and_dry_run(imported, engine) -> None:  # type: ignore[no-untyped-def]
    krav = imported
    before = table_counts(engine)
    dry = krav.json("run", "--as-of", "2026-01-19", "--dry-run")
    assert table_counts(engine) == before
    assert dry["dry_run"] is True and dry["as_of"] == "2026-01-19"
    assert [p["ref"] for p in dry["plans"]] == ["K-0000001", "K-0000002"]
    real = krav.json("run", "--as-of", "2026-01-19")
    assert set(real) >= {"as_of", "dry_run", "claims_due", "claims_changed", "letters",
                         "postings", "charged"}
    assert (real["claims_due"], real["claims_changed"], real["letters"]) == (
        2, 2, {"reminder": 2})
    assert real["charged"] == dry["charged"] == "81.75"  # 2 × 38.00 + interest 4.60 + 1.15
    again = krav.json("run", "--as-of", "2026-01-19")
    assert (again["claims_due"], again["claims_changed"], again["charged"]) == (0, 0, "0.00")
    assert "Nattkjøring" in krav.ok("run", "--as-of", "2026-01-20", "--dry-run")


def test_dispute_resume_and_withdraw(imported, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    krav = imported
    krav.ok("run", "--as-of", "2026-01-19")
    assert send_letters(engine, date(2026, 1, 19)) == 2
    krav.ok("case", "dispute", REF, "--on", "2026-01-20", "--reason", "Varen kom aldri")
    assert claim(engine)["status"] == "disputed"
    assert krav.json("case", "show", REF)["status"] == "disputed"
    krav.ok("run", "--as-of", "2026-02-03")
    assert [lt["kind"] for lt in krav.json("case", "show", REF)["letters"]] == [
        "reminder", "dispute_ack"]
    krav.ok("case", "resume", REF, "--on", "2026-02-05")
    krav.ok("run", "--as-of", "2026-02-05")
    assert krav.json("case", "show", REF)["stage"] == "collection_notice"
    krav.ok("case", "withdraw", REF, "--on", "2026-02-06", "--reason", "Oppgjort direkte")
    view = krav.json("case", "show", REF)
    assert view["status"] == "closed" and claim(engine)["close_reason"] == "withdrawn"


def test_pause_until_through_the_cli(imported, engine) -> None:  # type: ignore[no-untyped-def]
    krav = imported
    assert "til 2026-02-02" in krav.ok("case", "pause", REF, "--on", "2026-01-15", "--until",
                                       "2026-02-02", "--reason", "Utsettelse avtalt")
    assert krav.json("run", "--as-of", "2026-01-19")["resumed"] == 0
    assert krav.json("case", "show", REF)["status"] == "paused"
    assert krav.json("run", "--as-of", "2026-02-02")["resumed"] == 1
    view = krav.json("case", "show", REF)
    assert view["status"] == "open" and [lt["kind"] for lt in view["letters"]] == ["reminder"]


def test_approve_through_the_cli(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"approval_required": True}), encoding="utf-8")
    krav.ok("creditor", "set-policy", NORDLYS.orgnr, str(policy), "--on", "2026-01-01")
    krav.ok("import", "claims", str(write_csv(tmp_path / "c.csv", [claim_row()])))
    for day in ("2026-01-19", "2026-02-03", "2026-02-18"):
        krav.ok("run", "--as-of", day)
        send_letters(engine, date.fromisoformat(day))  # the day's letters go out
    assert krav.json("case", "show", REF)["stage"] == "awaiting_approval"
    krav.ok("case", "approve", REF, "--on", "2026-02-20")
    krav.ok("run", "--as-of", "2026-02-20")
    view = krav.json("case", "show", REF)
    assert view["stage"] == "payment_demand" and view["letters"][-1]["sent_on"] == "2026-02-20"


# --- bad input: one line, non-zero, nothing written -------------------------------------------

@pytest.mark.parametrize("argv, says", [
    (("case", "show", "K-0404040"), "K-0404040"),
    (("case", "dispute", "K-0404040", "--on", "2026-01-20", "--reason", "x"), "K-0404040"),
    (("case", "resume", "K-0404040", "--on", "2026-01-20"), "K-0404040"),
    (("case", "withdraw", "K-0404040", "--on", "2026-01-20"), "K-0404040"),
    (("case", "approve", "K-0404040", "--on", "2026-01-20"), "K-0404040"),
    (("case", "show", REF, "--as-of", "2026-13-01"), "--as-of"),
    (("case", "dispute", REF, "--on", "20.01.2026", "--reason", "x"), "--on"),
    (("case", "dispute", REF, "--on", "2026-01-20", "--reason", " "), "--reason"),
    (("case", "resume", REF, "--on", "2026-01-20"), "gjenopptas"),
    (("case", "approve", REF, "--on", "2026-01-20"), "venter ikke"),
    (("run", "--as-of", "yesterday"), "--as-of"),
    (("case", "pause", REF, "--on", "2026-01-20", "--until", "2026-02-30", "--reason", "x"),
     "--until"),
    (("case", "pause", REF, "--on", "2026-01-20", "--until", "2026-01-19", "--reason", "x"),
     "--until"),
    (("cases", "--status", "gone"), "--status"),
    (("cases", "--stage", "court"), "--stage"),
    (("creditor", "set-order", NORDLYS.orgnr, "interest,costs"), "dekningsrekkefølge"),
])
def test_bad_input_on_case_and_run_commands(imported, engine, argv, says) -> None:  # type: ignore[no-untyped-def]
    assert_user_error(engine, imported, *argv, says=says)


def test_a_missing_file_is_refused(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert_user_error(engine, krav, "import", "claims", str(tmp_path / "nope.csv"),
                      says="finnes ikke")
    assert_user_error(engine, krav, "import", "claims", str(tmp_path), says=str(tmp_path))


def test_a_file_with_bad_amounts_imports_nothing_and_names_each_row(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "bad.csv", [claim_row(), claim_row(invoice="2", amount="1 000"),
                                            claim_row(invoice="3", amount="12.345")])
    code, out, err = krav("import", "claims", str(path))
    assert code != 0 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("krav: ") and "ingenting er importert" in lines[0]
    assert "rad 3, kolonne amount" in lines[1] and "rad 4, kolonne amount" in lines[2]
    assert table_counts(engine)["claims"] == 0 and table_counts(engine)["creditors"] == 0


def test_an_illegal_policy_is_refused_naming_the_rule(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"demand_deadline_days": 10}), encoding="utf-8")
    assert_user_error(engine, krav, "creditor", "set-policy", NORDLYS.orgnr, str(policy),
                      "--on", "2026-01-01", says="inkassoloven § 10")
    policy.write_text(json.dumps({"steps": [
        {"kind": "reminder", "delay_days": 7, "deadline_days": 14},
        {"kind": "collection_notice", "delay_days": 1, "deadline_days": 14}]}), encoding="utf-8")
    assert_user_error(engine, krav, "creditor", "set-policy", NORDLYS.orgnr, str(policy),
                      "--on", "2026-01-01", says="inkassoforskriften § 1-2")
    policy.write_text("{not json", encoding="utf-8")
    assert_user_error(engine, krav, "creditor", "set-policy", NORDLYS.orgnr, str(policy),
                      "--on", "2026-01-01", says="JSON")


def test_a_run_with_an_illegal_stored_policy_holds_that_creditor(imported, engine) -> None:  # type: ignore[no-untyped-def]
    """The creditor's cases are held (nothing sent or charged), the run says why and exits 3."""
    from tests.factories import set_policy

    set_policy(engine, NORDLYS, {"steps": [
        {"kind": "reminder", "delay_days": 14, "deadline_days": 14},
        {"kind": "reminder", "delay_days": 1, "deadline_days": 14},
        {"kind": "collection_notice", "delay_days": 1, "deadline_days": 14}]})
    before = table_counts(engine)
    code, _, err = imported("run", "--as-of", "2026-01-19")
    assert code == 3
    assert "inkassoforskriften § 1-3" in err and NORDLYS.orgnr in err and "Traceback" not in err
    after = table_counts(engine)
    assert {k: v for k, v in after.items() if k != "runs"} == \
        {k: v for k, v in before.items() if k != "runs"}


def test_the_command_runs_as_a_program(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``python -m krav`` with a bad ref: exit 2, one ``krav:`` line, no traceback."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'k.db'}"
    done = subprocess.run([sys.executable, "-m", "krav", "case", "show", "K-1", "--db", url],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and done.stderr.startswith("krav: ")
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1

