"""camt.054/053 reader: every public sample (tests/data), Norwegian-style files, bad XML."""

from __future__ import annotations

import glob
import os
from datetime import date
from decimal import Decimal

import pytest

from krav.payments.formats.camt import parse_camt
from krav.payments.formats.common import BadBankFile
from krav.payments.formats.sniff import parse_bank_file, sniff


def _read(samples: str, name: str) -> bytes:
    with open(os.path.join(samples, "camt", name), "rb") as f:
        return f.read()


def _tx(amount: str, kid: str = "", *, ref: str = "", name: str = "Kari Nordmann",
        ustrd: str = "", amt_tag: bool = True) -> str:
    strd = (f"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{kid}</Ref>"
            "</CdtrRefInf></Strd>") if kid else ""
    return (f"<TxDtls><Refs>{f'<AcctSvcrRef>{ref}</AcctSvcrRef>' if ref else ''}"
            "<EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
            + (f'<AmtDtls><TxAmt><Amt Ccy="NOK">{amount}</Amt></TxAmt></AmtDtls>' if amt_tag
               else "")
            + f"<RltdPties><Dbtr><Nm>{name}</Nm></Dbtr><DbtrAcct><Id><Othr><Id>12345678903</Id>"
            "</Othr></Id></DbtrAcct></RltdPties><RmtInf>"
            f"{f'<Ustrd>{ustrd}</Ustrd>' if ustrd else ''}"
            f"{strd}</RmtInf></TxDtls>")


def camt054(entries: list[str], version: str = "02", namespace: bool = True) -> bytes:
    ns = f' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}"' if namespace else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><Document{ns}><BkToCstmrDbtCdtNtfctn>'
            "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T10:00:00</CreDtTm></GrpHdr>"
            "<Ntfctn><Id>N1</Id><Acct><Id><Othr><Id>15032080119</Id><SchmeNm><Cd>BBAN</Cd>"
            f"</SchmeNm></Othr></Id></Acct>{''.join(entries)}</Ntfctn>"
            "</BkToCstmrDbtCdtNtfctn></Document>").encode()


def entry(amount: str, txs: list[str], *, ref: str = "E1", status: str = "<Sts>BOOK</Sts>",
          indicator: str = "CRDT", reversal: bool = False, booked: str = "2026-03-02",
          value: str = "2026-03-02") -> str:
    return (f'<Ntry><Amt Ccy="NOK">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
            f"{'<RvslInd>true</RvslInd>' if reversal else ''}{status}"
            f"<BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{value}</Dt></ValDt>"
            f"<AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls>{''.join(txs)}</NtryDtls></Ntry>")


def test_every_public_sample_parses(samples: str) -> None:
    files = sorted(glob.glob(os.path.join(samples, "camt", "*.xml")))
    assert len(files) == 5
    seen = {}
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        parsed = parse_camt(data, name=path)
        assert sniff(data) == parsed.format
        seen[os.path.basename(path)] = parsed
    # camt.054 samples hold only a debit entry: skipped, not booked.
    for name in ("genkgo-camt_camt054.v2.xml", "genkgo-camt_camt054.v8.xml"):
        assert seen[name].format == "camt054"
        assert seen[name].transactions == [] and seen[name].skipped == 1
    for name in ("genkgo-camt_camt053.v2.minimal.xml", "genkgo-camt_camt053.v8.xml"):
        (tx,) = seen[name].transactions
        assert seen[name].format == "camt053"
        assert (tx.amount, tx.currency, tx.kid) == (Decimal("8.85"), "EUR", "4654654654654654")
        assert tx.payer_name == "NAME NAME" and tx.payer_account == "NL56AGDH9619008421"
        assert tx.booked_on == date(2014, 12, 31) and tx.paid_on == date(2014, 12, 31)


def test_v2_sample_as_credits_with_amounts_gives_one_payment_per_txdtls(samples: str
                                                                         ) -> None:
    data = _read(samples, "genkgo-camt_camt054.v2.xml")
    data = data.replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>CRDT</CdtDbtInd>")
    parts = data.split(b"<TxDtls>")  # give TxDtls 1 … 3 amounts that add up to the entry's
    assert len(parts) == 4
    data = parts[0] + b"".join(b'<TxDtls><Amt Ccy="SEK">' + amount + b"</Amt>" + part
                               for amount, part in zip((b"1", b"99999", b"100000"), parts[1:],
                                                       strict=True))
    txs = parse_camt(data).transactions
    assert [t.amount_ore for t in txs] == [100, 9_999_900, 10_000_000]
    assert txs[2].references == ("Ref number V3 block 1", "Ref number V3 block 2")
    assert txs[0].text.startswith("Unstructured Remittance Information V1")
    assert txs[0].booked_on == date(2007, 10, 18)  # BookgDt/DtTm
    assert len({t.external_id for t in txs}) == 3


def test_norwegian_style_notification_with_kids() -> None:
    data = camt054([entry("1500.00", [_tx("1000.00", "0000531", ref="T1"),
                                      _tx("500.00", "", ref="T2", ustrd="faktura 1001")]),
                    entry("10.00", [_tx("10.00", "0036633")], status="<Sts><Cd>PDNG</Cd></Sts>",
                          ref="E2"),
                    entry("20.00", [_tx("20.00", "0036633")], indicator="DBIT", ref="E3")],
                   version="08")
    parsed = parse_bank_file(data)
    assert parsed.format == "camt054" and parsed.skipped == 2
    a, b = parsed.transactions
    assert (a.kid, a.amount_ore, a.external_id) == ("0000531", 100_000,
                                                    "camt:15032080119:T1:100000:2026-03-02:1")
    assert (b.kid, b.text, b.payer_name) == ("", "faktura 1001", "Kari Nordmann")


def test_without_namespace_and_value_date_first() -> None:
    data = camt054([entry("5.00", [_tx("5.00", "0000531")], booked="2026-03-03",
                          value="2026-03-01")], namespace=False)
    (tx,) = parse_camt(data).transactions
    assert tx.paid_on == date(2026, 3, 1) and tx.booked_on == date(2026, 3, 3)


def test_reversal_is_a_debit_flagged_rvslind() -> None:
    data = camt054([entry("5.00", [_tx("5.00", "0000531")], indicator="DBIT", reversal=True)])
    (tx,) = parse_camt(data).transactions
    assert tx.reversal and tx.amount_ore == -500


def test_same_transaction_in_054_and_053_has_the_same_identity() -> None:
    n054 = camt054([entry("5.00", [_tx("5.00", "0000531", ref="BANK-77")])])
    s053 = n054.replace(b"camt.054", b"camt.053").replace(b"BkToCstmrDbtCdtNtfctn",
                                                          b"BkToCstmrStmt")
    s053 = s053.replace(b"<Ntfctn>", b"<Stmt>").replace(b"</Ntfctn>", b"</Stmt>")
    a, b = parse_camt(n054), parse_camt(s053)
    assert (a.format, b.format) == ("camt054", "camt053")
    assert a.transactions[0].external_id == b.transactions[0].external_id


@pytest.mark.parametrize("data,fragment", [
    (b"<Document><Foo/></Document>", "ikke camt"),
    (b"<?xml version='1.0'?><Document><BkToCstmrStmt><GrpHdr>", "ugyldig XML"),
    (camt054([]).replace(b"001.02", b"001.14"), "ukjent camt-versjon"),
    (camt054([]).replace(b"001.02", b"001.01"), "ukjent camt-versjon"),
    (camt054([entry("1.00", [_tx("1.00", "0000531")]).replace("<Amt Ccy=\"NOK\">1.00</Amt>",
                                                            "<Amt Ccy=\"NOK\">1e30</Amt>", 1)]),
     "ugyldig beløp"),
    (camt054([entry("1.00", [_tx("1.00", "0000531")]).replace("<Amt Ccy=\"NOK\">1.00</Amt>",
                                                            "<Amt Ccy=\"NOK\">١.00</Amt>", 1)]),
     "ugyldig beløp"),
    (camt054([entry("100000000000000000000.00", [_tx("100000000000000000000.00", "0000531")])]),
     "er for stort"),
    (camt054([entry("1.00", [_tx("1.00", "0000531")], value="9999-12-31")]),
     "utenfor det tillatte"),
    (camt054([entry("1266.24", [_tx("1266.24", "0000531")]).replace(
        "<Amt Ccy=\"NOK\">1266.24</Amt>", "<Amt Ccy=\"NOK\">1<x/>266.24</Amt>", 1)]),
     "blandet innhold"),
    (camt054([entry("1.00", [_tx("1.00", "0000531")]).replace("<Amt Ccy=\"NOK\">1.00</Amt>",
                                                            "<Amt Ccy=\"NOK\">1,00</Amt>", 1)]),
     "Ntfctn[1]/Ntry[1]/Amt: ugyldig beløp"),
    (camt054([entry("3.00", [_tx("1.00", "1"), _tx("1.00", "2")])]), "summerer til 2.00"),
    (camt054([entry("1.00", [_tx("1.00", "1")], booked="2026-02-30")]), "ugyldig dato"),
    (camt054([entry("1.00", [_tx("1.00", "1")], indicator="CRED")]), "CdtDbtInd"),
])
def test_bad_files_are_refused_naming_the_element(data: bytes, fragment: str) -> None:
    with pytest.raises(BadBankFile) as info:
        parse_bank_file(data, fmt=None, name="bank.xml")
    assert fragment in str(info.value) and str(info.value).startswith("bank.xml")


def test_format_must_match_when_given() -> None:
    with pytest.raises(BadBankFile, match="filen er camt054, ikke camt053"):
        parse_bank_file(camt054([]), fmt="camt053")


def test_two_payments_under_one_bank_reference_are_two_transactions(samples: str) -> None:
    """OCA's camt.053.001.04 sample: one entry, two TxDtls with the same AcctSvcrRef (issue 8)."""
    parsed = parse_camt(_read(samples, "oca-bank-statement-import_camt053-txdtls.xml"))
    a, b = parsed.transactions
    assert (a.amount, b.amount) == (Decimal("2187.00"), Decimal("1296.00"))
    assert a.currency == b.currency == "CHF"
    assert a.external_id != b.external_id
    assert parsed.aliases[a.external_id] == parsed.aliases[b.external_id]  # the old identity


def test_equal_payments_under_one_reference_differ_by_position() -> None:
    data = camt054([entry("10.00", [_tx("5.00", "0000531", ref="R"),
                                    _tx("5.00", "0000531", ref="R")])])
    a, b = parse_camt(data).transactions
    assert a.external_id.endswith(":500:2026-03-02:1")
    assert b.external_id.endswith(":500:2026-03-02:2")


@pytest.mark.parametrize("version", ["09", "10", "11", "12", "13"])
def test_later_versions_are_read(samples: str, version: str) -> None:
    data = _read(samples, "genkgo-camt_camt053.v8.xml").replace(b"camt.053.001.08",
                                                                 f"camt.053.001.{version}".encode())
    (tx,) = parse_bank_file(data).transactions
    assert tx.amount == Decimal("8.85") and tx.payer_name == "NAME NAME"
    n054 = camt054([entry("5.00", [_tx("5.00", "0000531")])], version=version)
    assert parse_bank_file(n054).transactions[0].amount_ore == 500


def test_amount_split_by_a_comment_is_read_whole() -> None:
    data = camt054([entry("1266.24", [_tx("1266.24", "0000531")])]).replace(
        b'<Amt Ccy="NOK">1266.24</Amt>', b'<Amt Ccy="NOK">1<!-- -->266.24</Amt>')
    assert data.count(b"<!-- -->") == 2
    (tx,) = parse_camt(data).transactions
    assert tx.amount == Decimal("1266.24")
