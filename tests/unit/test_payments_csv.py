"""Payments CSV (issue 2) and format sniffing."""

from __future__ import annotations

from datetime import date

import pytest

from krav.payments.formats.common import BadBankFile, BadRows
from krav.payments.formats.csv import parse_csv
from krav.payments.formats.sniff import parse_bank_file, sniff

HEADER = "paid_on,amount,kid,invoice_number,creditor_orgnr\n"


def test_rows_by_kid_or_by_creditor_and_invoice() -> None:
    data = (HEADER + "2026-03-02,1234.50,0000531,,\n"
            "2026-03-03,100.00,,F-1001,845085153\n").encode()
    a, b = parse_csv(data).transactions
    assert (a.paid_on, a.amount_ore, a.kid, a.line) == (date(2026, 3, 2), 123_450, "0000531", 2)
    assert (b.invoice_number, b.creditor_orgnr, b.kid) == ("F-1001", "845085153", "")
    assert a.external_id.startswith("csv:") and a.external_id != b.external_id


def test_identity_is_stable_and_counts_equal_rows() -> None:
    row = "2026-03-02,100.00,0000531,,\n"
    first = parse_csv((HEADER + row).encode()).transactions
    twice = parse_csv((HEADER + row + row).encode()).transactions
    assert first[0].external_id == twice[0].external_id != twice[1].external_id


def test_bom_semicolons_and_optional_columns() -> None:
    data = ("\ufeffpaid_on;amount;kid;payer_name;designation;external_id\n"
            "2026-03-02;10.00;0000531;Kari Nordmann;interest;BANK-1\n").encode()
    (tx,) = parse_csv(data).transactions
    assert (tx.payer_name, tx.designation, tx.external_id) == ("Kari Nordmann", "interest",
                                                               "csv:BANK-1")


def test_every_bad_row_is_reported_and_nothing_returned() -> None:
    data = (HEADER + "2026-03-02,1234.50,0000531,,\n"
            "2026-02-30,10.00,0000531,,\n"
            "2026-03-02,10.5,0000532,,\n"
            "2026-03-02,-3.00,,F1,845085153\n"
            "2026-03-02,3.00,,F1,845085154\n"
            "2026-03-02,3.00,,,\n"
            "2026-03-02,3.00,1,2,3,4\n").encode()
    with pytest.raises(BadRows) as info:
        parse_csv(data, name="inn.csv")
    problems = info.value.problems
    assert len(problems) == 6
    assert problems[0].startswith("rad 3, kolonne paid_on: ugyldig dato")
    assert problems[1].startswith("rad 4, kolonne kid: ugyldig KID '0000532'")
    assert problems[2].startswith("rad 5, kolonne amount: negativt beløp")
    assert problems[3].startswith("rad 6, kolonne creditor_orgnr: ugyldig organisasjonsnummer")
    assert problems[4].startswith("rad 7: raden sier ikke hvilket krav")
    assert problems[5].startswith("rad 8: flere celler enn kolonner")
    assert str(info.value).startswith("inn.csv: 6 feil, ingenting importert")


def test_amount_with_three_decimals_names_the_column() -> None:
    with pytest.raises(BadRows, match="rad 2, kolonne amount"):
        parse_csv((HEADER + "2026-03-02,10.505,0000531,,\n").encode())


@pytest.mark.parametrize("header,fragment", [
    ("paid_on,kid\n", "mangler kolonne(r) amount"),
    ("paid_on,amount,kidd\n", "ukjent(e) kolonne(r) kidd")])
def test_bad_header(header: str, fragment: str) -> None:
    with pytest.raises(BadBankFile, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        parse_csv(header.encode(), name="inn.csv")


def test_not_utf8() -> None:
    with pytest.raises(BadBankFile, match="UTF-8"):
        parse_csv((HEADER + "2026-03-02,1.00,,Fø,845085153\n").encode("latin-1"))


def test_sniffing() -> None:
    assert sniff(b"NY000010" + b"0" * 72) == "ocr"
    assert sniff(HEADER.encode()) == "csv"
    assert sniff(b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
                 b'camt.053.001.02"><BkToCstmrStmt>') == "camt053"
    with pytest.raises(BadBankFile, match="ukjent filformat"):
        sniff(b"hello")
    with pytest.raises(BadBankFile, match="ikke camt"):
        sniff(b"<html></html>")
    with pytest.raises(BadBankFile, match="ukjent format 'mt940'"):
        parse_bank_file(b"", fmt="mt940")
