"""``krav payments …``, ``krav settle`` and ``krav bench payments`` through the real entry
point, on SQLite and PostgreSQL: JSON contracts, the queue, bad files (one ``krav:`` line, exit 2,
nothing written)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

import pytest
from tests.factories import NORDLYS, Krav, claim, claim_row, table_counts, write_csv

from krav.payments.formats.ocr_writer import OcrPayment, write_ocr

AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
DUE = date(2026, 1, 5)


@pytest.fixture
def krav(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    k = Krav(db_url, capsys)
    path = write_csv(tmp_path / "claims.csv", [claim_row(invoice="1", amount="1000.00"),
                                               claim_row(invoice="2", amount="250.00")])
    assert k.json("import", "claims", str(path))["claims"] == 2
    return k


def test_import_prints_the_json_contract_and_is_idempotent(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ocr.txt"
    path.write_text(write_ocr([OcrPayment(100_000, claim(engine, "K-0000001")["kid"],
                                          bank_date=DUE),
                               OcrPayment(1_000, "", tx_type="21", text="ukjent")],
                              nets_date=DUE))
    data = krav.json("payments", "import", str(path), "--as-of", "2026-01-07")
    assert data == {"transactions": 2, "total": "1010.00", "matched": 1, "unmatched": 1,
                    "duplicates": 0}
    assert AMOUNT.match(data["total"])
    code, out, err = krav("payments", "import", str(path), "--format", "ocr", "--json")
    assert code == 0 and "allerede importert" in err
    assert json.loads(out) == {"transactions": 2, "total": "1010.00", "matched": 0,
                               "unmatched": 0, "duplicates": 2}
    code, out, _ = krav("payments", "import", str(path))
    assert code == 0 and "allerede importert" in out


def test_queue_assign_refund_direct_credit_note(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "in.csv"
    path.write_text("paid_on,amount,kid\n2026-01-05,250.00,0000009985\n"
                    "2026-01-05,9.00,0000009993\n")
    assert krav.json("payments", "import", str(path))["unmatched"] == 2
    queue = krav.json("payments", "unmatched")
    assert [q["amount"] for q in queue] == ["250.00", "9.00"]
    assert queue[0]["suggestions"][0]["ref"] == "K-0000002"
    code, out, err = krav("payments", "assign", str(queue[0]["payment"]), "K-0000002",
                          "--on", "2026-01-08")
    assert code == 0 and "betalt" in out, err
    code, out, _ = krav("payments", "refund", str(queue[1]["payment"]), "--on", "2026-01-08")
    assert code == 0 and "9,00" in out
    assert krav.json("payments", "unmatched") == []
    assert krav("payments", "credit-note", "K-0000001", "100.00", "--reason", "rabatt",
                "--on", "2026-01-06")[0] == 0
    code, out, _ = krav("payments", "direct", "K-0000001", "900.00", "--on", "2026-01-05")
    assert code == 0 and claim(engine, "K-0000001")["status"] == "closed"
    result = krav.json("payments", "reconcile")
    assert result["ok"] and result["difference"] == "0.00"


def test_settle_writes_csv_and_pdf(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ocr.txt"
    path.write_text(write_ocr([OcrPayment(100_000, claim(engine, "K-0000001")["kid"],
                                          bank_date=DUE)], nets_date=DUE))
    krav.json("payments", "import", str(path), "--as-of", "2026-01-07")
    out_dir = tmp_path / "oppgjor"
    data = krav.json("settle", "--creditor", NORDLYS.orgnr, "--period", "2026-01",
                     "--out", str(out_dir), "--as-of", "2026-02-01")
    assert (data["collected"], data["payout"], data["commission"]) == ("1000.00", "1000.00",
                                                                      "0.00")
    assert sorted(p.name for p in out_dir.iterdir()) == [
        f"oppgjor-{NORDLYS.orgnr}-2026-01.csv", f"oppgjor-{NORDLYS.orgnr}-2026-01.pdf",
        f"pain001-{data['payment_file']['msg_id']}.xml"]  # pays the 1000.00 out
    assert data["payment_file"]["total"] == "1000.00"
    again = krav.json("settle", "--creditor", NORDLYS.orgnr, "--period", "2026-01",
                      "--as-of", "2026-02-01")
    assert again["already_settled"] and again["settlement"] == data["settlement"]


@pytest.mark.parametrize("content,argv,says", [
    (b"NY000010" + b"0" * 71 + b"\n", [], "linje 1"),
    (b"paid_on,amount,kid\n2026-01-05,1.0.0,0000000018\n2026-13-01,1.00,0000000018\n", [],
     "2 feil, ingenting importert"),
    (b"<Document><Foo/></Document>", [], "ikke camt"),
    (b"hello", ["--format", "camt054"], "ugyldig XML"),
])
def test_a_bad_file_is_one_line_and_writes_nothing(krav, engine, tmp_path, content: bytes,  # type: ignore[no-untyped-def]
                                                   argv: list[str], says: str) -> None:
    path = tmp_path / "bad.dat"
    path.write_bytes(content)
    before = table_counts(engine)
    code, out, err = krav("payments", "import", str(path), *argv)
    assert code == 2 and out == "" and err.startswith("krav: ") and says in err
    assert "Traceback" not in err
    assert table_counts(engine) == before


def test_missing_file_and_bad_arguments(krav, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = krav("payments", "import", str(tmp_path / "nope.txt"))
    assert code == 2 and "kan ikke lese filen" in err
    code, _, err = krav("payments", "assign", "999", "K-0000001")
    assert code == 2 and "ukjent innbetaling 999" in err
    code, _, err = krav("settle", "--creditor", NORDLYS.orgnr, "--period", "26-01")
    assert code == 2 and "ugyldig periode" in err


def test_bench_payments_json(tmp_path) -> None:
    result = subprocess.run([sys.executable, "-m", "krav", "bench", "payments",
                             "--transactions", "300", "--json", "--netsgiro"],
                            capture_output=True, text=True, cwd=tmp_path, check=True)
    data = json.loads(result.stdout)
    assert set(data) == {"transactions", "seconds", "transactions_per_second",
                         "netsgiro_parse_seconds", "netsgiro_transactions_per_second", "ratio"}
    assert data["transactions"] == 300 and data["seconds"] > 0
    # seconds are rounded to the millisecond: allow for that on a fast run
    assert data["transactions_per_second"] == pytest.approx(
        300 / data["seconds"], rel=0.01 + 0.0005 / data["seconds"])
    assert data["netsgiro_parse_seconds"] > 0 and data["ratio"] > 0


def test_a_booking_dated_before_what_it_follows_is_refused(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A refund before the payment, an assignment before the payment, a direct payment or a
    credit note before the invoice date, a direct payment after its booking day: one line,
    exit 2, nothing written."""
    path = tmp_path / "in.csv"
    path.write_text("paid_on,amount,kid\n2026-01-05,9.00,0000009993\n")
    assert krav.json("payments", "import", str(path))["unmatched"] == 1
    (queued,) = krav.json("payments", "unmatched")
    pid = str(queued["payment"])
    invoice_date = claim(engine, "K-0000001")["invoice_date"].isoformat()
    cases = [
        (["payments", "refund", pid, "--on", "2026-01-04"],
         "--on: 2026-01-04 er før betalingsdatoen til innbetaling"),
        (["payments", "assign", pid, "K-0000001", "--on", "2026-01-04"],
         "--on: 2026-01-04 er før betalingsdatoen til innbetaling"),
        (["payments", "direct", "K-0000001", "100.00", "--on", "2025-12-01"],
         f"er før fakturadatoen til K-0000001 {invoice_date}"),
        (["payments", "direct", "K-0000001", "100.00", "--on", "2026-02-02", "--as-of",
          "2026-02-01"], "etter bokføringsdagen 2026-02-01"),
        (["payments", "credit-note", "K-0000001", "100.00", "--reason", "rabatt", "--on",
          "2025-12-01"], "er før fakturadatoen"),
    ]
    for argv, says in cases:
        before = table_counts(engine)
        code, out, err = krav(*argv)
        assert code == 2 and out == "" and err.startswith("krav: ") and says in err, err
        assert err.count("\n") == 1 and table_counts(engine) == before
    code, out, _ = krav("payments", "refund", pid, "--on", "2026-01-05")
    assert code == 0 and "9,00" in out


@pytest.mark.parametrize("content,says", [
    # the last line has 3 of 10 fields: cut off, never booked
    (b"paid_on,amount,kid,invoice_number,creditor_orgnr,payer_name,payer_account,text,"
     b"designation,external_id\n2026-01-05,100.00,,1,845085153,Kari,,,,B-1\n"
     b"2026-01-06,50.00,\n", "rad 3: færre celler enn kolonner (3 celler, overskriften har 10)"),
    (b"paid_on,amount,kid\n2026-01-05,1.00,0000009993\n2026-01-05,1.00,0000009993,x\n",
     "rad 3: flere celler enn kolonner"),
    (b"paid_on;amount;kid\n2026-01-05;1000,50;0000009993\n",
     "rad 2, kolonne amount: ugyldig beløp '1000,50' — desimalkomma? bruk --dialect no"),
    ("paid_on,amount,payer_name,kid\n2026-01-05,1.00,Kåre,0000009993\n".encode("cp1252"),
     "rad 2: ugyldig tegn (byte 0xE5, posisjon 18 i raden) – filen er ikke UTF-8; bruk "
     "--dialect no for Windows-1252"),
])
def test_a_bad_csv_row_names_the_file_and_row(krav, engine, tmp_path, content, says) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "inn.csv"
    path.write_bytes(content)
    before = table_counts(engine)
    code, out, err = krav("payments", "import", str(path))
    assert code == 2 and out == "" and err.startswith(f"krav: {path}") and says in err, err
    assert table_counts(engine) == before


def test_a_norwegian_excel_payments_file_with_dialect_no(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Windows-1252, ``;``, CRLF, decimal comma with a thousands space, DD.MM.ÅÅÅÅ, a trailing
    ``;`` and an empty last line, as Excel saves "CSV (semikolondelt)" in Norway."""
    text = ("paid_on;amount;invoice_number;creditor_orgnr;payer_name;\r\n"
            "05.01.2026;1 000,00;1;845085153;Kåre Ørnulf Æsland;\r\n"
            "06.01.2026;250,00;2;845085153;Åse;\r\n;;;;;\r\n")
    path = tmp_path / "innbetalinger.csv"
    path.write_bytes(text.encode("cp1252"))
    data = krav.json("payments", "import", str(path), "--dialect", "no", "--as-of", "2026-01-07")
    assert data == {"transactions": 2, "total": "1250.00", "matched": 2, "unmatched": 0,
                    "duplicates": 0}
    assert claim(engine, "K-0000001")["status"] == "closed"
    from sqlalchemy import select

    from krav.db.tables import payments
    with engine.connect() as conn:
        names = sorted(conn.execute(select(payments.c.payer_name)).scalars())
    assert names == ["Kåre Ørnulf Æsland", "Åse"]
    code, _, err = krav("payments", "import", str(path), "--dialect", "no", "--format", "ocr")
    assert code == 2 and "--dialect" in err
