"""File-level CSV reading (krav.kernel.csvfile): amounts and dates of ``--dialect no``, the
delimiter from the header, and where a bad byte is."""

from __future__ import annotations

import pytest

from krav.kernel.csvfile import (
    NORWEGIAN,
    STANDARD,
    decode,
    norwegian_amount,
    norwegian_date,
    read_table,
    sniff_delimiter,
)
from krav.kernel.errors import InvalidInput


@pytest.mark.parametrize("raw,value", [
    ("1234,50", "1234.50"), ("1 234,50", "1234.50"), ("1\u00a0234,50", "1234.50"),
    ("1\u202f234,5", "1234.5"), ("1\u2009234\u2009567,00", "1234567.00"),
    ("1.234,50", "1234.50"), ("1.234.567,89", "1234567.89"), ("12", "12"), ("-5,00", "-5.00"),
    ("\u22125,00", "-5.00"), ("0,5", "0.5"), ("1234", "1234"),
    # refused: ambiguous, mixed or misplaced separators, decimal point, non-ASCII digits
    ("1.234", None), ("1234.50", None), ("12 34,50", None), ("1 234.567,00", None),
    ("1,234,56", None), ("1 234 ,50", None), (",50", None), ("1e3", None), ("١٢٣", None),
    ("", None),
])
def test_norwegian_amounts(raw: str, value: str | None) -> None:
    assert norwegian_amount(raw) == value


@pytest.mark.parametrize("raw,value", [
    ("05.01.2026", "2026-01-05"), ("5.1.2026", "2026-01-05"), ("29.02.2028", "2028-02-29"),
    ("30.02.2026", None), ("05.01.26", None), ("2026-01-05", None), ("05/01/2026", None),
])
def test_norwegian_dates(raw: str, value: str | None) -> None:
    assert norwegian_date(raw) == value


def test_the_delimiter_is_read_from_the_header() -> None:
    known = ("paid_on", "amount", "kid")
    assert sniff_delimiter("paid_on;amount;kid", known, ",") == ";"
    assert sniff_delimiter("paid_on,amount,kid", known, ";") == ","
    assert sniff_delimiter("paid_on\tamount\tkid", known, ",") == "\t"
    assert sniff_delimiter("a,b", known, ";") == ";"  # nothing known: the dialect's own


def test_excel_shape_is_read_and_a_cut_row_is_not() -> None:
    text = ("\r\npaid_on;amount;kid;\r\n2026-01-05;1,00;1;\r\n;;;\r\n\r\n2026-01-06;2\r\n"
            "2026-01-07;3;3;;;\r\n")
    table = read_table(text.lstrip(), "f.csv", known=("paid_on", "amount", "kid"),
                       dialect=NORWEGIAN, amounts=("amount",), prefix="f.csv, ")
    assert table.header == ["paid_on", "amount", "kid"] and table.delimiter == ";"
    assert table.rows == [(2, {"paid_on": "2026-01-05", "amount": "1.00", "kid": "1"}),
                          (6, {"paid_on": "2026-01-07", "amount": "3", "kid": "3"})]
    assert table.problems == ["f.csv, rad 5: færre celler enn kolonner (2 celler, "
                              "overskriften har 3)"]


def test_a_header_with_a_blank_or_repeated_name_is_refused() -> None:
    with pytest.raises(InvalidInput, match="kolonne 2 har ingen overskrift"):
        read_table("a,,b\n1,2,3\n", "f.csv", known=("a", "b"))
    with pytest.raises(InvalidInput, match="kolonnen a står to ganger"):
        read_table("a,b,a\n1,2,3\n", "f.csv", known=("a", "b"))


def test_decoding() -> None:
    assert decode("\ufeffpaid_on\nÆ\n".encode(), "f") == "paid_on\nÆ\n"
    assert decode("a\nÆøå\n".encode("cp1252"), "f", NORWEGIAN) == "a\nÆøå\n"
    assert decode("a\nÆøå\n".encode(), "f", NORWEGIAN) == "a\nÆøå\n"  # UTF-8 stays UTF-8
    with pytest.raises(InvalidInput) as info:
        decode(b"a,b\n1,2\n3,x\xe6\n", "f.csv", STANDARD)
    assert str(info.value) == ("f.csv, rad 3: ugyldig tegn (byte 0xE6, posisjon 4 i raden) – "
                               "filen er ikke UTF-8; bruk --dialect no for Windows-1252")
    with pytest.raises(InvalidInput, match=r"rad 2: ugyldig tegn \(byte 0x81"):
        decode(b"a\n\x81\n", "f.csv", NORWEGIAN)  # undefined in Windows-1252
    with pytest.raises(InvalidInput, match="rad 1: .*byte 0xE6, posisjon 3 i raden.*UTF-8-BOM"):
        decode(b"\xef\xbb\xbfab\xe6", "f.csv", NORWEGIAN)  # a BOM promises UTF-8
