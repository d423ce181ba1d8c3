"""Issue 8 part 11: values at their limits are refused with one ``krav:`` answer naming file,
row, field and what is allowed — the same on SQLite and PostgreSQL, nothing written."""

from __future__ import annotations

import pytest
from tests.factories import Krav, claim, claim_row, table_counts, write_csv

from krav.cli.main import main

LONG_CELL = "x" * 140_000


@pytest.fixture
def krav(db_url, capsys) -> Krav:  # type: ignore[no-untyped-def]
    return Krav(db_url, capsys)


@pytest.mark.parametrize("column,value,fragment", [
    ("amount", "123456789012345678901.00", "er for stort (tillatt: høyst 100 000 000 000.00 kr)"),
    ("amount", "1e30", "ugyldig beløp '1e30'"),
    ("amount", "Infinity", "ugyldig beløp"),
    ("amount", "1_000.00", "ugyldig beløp"),
    ("amount", "\u0661\u0662\u0663.00", "ugyldig beløp"),  # Arabic-Indic digits
    ("due_date", "9999-12-31", "utenfor det tillatte området (tillatt: 1900-01-01 – 2199-12-31)"),
    ("invoice_date", "0001-01-01", "utenfor det tillatte området"),
    ("debtor_name", "K" * 5000, "teksten har 5000 tegn (tillatt: høyst 200 tegn)"),
    ("invoice_number", "9" * 51, "høyst 50 tegn"),
    ("description", "d" * 501, "høyst 500 tegn"),
    ("debtor_city", "Oslo\x00", "kontrolltegn (U+0000)"),
    ("creditor_name", "Nordlys\x1bEnergi", "kontrolltegn (U+001B)"),
    ("description", LONG_CELL, "en celle er lengre enn 131 072 tegn"),
])
def test_claims_csv_values_beyond_their_limits(krav, engine, tmp_path, column: str,  # type: ignore[no-untyped-def]
                                               value: str, fragment: str) -> None:
    path = write_csv(tmp_path / "claims.csv", [claim_row(invoice="1"),
                                               claim_row(invoice="2", **{column: value})])
    before = table_counts(engine)
    code, out, err = krav("import", "claims", str(path))
    assert code != 0 and "Traceback" not in err
    assert f"{path}, rad 3" in err and fragment in err, err
    if column != "description" or value != LONG_CELL:
        assert f"kolonne {column}" in err
    assert table_counts(engine) == before


def test_a_long_name_and_address_without_id_fit_the_debtor_key(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    row = claim_row(debtor_name="N" * 200, debtor_address="A" * 200, debtor_id="",
                    debtor_kind="consumer")
    path = write_csv(tmp_path / "claims.csv", [row, {**row, "invoice_number": "2"}])
    assert krav.json("import", "claims", str(path))["claims"] == 2
    assert claim(engine, "K-0000001")["debtor_id"] == claim(engine, "K-0000002")["debtor_id"]


@pytest.mark.parametrize("cells,fragment", [
    ("2026-01-05,123456789012345678901,{kid},", "rad 2, kolonne amount: beløpet"),
    ("2026-01-05,1e30,{kid},", "rad 2, kolonne amount: ugyldig beløp '1e30'"),
    ("2026-01-05,\u0661\u0660\u0660.00,{kid},", "rad 2, kolonne amount: ugyldig beløp"),
    ("9999-12-31,100.00,{kid},", "rad 2, kolonne paid_on: datoen 9999-12-31 er utenfor"),
    ("2026-01-05,100.00,{kid},hei\x00du", "rad 2, kolonne text: teksten har et kontrolltegn"),
    ("2026-01-05,100.00,{kid}," + "t" * 501, "rad 2, kolonne text: teksten har 501 tegn"),
    ("2026-01-05,100.00,{kid}," + LONG_CELL, "rad 2: en celle er lengre enn 131 072 tegn"),
])
def test_payments_csv_values_beyond_their_limits(krav, engine, tmp_path, cells: str,  # type: ignore[no-untyped-def]
                                                 fragment: str) -> None:
    path = write_csv(tmp_path / "claims.csv", [claim_row(invoice="1")])
    krav.json("import", "claims", str(path))
    bank = tmp_path / "bank.csv"
    bank.write_text("paid_on,amount,kid,text\n" + cells.format(kid=claim(engine)["kid"]) + "\n",
                    encoding="utf-8")
    before = table_counts(engine)
    code, out, err = krav("payments", "import", str(bank), "--as-of", "2026-01-20")
    assert code != 0 and "Traceback" not in err
    assert fragment in err, err
    assert table_counts(engine) == before


def test_payments_csv_external_id_longer_than_its_column(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Cut at 120 characters, two long ids would have been one, and the second payment lost."""
    krav.json("import", "claims", str(write_csv(tmp_path / "c.csv", [claim_row(invoice="1")])))
    kid = claim(engine)["kid"]
    bank = tmp_path / "bank.csv"
    bank.write_text("paid_on,amount,kid,external_id\n"
                    f"2026-01-05,10.00,{kid},{'E' * 130}1\n2026-01-05,10.00,{kid},{'E' * 130}2\n")
    code, out, err = krav("payments", "import", str(bank), "--as-of", "2026-01-20")
    assert code != 0 and "kolonne external_id: teksten har 131 tegn (tillatt: høyst 116 tegn)" \
        in err


@pytest.mark.parametrize("argv,fragment", [
    (("payments", "direct", "K-0000001", "1e30", "--on", "2026-01-10"), "AMOUNT: ugyldig beløp"),
    (("payments", "direct", "K-0000001", "99999999999999999999", "--on", "2026-01-10"),
     "AMOUNT: beløpet"),
    (("payments", "direct", "K-0000001", "10.00", "--on", "9999-12-31"), "--on: datoen"),
])
def test_command_line_amounts_and_dates_beyond_their_limits(krav, engine, tmp_path, argv,  # type: ignore[no-untyped-def]
                                                            fragment: str) -> None:
    krav.json("import", "claims", str(write_csv(tmp_path / "c.csv", [claim_row(invoice="1")])))
    before = table_counts(engine)
    code, out, err = krav(*argv)
    assert code != 0 and "Traceback" not in err
    assert err.startswith("krav: ") and fragment in err, err
    assert table_counts(engine) == before


@pytest.mark.parametrize("argv,fragment", [
    (("calc", "interest", "--principal", "\u0661\u0660\u0660", "--due", "2026-01-05",
      "--until", "2026-02-05"), "--principal: ugyldig beløp"),
    (("calc", "interest", "--principal", "100.00", "--due", "2026-01-05",
      "--until", "9999-12-31"), "--until: datoen 9999-12-31 er utenfor"),
    (("calc", "fees", "--principal", "1e30", "--due", "2026-01-05", "--debtor", "consumer"),
     "--principal: ugyldig"),
])
def test_calc_options_beyond_their_limits(capsys, argv, fragment: str) -> None:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert err.startswith("krav: ") and fragment in err, err


@pytest.mark.parametrize("column,value,fragment", [
    ("kid", "\u0660\u0660\u0660\u0660\u0665\u0663\u0661", "ugyldig KID"),  # ٠٠٠٠٥٣١ = 0000531
    ("debtor_postcode", "\u0660\u0661\u0665\u0660", "ugyldig postnummer"),
])
def test_other_digit_systems_are_not_digits(krav, engine, tmp_path, column: str, value: str,  # type: ignore[no-untyped-def]
                                            fragment: str) -> None:
    path = write_csv(tmp_path / "claims.csv", [claim_row(invoice="1", **{column: value})])
    code, out, err = krav("import", "claims", str(path))
    assert code != 0 and f"rad 2, kolonne {column}: {fragment}" in err, err
    assert table_counts(engine)["claims"] == 0
