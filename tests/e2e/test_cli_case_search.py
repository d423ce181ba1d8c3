"""Finding a case the way people ask, and what it takes to pay it today (issue 8 parts 4 and 8).

``krav case show`` and ``krav cases --search`` accept a KID, an invoice number (with
``--creditor`` when two creditors use it), a debtor's name or org number; both views show the
amount to pay today under one name and agree, also for an overpaid case; interest lines show
their period and rate; ``krav cases`` fits 80 columns. In-process CLI on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.factories import (
    BYGG,
    FJORDNETT,
    NORDLYS,
    Debtor,
    Krav,
    add_payment,
    claim_row,
    write_csv,
)

from krav.cli import common
from krav.ledger.service import PaymentToAllocate, allocate_payments

D = Decimal
AASE = Debtor(kind="consumer", name="Åse Ørnes", national_id="29049024116",
              address="Kirkeveien 3", postcode="5003", city="Bergen")
TODAY = "2026-03-01"


@pytest.fixture
def krav(db_url, capsys) -> Krav:  # type: ignore[no-untyped-def]
    return Krav(db_url, capsys)


@pytest.fixture
def book(krav, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    """K-0000001 Nordlys 1001 Kari; K-0000002 Nordlys 1002 Hansen Bygg AS; K-0000003 Fjordnett
    1001 Åse Ørnes (the same invoice number at another creditor); K-0000004 Nordlys 1003 Kari,
    overpaid by 663.82 and closed."""
    path = write_csv(tmp_path / "claims.csv", [
        claim_row(), claim_row(invoice="1002", debtor=BYGG, amount="250.00"),
        claim_row(creditor=FJORDNETT, debtor=AASE, invoice="1001", amount="400.00"),
        claim_row(invoice="1003", amount="500.00")])
    krav.ok("import", "claims", str(path))
    krav.ok("run", "--as-of", "2026-01-19")
    pid, claim_id = add_payment(engine, "K-0000004", "1200.00", date(2026, 1, 5))
    with engine.begin() as conn:
        allocate_payments(conn, [PaymentToAllocate(pid, claim_id, D("1200.00"), date(2026, 1, 5))],
                          as_of=date(2026, 1, 20))
    return krav


def test_cases_and_case_show_agree_on_the_amount_to_pay_today(book) -> None:  # type: ignore[no-untyped-def]
    rows = book.json("cases", "--as-of", TODAY)
    for row in rows:
        view = book.json("case", "show", row["ref"], "--as-of", TODAY)
        assert (row["to_pay_today"], row["owed_back"]) == \
            (view["to_pay_today"], view["owed_back"]), row["ref"]
    by_ref = {r["ref"]: r for r in rows}
    open_case = book.json("case", "show", "K-0000001", "--as-of", TODAY)
    # the balance plus interest accrued to the day, not yet posted
    assert D(open_case["to_pay_today"]) == \
        D(open_case["balance"]["total"]) + D(open_case["interest_accrued"]) > \
        D(open_case["balance"]["total"])
    overpaid = by_ref["K-0000004"]
    assert (overpaid["status"], overpaid["to_pay_today"], overpaid["owed_back"]) == \
        ("closed", "0.00", "700.00")
    text = book.ok("case", "show", "K-0000004", "--as-of", TODAY)
    assert "Å betale i dag: 0,00" in text and "700,00 til gode" in text
    assert not [line for line in text.splitlines() if "betale i dag" in line and "-" in line]


def test_case_show_finds_a_case_by_kid_invoice_name_and_orgnr(book) -> None:  # type: ignore[no-untyped-def]
    kid = book.json("case", "show", "K-0000002")["kid"]
    assert book.json("case", "show", kid)["ref"] == "K-0000002"
    assert book.json("case", "show", "1002")["ref"] == "K-0000002"
    assert book.json("case", "show", BYGG.national_id)["ref"] == "K-0000002"
    assert book.json("case", "show", "hansen bygg")["ref"] == "K-0000002"
    # æ, ø and å fold on both databases
    assert book.json("case", "show", "øRNES")["ref"] == "K-0000003"
    assert book.json("case", "show", "k-0000003")["ref"] == "K-0000003"


def test_an_ambiguous_reference_lists_the_cases_and_asks_for_the_creditor(book) -> None:  # type: ignore[no-untyped-def]
    code, out, err = book("case", "show", "1001")
    assert code != 0 and out == ""
    line = err.strip()
    assert "\n" not in line and line.startswith("krav: ")
    assert "K-0000001" in line and "K-0000003" in line and "--creditor ORGNR" in line
    assert book.json("case", "show", "1001", "--creditor", FJORDNETT.orgnr)["ref"] == "K-0000003"
    assert book.json("case", "show", "1001", "--creditor", NORDLYS.orgnr)["ref"] == "K-0000001"
    code, _, err = book("case", "show", "Kari")  # two of Kari's cases
    assert code != 0 and "K-0000001" in err and "K-0000004" in err
    code, _, err = book("case", "show", "nobody at all")
    assert code != 0 and err.startswith("krav: fant ingen sak")
    code, _, err = book("case", "show", "1001", "--creditor", "999999999")
    assert code != 0 and "ukjent oppdragsgiver" in err


def test_cases_search_lists_every_match(book) -> None:  # type: ignore[no-untyped-def]
    def refs(*argv: str) -> list[str]:
        return [r["ref"] for r in book.json("cases", "--as-of", TODAY, *argv)]

    assert refs("--search", "1001") == ["K-0000001", "K-0000003"]
    assert refs("--search", "1001", "--creditor", FJORDNETT.orgnr) == ["K-0000003"]
    assert refs("--search", "kari") == ["K-0000001", "K-0000004"]
    assert refs("--search", "ÅSE") == ["K-0000003"]
    assert refs("--search", BYGG.national_id) == ["K-0000002"]
    assert refs("--search", "100%") == []  # a LIKE wildcard is a character, not a pattern
    assert refs("--creditor", FJORDNETT.orgnr) == ["K-0000003"]


def test_interest_lines_show_their_period_and_rate(book) -> None:  # type: ignore[no-untyped-def]
    view = book.json("case", "show", "K-0000001")
    interest = [p for p in view["postings"] if p["kind"] == "interest"]
    assert interest[0]["period"] == {"from": "2026-01-06", "through": "2026-01-19", "days": 14}
    assert [r["rate"] for r in interest[0]["rates"]] == ["12.00"]
    common.console.width = 200
    try:
        text = book.ok("case", "show", "K-0000001")
    finally:
        common.console.width = 80
    assert "06.01.2026–19.01.2026 (14 dager, 12,00\u00a0% per år)" in text


def test_cases_fits_80_columns(book, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(common.console, "width", 80)
    text = book.ok("cases", "--as-of", TODAY)
    lines = text.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    for ref in ("K-0000001", "K-0000002", "K-0000003", "K-0000004"):
        assert ref in text
    assert "Å betale i dag" in text and "til gode 700,00" in text
    assert "01.03.26" not in text  # closed cases have no next step
    monkeypatch.setattr(common.console, "width", 120)
    assert "Oppdragsgiver" in book.ok("cases", "--as-of", TODAY)
