"""ISO 20022 pain.001.001.03 (CustomerCreditTransferInitiationV03): the payment file that pays
each creditor its settlement from the agency's client-funds account (klientkonto, inkassoloven
§ 6).

Version .001.03 is the one Norwegian banks take from their corporate customers (the banks' common
guide, BSK "implementeringsguide ISO 20022 pain.001.001.03", built on the Common Global
Implementation, CGI). What krav writes, and why:

- one ``PmtInf`` (debit of the client-funds account, ``DbtrAcct`` as an 11-digit BBAN,
  ``DbtrAgt`` by its BIC, ``KRAV_AGENCY_BIC``) with one ``CdtTrfTxInf`` per creditor;
- the creditor's account as ``CdtrAcct/Id/Othr/Id`` with ``SchmeNm/Cd = BBAN`` (a domestic NOK
  transfer needs no creditor agent);
- ``EndToEndId`` (and ``InstrId``) = the settlement's reference ``OPP-YYYY-MM-ID``: the bank
  returns it in its status report (pain.002) and on the account statement (camt.054), and it is
  unique per settlement;
- the remittance is unstructured (``RmtInf/Ustrd``, at most 140 characters: "betaling med
  melding"): a settlement reference is no KID, and the structured form (``Strd/CdtrRefInf`` with
  ``Cd = SCOR``) is for a KID or another creditor reference the payee issued;
- ``GrpHdr/NbOfTxs`` and ``CtrlSum`` (and the same in ``PmtInf``) so the bank can check the file;
- ``InitgPty`` and ``Dbtr`` carry the agency's organisation number (``OrgId/Othr``,
  ``SchmeNm/Cd = CUST``).

Every file is validated against the ISO schema (``formats/schemas/pain.001.001.03.xsd``, origin in
``SOURCES.md`` beside it) before it is recorded or written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files

from lxml import etree  # type: ignore[import-untyped]

from krav.kernel.errors import UnableToProceed
from krav.kernel.ids import validate_account, validate_orgnr
from krav.kernel.money import fmt, from_ore
from krav.settings import Agency

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
SCHEMA = "schemas/pain.001.001.03.xsd"
CURRENCY = "NOK"
MAX_NAME = 70  # CGI: names at most 70 characters (the schema allows 140)
MAX_REMITTANCE = 140  # Ustrd
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Transfer:
    """One credit transfer: a settlement's net to its creditor's account."""

    end_to_end_id: str  # the settlement reference, OPP-YYYY-MM-ID
    amount_ore: int  # > 0
    name: str
    account: str  # 11-digit Norwegian account number (BBAN)
    remittance: str
    address: str | None = None
    postcode: str | None = None
    city: str | None = None


def text(value: str | None, limit: int) -> str:
    """``value`` on one line (control characters and runs of space made one space), cut to
    ``limit`` characters."""
    cleaned = _SPACE.sub(" ", "".join(c if c.isprintable() else " " for c in value or ""))
    return cleaned.strip()[:limit].strip()


def _el(parent: etree._Element, tag: str, value: str | None = None,
        **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{NS}}}{tag}", **attrs)
    if value is not None:
        node.text = value
    return node


def _path(parent: etree._Element, tags: str, value: str) -> etree._Element:
    """``A/B/C`` under ``parent``, the last holding ``value``."""
    node = parent
    for tag in tags.split("/"):
        node = _el(node, tag)
    node.text = value
    return node


def _address(parent: etree._Element, address: str | None, postcode: str | None,
             city: str | None) -> None:
    parts = [(tag, text(v, limit)) for tag, v, limit in (("StrtNm", address, 70),
                                                          ("PstCd", postcode, 16),
                                                          ("TwnNm", city, 35))]
    node = _el(parent, "PstlAdr")
    for tag, value in parts:
        if value:
            _el(node, tag, value)
    _el(node, "Ctry", "NO")


def _org_id(parent: etree._Element, orgnr: str) -> None:
    other = _el(_el(_el(parent, "Id"), "OrgId"), "Othr")
    _el(other, "Id", orgnr)
    _path(other, "SchmeNm/Cd", "CUST")


def _account(parent: etree._Element, tag: str, number: str,
             currency: str | None = None) -> None:
    account = _el(parent, tag)
    other = _el(_el(account, "Id"), "Othr")
    _el(other, "Id", number)
    _path(other, "SchmeNm/Cd", "BBAN")
    if currency:
        _el(account, "Ccy", currency)


def build(*, msg_id: str, created_at: datetime, execution: date, agency: Agency,
          transfers: list[Transfer]) -> bytes:
    """The pain.001.001.03 document (UTF-8) paying ``transfers`` from ``agency``'s client-funds
    account on ``execution``; validated against the schema. At least one transfer."""
    if not transfers:
        raise UnableToProceed("ingen overføringer å lage betalingsfil for")
    if any(t.amount_ore <= 0 for t in transfers):
        raise UnableToProceed("en overføring må være større enn null")
    debit = validate_account(agency.account_number, where="KRAV_AGENCY_ACCOUNT_NUMBER")
    orgnr = validate_orgnr(agency.orgnr, where="KRAV_AGENCY_ORGNR")
    count, total = str(len(transfers)), fmt(from_ore(sum(t.amount_ore for t in transfers)))
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    initiation = _el(root, "CstmrCdtTrfInitn")
    header = _el(initiation, "GrpHdr")
    _el(header, "MsgId", msg_id)
    _el(header, "CreDtTm", created_at.replace(microsecond=0, tzinfo=None).isoformat())
    _el(header, "NbOfTxs", count)
    _el(header, "CtrlSum", total)
    initiator = _el(header, "InitgPty")
    _el(initiator, "Nm", text(agency.name, MAX_NAME))
    _org_id(initiator, orgnr)
    info = _el(initiation, "PmtInf")
    _el(info, "PmtInfId", f"{msg_id}-1"[-35:])
    _el(info, "PmtMtd", "TRF")
    _el(info, "NbOfTxs", count)
    _el(info, "CtrlSum", total)
    _el(info, "ReqdExctnDt", execution.isoformat())
    debtor = _el(info, "Dbtr")
    _el(debtor, "Nm", text(agency.name, MAX_NAME))
    _address(debtor, agency.address, agency.postcode, agency.city)
    _org_id(debtor, orgnr)
    _account(info, "DbtrAcct", debit, CURRENCY)
    _path(info, "DbtrAgt/FinInstnId/BIC", agency.bic)
    for t in transfers:
        tx = _el(info, "CdtTrfTxInf")
        ids = _el(tx, "PmtId")
        _el(ids, "InstrId", t.end_to_end_id)
        _el(ids, "EndToEndId", t.end_to_end_id)
        _el(_el(tx, "Amt"), "InstdAmt", fmt(from_ore(t.amount_ore)), Ccy=CURRENCY)
        creditor = _el(tx, "Cdtr")
        _el(creditor, "Nm", text(t.name, MAX_NAME))
        _address(creditor, t.address, t.postcode, t.city)
        _account(tx, "CdtrAcct", t.account)
        _el(_el(tx, "RmtInf"), "Ustrd", text(t.remittance, MAX_REMITTANCE))
    document = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        root, encoding="UTF-8", pretty_print=True)
    validate(document)
    return document


@cache
def schema() -> etree.XMLSchema:
    """The ISO schema of pain.001.001.03 (shipped with krav; no network)."""
    source = files("krav.payments.formats").joinpath(SCHEMA).read_bytes()
    return etree.XMLSchema(etree.fromstring(source))


def validate(document: bytes) -> None:
    """Raise :class:`UnableToProceed` with the first schema error unless ``document`` is a valid
    pain.001.001.03 file."""
    parsed = etree.fromstring(document)
    check = schema()
    if not check.validate(parsed):
        error = check.error_log[0]
        raise UnableToProceed(f"betalingsfilen følger ikke pain.001.001.03-skjemaet "
                              f"(linje {error.line}: {error.message})")
