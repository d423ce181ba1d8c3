"""``krav settle --out``: the ISO 20022 pain.001.001.03 file that pays each creditor its
settlement from the client-funds account, on SQLite and PostgreSQL — valid against the ISO
schema, its sums right, each settlement paid once however often the command runs (``--reissue``
writes the very same file), a creditor without an account number held back (one line, exit 3),
no transfer for a zero net, and the audit rows.

The book is tests/e2e/test_api_settlements.py's: Nordlys nets 575.50 for January 2026;
Fjordnett is paid 1 000.00 on K-0000004 here (no commission), Tredje collects nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import func, select, update
from tests.e2e.test_api import bearer
from tests.e2e.test_api_settlements import book
from tests.factories import (
    FJORDNETT,
    NORDLYS,
    Creditor,
    Krav,
    add_creditor,
    claim_row,
    import_claims,
)
from tests.integration.test_settlement_oppgjor import DUE, pay

from krav.audit.tables import audit
from krav.db.tables import creditors
from krav.kernel.errors import UnableToProceed
from krav.payments import pain001
from krav.payments.tables import payout_files, payouts
from krav.settings import Settings
from krav.web.app import create_app

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
XSD = Path(__file__).parents[2] / "src/krav/payments/formats/schemas/pain.001.001.03.xsd"
TREDJE = Creditor(orgnr="974760673", name="Tredje Handel AS")


@pytest.fixture
def krav(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    k = book(db_url, capsys, engine, tmp_path)
    pay(engine, 100_000, "K-0000004", DUE, as_of=DUE, transmission=2)
    add_creditor(engine, TREDJE)
    import_claims(engine, tmp_path, [claim_row(creditor=TREDJE, invoice="7")])
    return k


def settle(krav: Krav, out: Path, *argv: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code, stdout, err = krav("settle", "--period", "2026-01", "--as-of", "2026-01-31",
                             "--out", str(out), "--json", *argv)
    assert "Traceback" not in err and stdout, err
    return code, json.loads(stdout), err


def parsed(path: Path) -> etree._Element:
    document = etree.parse(str(path))
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(document), schema.error_log  # the ISO schema, read independently
    return document.getroot()


def texts(root: etree._Element, path: str) -> list[str]:
    return [e.text for e in root.xpath(path, namespaces=NS)]


def counts(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(payout_files)).scalar_one(),
                conn.execute(select(func.count()).select_from(payouts)).scalar_one())


def actions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(select(audit.c.action).order_by(audit.c.id)).scalars())


def test_settle_writes_a_valid_pain001_and_never_pays_a_settlement_twice(  # type: ignore[no-untyped-def]
        krav, engine, tmp_path) -> None:
    out = tmp_path / "out"
    code, data, err = settle(krav, out)
    assert code == 0, err
    assert [(s["creditor"], s["payout"], s["payout_status"]) for s in data["settlements"]] == [
        (NORDLYS.orgnr, "575.50", "instructed"), (TREDJE.orgnr, "0.00", "nothing"),
        (FJORDNETT.orgnr, "1000.00", "instructed")]
    payment = data["payment_file"]
    assert (payment["transactions"], payment["total"]) == (2, "1575.50")
    path = out / f"pain001-{payment['msg_id']}.xml"
    assert str(path) in data["files"] and data["held"] == []
    root = parsed(path)
    assert texts(root, "//p:GrpHdr/p:MsgId") == [payment["msg_id"]]
    assert texts(root, "//p:GrpHdr/p:NbOfTxs") == texts(root, "//p:PmtInf/p:NbOfTxs") == ["2"]
    amounts = [Decimal(a) for a in texts(root, "//p:CdtTrfTxInf/p:Amt/p:InstdAmt")]
    assert amounts == [Decimal("575.50"), Decimal("1000.00")]
    assert texts(root, "//p:GrpHdr/p:CtrlSum") == texts(root, "//p:PmtInf/p:CtrlSum") == \
        [str(sum(amounts))] == ["1575.50"]
    nordlys_id, fjordnett_id = data["settlements"][0]["settlement"], \
        data["settlements"][2]["settlement"]
    assert texts(root, "//p:EndToEndId") == [f"OPP-2026-01-{nordlys_id}",
                                             f"OPP-2026-01-{fjordnett_id}"]
    assert texts(root, "//p:Cdtr/p:Nm") == [NORDLYS.name, FJORDNETT.name]
    assert texts(root, "//p:CdtrAcct/p:Id/p:Othr/p:Id") == ["12038004563"] * 2
    assert texts(root, "//p:CdtrAcct//p:SchmeNm/p:Cd") == ["BBAN"] * 2
    assert all(u.startswith(f"OPP-2026-01-{i} ") and len(u) <= 140 for u, i in zip(
        texts(root, "//p:RmtInf/p:Ustrd"), (nordlys_id, fjordnett_id), strict=True))
    assert texts(root, "//p:DbtrAcct/p:Id/p:Othr/p:Id") == ["15032080119"]
    assert texts(root, "//p:DbtrAgt/p:FinInstnId/p:BIC") == ["DNBANOKKXXX"]
    assert texts(root, "//p:ReqdExctnDt") == ["2026-01-31"]
    assert counts(engine) == (1, 2)
    # zero net: no transfer line, and its statement says so
    tredje = out / f"oppgjor-{TREDJE.orgnr}-2026-01.pdf"
    assert "ingenting å utbetale" in "".join(p.extract_text() for p in PdfReader(tredje).pages)

    first = path.read_bytes()
    code, again, err = settle(krav, out)  # the same run again pays nothing
    assert code == 0, err
    assert again["payment_file"] is None and counts(engine) == (1, 2)
    assert sorted(p.name for p in out.glob("pain001-*")) == [path.name]
    code, again, err = settle(krav, out, "--creditor", NORDLYS.orgnr)
    assert code == 0 and again["payment_file"] is None and again["payout_status"] == \
        "instructed"

    path.unlink()  # lost before it reached the bank: the same file again, same ids
    code, reissued, err = settle(krav, out, "--reissue")
    assert code == 0, err
    assert reissued["reissued"] == [payment["msg_id"]] and reissued["payment_file"] is None
    assert path.read_bytes() == first and counts(engine) == (1, 2)

    # a January payment imported in February is paid with February's settlement, alone
    pay(engine, 50_000, "K-0000003", date(2026, 1, 30), as_of=date(2026, 2, 3), transmission=3)
    code, february, err = krav("settle", "--period", "2026-02", "--as-of", "2026-02-28",
                               "--out", str(out), "--json")
    assert code == 0, err
    feb = json.loads(february)["payment_file"]
    assert feb["transactions"] == 1 and feb["total"] == "437.50"
    assert feb["msg_id"] != payment["msg_id"]
    root = parsed(out / f"pain001-{feb['msg_id']}.xml")
    assert texts(root, "//p:EndToEndId")[0].startswith("OPP-2026-02-")
    assert counts(engine) == (2, 3)

    log = actions(engine)
    assert log.count("settle") == 6 and log.count("settle.payout_file") == 2
    assert log.count("settle.payout") == 3 and log.count("settle.payout_file.reissue") == 1
    with engine.connect() as conn:
        row = conn.execute(select(audit).where(audit.c.action == "settle.payout_file")
                           .order_by(audit.c.id)).first()
    assert row.details["msg_id"] == payment["msg_id"]
    assert row.details["sha256"] == hashlib.sha256(first).hexdigest()
    assert row.details["settlements"] == [nordlys_id, fjordnett_id]

    client = TestClient(create_app(Settings(public_url="http://testserver"), engine))
    shown = client.get(f"/api/v1/settlements/{nordlys_id}", headers=bearer(krav)).json()
    assert shown["transfer"]["status"] == "instructed"
    assert (shown["transfer"]["msg_id"], shown["transfer"]["end_to_end_id"]) == (
        payment["msg_id"], f"OPP-2026-01-{nordlys_id}")
    listed = client.get("/api/v1/settlements?period=2026-01", headers=bearer(krav)).json()
    assert listed["items"][0]["payout_status"] == "instructed"


def test_a_creditor_without_an_account_is_held_back_and_paid_when_it_has_one(  # type: ignore[no-untyped-def]
        krav, engine, tmp_path) -> None:
    with engine.begin() as conn:
        conn.execute(update(creditors).where(creditors.c.orgnr == FJORDNETT.orgnr)
                     .values(account_number=""))
    out = tmp_path / "out"
    code, data, err = settle(krav, out)
    assert code == 3
    [line] = err.splitlines()
    assert line.startswith("krav: ") and FJORDNETT.orgnr in line and "kontonummer" in line
    assert "1\u00a0000,00 kr" in line and "krav creditor update" in line
    fjordnett_id = data["settlements"][2]["settlement"]
    assert data["held"] == [fjordnett_id] and data["settlements"][2]["payout_status"] == "held"
    assert data["payment_file"]["transactions"] == 1
    root = parsed(out / f"pain001-{data['payment_file']['msg_id']}.xml")
    assert texts(root, "//p:Cdtr/p:Nm") == [NORDLYS.name]
    statement = out / f"oppgjor-{FJORDNETT.orgnr}-2026-01.pdf"
    assert "holder tilbake" in "".join(p.extract_text() for p in PdfReader(statement).pages)

    code, _, err = krav("creditor", "update", FJORDNETT.orgnr, "--account", "1203.80.04563")
    assert code == 0, err
    code, data, err = settle(krav, out)
    assert code == 0, err
    root = parsed(out / f"pain001-{data['payment_file']['msg_id']}.xml")
    assert texts(root, "//p:Cdtr/p:Nm") == [FJORDNETT.name]  # Nordlys is not paid again
    assert texts(root, "//p:GrpHdr/p:CtrlSum") == ["1000.00"]
    assert counts(engine) == (2, 2)


def test_reissue_needs_a_file_and_a_folder(krav, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = krav("settle", "--period", "2026-01", "--as-of", "2026-01-31", "--reissue")
    assert code == 2 and "--out" in err
    code, _, err = krav("settle", "--period", "2026-01", "--as-of", "2026-01-31", "--reissue",
                        "--out", str(tmp_path))
    assert code == 2 and "ingen betalingsfil" in err and err.count("\n") == 1
    assert counts(engine) == (0, 0)


def test_the_file_is_checked_against_the_schema() -> None:
    with pytest.raises(UnableToProceed, match="pain.001.001.03"):
        pain001.validate(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
                         b"<CstmrCdtTrfInitn/></Document>")
    transfer = pain001.Transfer(end_to_end_id="OPP-2026-01-9", amount_ore=1,
                                name="Å\u0007 " * 40, account="12038004563",
                                remittance="x" * 300)
    document = pain001.build(msg_id="KRAV-1", created_at=datetime(2026, 1, 31, 12, 0, 0, 123),
                             execution=date(2026, 1, 31), agency=Settings().agency,
                             transfers=[transfer])
    root = etree.fromstring(document)
    assert len(texts(root, "//p:Cdtr/p:Nm")[0]) <= 70
    assert len(texts(root, "//p:Ustrd")[0]) == 140
    assert texts(root, "//p:CreDtTm") == ["2026-01-31T12:00:00"]
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    with pytest.raises(UnableToProceed):
        pain001.build(msg_id="KRAV-2", created_at=datetime(2026, 1, 1),
                      execution=date(2026, 1, 1), agency=Settings().agency, transfers=[])


def test_a_bad_bic_setting_is_named() -> None:
    from krav.kernel.errors import InvalidInput
    from krav.settings import load_settings

    with pytest.raises(InvalidInput, match="KRAV_AGENCY_BIC"):
        load_settings({"KRAV_AGENCY_BIC": "dnb"})
    assert load_settings({"KRAV_AGENCY_BIC": "NDEANOKK"}).agency.bic == "NDEANOKK"

