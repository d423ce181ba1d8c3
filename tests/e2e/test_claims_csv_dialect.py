"""Claims CSV as Norwegian users export it (issue 8 part 7): ``;`` found from the header, BOM,
CRLF, trailing ``;`` and empty lines; ``--dialect no`` for decimal comma, DD.MM.ÅÅÅÅ and
Windows-1252; a bad byte or a row of the wrong shape named by row — and nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from tests.factories import OLA, Krav, claim, claim_row, table_counts

from krav.intake.claims_csv import COLUMNS


@pytest.fixture
def krav(db_url, capsys) -> Krav:  # type: ignore[no-untyped-def]
    return Krav(db_url, capsys)


def csv_text(rows: list[dict[str, str]], *, sep: str = ";", end: str = "\n",
             trailing: str = "") -> str:
    lines = [sep.join(COLUMNS) + trailing] + [sep.join(r[c] for c in COLUMNS) + trailing
                                              for r in rows]
    return end.join(lines) + end


def test_a_semicolon_file_is_read_not_missing_every_column(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "krav.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([claim_row(), claim_row(invoice="1002")],
                                                 end="\r\n").encode())
    assert krav.json("import", "claims", str(path))["claims"] == 2
    assert claim(engine)["invoice_number"] == "1001"


def test_an_excel_file_in_the_norwegian_dialect(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [claim_row(amount="1 234,50", invoice_date="22.12.2025", due_date="05.01.2026",
                      description="Strøm for Ærøy"),
            claim_row(invoice="1002", debtor=OLA, amount="12.345,00",
                      invoice_date="2025-12-22", due_date="5.1.2026"),
            claim_row(invoice="1003", debtor=OLA, amount="99,5", invoice_date="22.12.2025",
                      due_date="05.01.2026")]
    text = csv_text(rows, end="\r\n", trailing=";") + ";" * 18 + "\r\n\r\n"
    path = tmp_path / "krav.csv"
    path.write_bytes(text.encode("cp1252"))
    before = table_counts(engine)
    code, out, err = krav("import", "claims", str(path))
    assert code == 2 and out == "" and table_counts(engine) == before
    assert err == (f"krav: {path}, rad 2: ugyldig tegn (byte 0xF8, posisjon "
                   f"{text.splitlines()[1].index('ø') + 1} i raden) – filen er ikke UTF-8; "
                   "bruk --dialect no for Windows-1252\n")
    assert krav.json("import", "claims", str(path), "--dialect", "no")["claims"] == 3
    first, second, third = (claim(engine, f"K-000000{i}") for i in (1, 2, 3))
    assert (first["original_principal_ore"], first["invoice_date"], first["due_date"],
            first["description"]) == (123_450, date(2025, 12, 22), date(2026, 1, 5),
                                      "Strøm for Ærøy")
    assert (second["original_principal_ore"], second["due_date"]) == (1_234_500,
                                                                      date(2026, 1, 5))
    assert third["original_principal_ore"] == 9_950


@pytest.mark.parametrize("cells,says", [
    ({"amount": "1.234"}, "rad 2, kolonne amount: ugyldig beløp '1.234' (tillatt: 1234,50, "
                          "1 234,50 eller 1.234,50)"),
    ({"amount": "1234.50"}, "ugyldig beløp '1234.50'"),
    ({"amount": "12 34,50"}, "ugyldig beløp '12 34,50'"),
    ({"amount": "1 234.567,00"}, "ugyldig beløp"),
    ({"amount": "١٢٣"}, "ugyldig beløp"),
    ({"due_date": "30.02.2026"}, "rad 2, kolonne due_date: ugyldig dato '30.02.2026' (tillatt: "
                                 "DD.MM.ÅÅÅÅ eller ÅÅÅÅ-MM-DD)"),
    ({"due_date": "01/05/2026"}, "ugyldig dato '01/05/2026'"),
])
def test_the_norwegian_dialect_is_strict(krav, engine, tmp_path, cells, says) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "krav.csv"
    path.write_text(csv_text([claim_row(**cells)]), encoding="utf-8")
    before = table_counts(engine)
    code, out, err = krav("import", "claims", str(path), "--dialect", "no")
    assert code == 2 and says in err, err
    assert "ingenting er importert" in err and table_counts(engine) == before


def test_without_the_dialect_a_norwegian_value_gets_a_hint(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "krav.csv"
    path.write_text(csv_text([claim_row(amount="1234,50"),
                              claim_row(invoice="2", due_date="05.01.2026")]), encoding="utf-8")
    code, _, err = krav("import", "claims", str(path))
    assert code == 2
    assert "rad 2, kolonne amount: ugyldig beløp '1234,50' — desimalkomma? bruk --dialect no" \
        in err
    assert "rad 3, kolonne due_date: ugyldig dato '05.01.2026' — DD.MM.ÅÅÅÅ? bruk --dialect no" \
        in err


def test_a_row_of_the_wrong_shape_is_an_error(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = csv_text([claim_row(), claim_row(invoice="2")], sep=",")
    path = tmp_path / "krav.csv"
    path.write_text(good + "845085153,Nordlys Energi AS,3\n" + good.splitlines()[1] + ",x\n",
                    encoding="utf-8")
    before = table_counts(engine)
    code, _, err = krav("import", "claims", str(path))
    assert code == 2 and table_counts(engine) == before
    lines = err.splitlines()
    assert lines[0] == f"krav: {path}: 2 feil, ingenting er importert"
    assert lines[1] == f"  {path}, rad 4: færre celler enn kolonner (3 celler, overskriften " \
                       "har 18)"
    assert lines[2] == f"  {path}, rad 5: flere celler enn kolonner (19 celler, overskriften " \
                       "har 18)"


def test_an_unknown_dialect_is_one_line(krav, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "krav.csv"
    path.write_text(csv_text([claim_row()]), encoding="utf-8")
    code, _, err = krav("import", "claims", str(path), "--dialect", "dk")
    assert code == 2 and err == "krav: --dialect: ukjent dialekt 'dk' (tillatt: standard, no)\n"
