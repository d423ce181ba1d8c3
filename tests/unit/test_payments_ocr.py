"""Nets OCR giro parser: public samples (tests/data), generated files, signs, totals, bad files."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import netsgiro
import pytest

from krav.payments.formats.common import BadBankFile
from krav.payments.formats.ocr import parse_ocr
from krav.payments.formats.ocr_writer import OcrPayment, ocr_lines, write_ocr

NETS_DAY = date(2026, 3, 3)


def _sample(samples: str, name: str) -> str:
    with open(os.path.join(samples, "ocr-giro", name), encoding="latin-1") as f:
        return f.read()


def test_python_netsgiro_sample(samples: str) -> None:
    parsed = parse_ocr(_sample(samples, "python-netsgiro_ocr_giro_transactions.txt"))
    txs = parsed.transactions
    assert len(txs) == 20 and parsed.total_ore == 5_144_900
    first = txs[0]
    assert (first.kid, first.amount, first.text) == ("0000531", Decimal("1020.00"), "Foo bar baz")
    assert first.paid_on == date(1992, 1, 16)  # the payer's bank date (record 31)
    assert first.booked_on == date(1992, 1, 20)  # the Nets date (record 30)
    assert txs[8].paid_on == date(1992, 1, 20)  # bank date 000000: the Nets date
    assert txs[7].kid == "02212291038306" and txs[7].payer_account == "99999545528"
    assert not any(t.reversal for t in txs)
    assert len({t.external_id for t in txs}) == 20


def test_agrees_with_netsgiro_on_the_samples(samples: str) -> None:
    for name in ("python-netsgiro_ocr_giro_transactions.txt",
                 "java-netsgiro_ocr3_type21_freetext.txt"):
        data = _sample(samples, name)
        ours = parse_ocr(data).transactions
        theirs = [t for a in netsgiro.parse(data).assignments for t in a.transactions]
        assert [t.amount for t in ours] == [t.amount for t in theirs]
        assert [t.kid for t in ours] == [(t.kid or "") for t in theirs]
        assert [t.booked_on for t in ours] == [t.date for t in theirs]
        assert [t.paid_on for t in ours] == [t.bank_date or t.date for t in theirs]
        assert [t.text for t in ours] == [t.text or "" for t in theirs]


def test_free_text_payment_with_blank_kid(samples: str) -> None:
    (tx,) = parse_ocr(_sample(samples, "java-netsgiro_ocr3_type21_freetext.txt")
                      ).transactions
    assert tx.kid == "" and tx.text == "ABCDEFGHIJKLMNOPQRSTUVWXZYabcdefghijklmn"
    assert tx.payer_account == ""  # all zeros means unknown, although it passes MOD11
    assert tx.amount == Decimal("440.00") and tx.paid_on == date(2004, 3, 23)


def test_negative_sign_is_a_reversal_and_totals_are_net() -> None:
    text = write_ocr([OcrPayment(150_000, "0000531"), OcrPayment(-50_000, "0000531"),
                      OcrPayment(20_000, "", tx_type="21", text="Faktura 77")], nets_date=NETS_DAY)
    txs = parse_ocr(text).transactions
    assert [t.amount_ore for t in txs] == [150_000, -50_000, 20_000]
    assert [t.reversal for t in txs] == [False, True, False]
    assert txs[2].text == "Faktura 77"


def _set_total(line: str, ore: int) -> str:
    return line[:24] + f"{ore:017d}" + line[41:]


def test_reversal_types_may_be_added_to_the_total() -> None:
    """The English manual: amounts of types 18/20 are added to the total, not subtracted."""
    lines = ocr_lines([OcrPayment(10_000, "0000531"), OcrPayment(-3_000, "0036633", tx_type="18")],
                      nets_date=NETS_DAY)
    assert int(lines[-2][24:41]) == 13_000  # the writer adds reversal types' amounts
    for total in (7_000, 13_000):  # net, or with the reversal added: both conventions pass
        lines[-2], lines[-1] = _set_total(lines[-2], total), _set_total(lines[-1], total)
        txs = parse_ocr("\n".join(lines)).transactions
        assert [t.amount_ore for t in txs] == [10_000, -3_000] and txs[1].reversal
    lines[-2], lines[-1] = _set_total(lines[-2], 12_000), _set_total(lines[-1], 12_000)
    with pytest.raises(BadBankFile, match="totalbeløp 120.00, summen av transaksjonene er 70.00"):
        parse_ocr("\n".join(lines))


@pytest.mark.parametrize("digits,year", [("010170", 1970), ("311299", 1999), ("010168", 2068),
                                         ("290224", 2024)])
def test_two_digit_years(digits: str, year: int) -> None:
    text = write_ocr([OcrPayment(100, "0000531")], nets_date=NETS_DAY)
    lines = text.splitlines()
    lines[2] = lines[2][:15] + digits + lines[2][21:]
    (tx,) = parse_ocr("\n".join(lines)).transactions
    assert tx.booked_on.year == year


def _lines() -> list[str]:
    return ocr_lines([OcrPayment(100_000, "0000531", bank_date=date(2026, 3, 2)),
                      OcrPayment(25_050, "0036633"),
                      OcrPayment(5_000, "", tx_type="21", text="hei")], nets_date=NETS_DAY)


def _refused(lines: list[str], *fragments: str) -> str:
    with pytest.raises(BadBankFile) as info:
        parse_ocr("\n".join(lines) + "\n", name="bank.txt")
    message = str(info.value)
    assert message.startswith("bank.txt, ")
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_generated_file_round_trips() -> None:
    txs = parse_ocr("\n".join(_lines())).transactions
    assert [t.amount_ore for t in txs] == [100_000, 25_050, 5_000]
    assert txs[0].paid_on == date(2026, 3, 2) and txs[1].paid_on == NETS_DAY


def test_wrong_record_length() -> None:
    lines = _lines()
    lines[3] = lines[3][:-1]
    _refused(lines, "linje 4", "79 tegn", "80 tegn")


def test_unknown_record_type() -> None:
    lines = _lines()
    lines[4] = lines[4][:6] + "33" + lines[4][8:]
    _refused(lines, "linje 5", "ukjent posttype '33'")


def test_unknown_transaction_type() -> None:
    lines = _lines()
    lines[2] = lines[2][:4] + "22" + lines[2][6:]
    _refused(lines, "linje 3", "transaksjonstype '22'")


def test_truncated_file() -> None:
    _refused(_lines()[:-1], "avkortet")
    _refused(_lines()[:5], "avkortet")


def test_bad_date() -> None:
    lines = _lines()
    lines[2] = lines[2][:15] + "310226" + lines[2][21:]
    _refused(lines, "linje 3", "ugyldig dato '310226'")


def test_bad_amount_and_sign() -> None:
    lines = _lines()
    lines[2] = lines[2][:40] + "12a" + lines[2][43:]
    _refused(lines, "linje 3", "beløp")
    lines = _lines()
    lines[2] = lines[2][:31] + "+" + lines[2][32:]
    _refused(lines, "posisjon 32", "ugyldig fortegn '+'")


@pytest.mark.parametrize("index,field,fragment", [
    (-2, slice(8, 16), "sluttpost for oppdrag 0000001 oppgir 4 transaksjoner, filen har 3"),
    (-2, slice(16, 24), "poster"),
    (-2, slice(24, 41), "totalbeløp"),
    (-1, slice(8, 16), "sluttpost for forsendelsen oppgir 4 transaksjoner"),
    (-1, slice(24, 41), "sluttpost for forsendelsen oppgir totalbeløp"),
])
def test_totals_that_do_not_add_up(index: int, field: slice, fragment: str) -> None:
    lines = _lines()
    line = lines[index]
    value = int(line[field]) + 1
    lines[index] = line[:field.start] + str(value).zfill(field.stop - field.start) + \
        line[field.stop:]
    _refused(lines, fragment)


def test_amount_item_1_without_amount_item_2() -> None:
    lines = _lines()
    del lines[3]
    _refused(lines, "linje 4")


def test_records_after_the_end() -> None:
    _refused(_lines() + [_lines()[-1]], "etter sluttpost 89")


def test_not_an_ocr_file() -> None:
    with pytest.raises(BadBankFile, match="startpost"):
        parse_ocr("paid_on,amount\n2026-01-01,1.00\n")
    with pytest.raises(BadBankFile, match="tom"):
        parse_ocr("\n\n")


@pytest.mark.parametrize("name,kind", [
    ("python-netsgiro_avtalegiro_payment_request.txt", "betalingskrav"),
    ("python-netsgiro_avtalegiro_agreements.txt", "avtaler om faste betalingsoppdrag"),
])
def test_avtalegiro_files_are_refused_by_name(samples: str, name: str, kind: str) -> None:
    with pytest.raises(BadBankFile) as info:
        parse_ocr(_sample(samples, name), name="ag.txt")
    message = str(info.value)
    assert message.startswith("ag.txt, linje 2 (post 20, tjenestekode 21)")
    assert f"dette er en AvtaleGiro-fil ({kind}) – ikke en innbetalingsfil" in message


def test_amount_beyond_the_limit_is_refused() -> None:
    lines = ocr_lines([OcrPayment(10_000_000_000_001, "0000531")], nets_date=NETS_DAY)
    _refused(lines, "linje 3", "er for stort", "100 000 000 000.00")


def test_control_character_in_the_free_text_is_refused() -> None:
    lines = _lines()
    text_line = next(i for i, line in enumerate(lines) if line[6:8] == "32")
    lines[text_line] = lines[text_line][:16] + "\x00" + lines[text_line][17:]
    _refused(lines, f"linje {text_line + 1}", "kontrolltegn U+0000")
