"""ISO 20022 camt.054 (notification) and camt.053 (statement), versions .001.02 to .001.13.

formats.md § 3: the reader is namespace-agnostic (every step matches ``{*}Name``), takes only
*booked* entries (``Sts`` = ``BOOK``, written ``<Sts>BOOK</Sts>`` up to .001.02 and
``<Sts><Cd>BOOK</Cd></Sts>`` later), and credits one payment per ``TxDtls`` (several per entry in
a batch booking; their amounts must add up to the entry's). An entry without ``TxDtls`` is one
payment. Credits (``CRDT``) are payments; a debit flagged ``RvslInd=true`` is a reversal of an
earlier payment; other entries are skipped and counted.

- KID: the structured creditor reference ``RmtInf/Strd/CdtrRefInf/Ref``, typed ``SCOR`` or
  proprietary; every reference is kept in ``references``, the first that looks like a KID (2–25
  digits, MOD11 may end in ``-``) becomes ``kid``. ``Ustrd`` lines are the fallback text.
- ``paid_on`` is the earliest of the interbank settlement date, value date and booking date (the
  debtor's payment date as far as the file tells; law-no.md § 8); ``booked_on`` the booking date.
- ``external_id`` = ``camt:<account>:<reference>:<øre>:<value date>:<k>``. The reference is the
  transaction's ``AcctSvcrRef`` when the bank gives one, else ``<entry AcctSvcrRef>/<n>`` (n-th
  ``TxDtls``), else a digest of booking date, amount and references. Banks do not keep the
  transaction reference unique: a batch booking may repeat one reference on every ``TxDtls``
  (OCA's camt.053 sample: 2187.00 and 1296.00 under ``123456CHCAFEBABE``), so the amount, the
  value date and ``k`` — the transaction's position among those of the file with the same
  account, reference, amount and value date — are part of the identity, as the transaction
  number, amount and date are in the OCR identity. The position is counted among equal
  transactions and not among all of the entry's, so the same transaction in a camt.054 and in
  the day's camt.053 (where the bank may group it differently) keeps the same identity (the
  prefix is the same for .053 and .054). Ids longer than the column become a digest.
- ``ParsedFile.aliases`` maps each identity to the one krav gave before issue 8
  (``camt:<account>:<AcctSvcrRef>``…): a database that booked a file before the change
  recognises its transactions in a later file (see ``payments.service``).
- Versions: .001.02 through .001.13. The elements read here (``Ntry/Amt``, ``CdtDbtInd``,
  ``RvslInd``, ``Sts``, ``BookgDt``/``ValDt`` with ``Dt`` or ``DtTm``, ``AcctSvcrRef``,
  ``TxDtls/Refs``, ``AmtDtls/TxAmt/Amt``, ``RltdPties/Dbtr[/Pty]/Nm``, ``DbtrAcct``,
  ``RmtInf``, ``RltdDts/IntrBkSttlmDt``) have kept their names and places in every version.
- Safety and limits (kernel.limits): no entity expansion, no network, no ``huge_tree`` (libxml2's
  default limits on a text node and on nesting stay on); comments and processing instructions
  are dropped while parsing, so ``1<!-- -->266.24`` is read whole as 1266.24; an element with
  both text and child elements (mixed content, which no camt schema allows) refuses the file;
  amounts are ASCII digits within ``MAX_AMOUNT``, dates within ``MIN_DATE`` … ``MAX_DATE``.
- Currency: every transaction keeps its entry's ``Ccy``; ``payments.service`` books a
  non-NOK payment in the unmatched queue, outside every NOK sum.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree  # type: ignore[import-untyped]

from krav.kernel.limits import MAX_DATE, MAX_ORE, MIN_DATE, amount_text_ok
from krav.payments.formats.common import BadBankFile
from krav.payments.model import BankTransaction, ParsedFile

ROOTS = {"BkToCstmrDbtCdtNtfctn": ("camt054", "Ntfctn"), "BkToCstmrStmt": ("camt053", "Stmt")}
VERSION = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.05([34])\.001\.(\d\d)$")
VERSIONS = range(2, 14)  # .001.02 … .001.13
KID_LIKE = re.compile(r"[0-9]{1,24}[0-9-]$")
MAX_ID = 120


def _path(path: str) -> str:
    return "/".join("{*}" + step for step in path.split("/"))


def _text(el: etree._Element, path: str) -> str:
    found = el.find(_path(path))
    return (found.text or "").strip() if found is not None else ""


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _load(data: bytes, name: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                             remove_pis=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BadBankFile(name, f"linje {exc.lineno}", f"ugyldig XML: {exc.msg}",
                          "camt.053/camt.054 XML") from None
    mixed = root.xpath("(//*[* and text()[normalize-space()]])[1]")
    if mixed:
        raise BadBankFile(name, f"linje {mixed[0].sourceline}, element {_local(mixed[0])}",
                          "elementet har både tekst og underelementer (blandet innhold)",
                          "camt.053/camt.054 slik skjemaet beskriver dem")
    return root


def _kind(root: etree._Element, name: str) -> tuple[str, etree._Element, str]:
    """Which camt message this is, its body element name, and a check of the version."""
    if _local(root) != "Document" or len(root) == 0 or _local(root[0]) not in ROOTS:
        found = _local(root) + ("/" + _local(root[0]) if len(root) else "")
        raise BadBankFile(name, f"element {found}", "XML-filen er ikke camt.053 eller camt.054",
                          "Document/BkToCstmrStmt eller Document/BkToCstmrDbtCdtNtfctn")
    namespace = etree.QName(root).namespace or ""
    match = VERSION.match(namespace)
    if namespace and (not match or int(match.group(2)) not in VERSIONS):
        raise BadBankFile(name, "element Document", f"ukjent camt-versjon {namespace!r}",
                          "camt.053/054 versjon .001.02–.001.13")
    fmt, body = ROOTS[_local(root[0])]
    return fmt, root[0], body


def _amount(el: etree._Element | None, name: str, where: str) -> tuple[int, str]:
    if el is None:
        raise BadBankFile(name, where, "beløp mangler", "et beløp som 1234.50")
    raw = (el.text or "").strip()
    try:
        if not amount_text_ok(raw) or raw.startswith("-"):
            raise InvalidOperation
        value = Decimal(raw)
    except InvalidOperation:
        raise BadBankFile(name, where, f"ugyldig beløp {raw!r}",
                          "et ikke-negativt beløp med høyst to desimaler") from None
    ore = int(value * 100)
    if ore > MAX_ORE:
        raise BadBankFile(name, where, f"beløpet {raw!r} er for stort",
                          "høyst 100 000 000 000.00")
    currency = el.get("Ccy", "NOK")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise BadBankFile(name, where, f"ugyldig valuta {currency!r}", "ISO 4217, f.eks. NOK")
    return ore, currency


def _date(el: etree._Element, path: str, name: str, where: str) -> date | None:
    found = el.find(_path(path))
    if found is None:
        return None
    node = found.find("{*}Dt")
    node = node if node is not None else found.find("{*}DtTm")
    raw = ((node if node is not None else found).text or "").strip()
    try:
        if not raw[:10].isascii():
            raise ValueError
        day = date.fromisoformat(raw[:10])
    except ValueError:
        raise BadBankFile(name, f"{where}/{path}", f"ugyldig dato {raw!r}",
                          "ÅÅÅÅ-MM-DD") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise BadBankFile(name, f"{where}/{path}", f"datoen {raw!r} er utenfor det tillatte "
                          "området", f"{MIN_DATE.isoformat()} – {MAX_DATE.isoformat()}")
    return day


def _account(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return _text(el, "Id/IBAN") or _text(el, "Id/Othr/Id")


def _status(entry: etree._Element) -> str:
    sts = entry.find("{*}Sts")
    if sts is None:
        return ""
    code = sts.find("{*}Cd")
    return ((code.text if code is not None else sts.text) or "").strip()


def _references(tx: etree._Element) -> tuple[str, ...]:
    return tuple(r.text.strip() for r in tx.iterfind(_path("RmtInf/Strd/CdtrRefInf/Ref"))
                 if r.text and r.text.strip())


def _remittance_text(tx: etree._Element) -> str:
    parts = [u.text.strip() for u in tx.iterfind(_path("RmtInf/Ustrd")) if u.text]
    parts += [a.text.strip() for a in tx.iterfind(_path("RmtInf/Strd/AddtlRmtInf")) if a.text]
    return " ".join(p for p in parts if p)[:500]


def _payer_name(tx: etree._Element) -> str:
    return _text(tx, "RltdPties/Dbtr/Nm") or _text(tx, "RltdPties/Dbtr/Pty/Nm")


def _short(ident: str) -> str:
    """``ident``, or a digest of it when it is longer than ``payments.external_id``."""
    return ident if len(ident) <= MAX_ID else \
        "camt:" + hashlib.sha256(ident.encode()).hexdigest()[:60]


def _legacy_identity(account: str, entry_ref: str, tx_ref: str, n: int, basis: str) -> str:
    """The identity krav gave a transaction before issue 8 (kept to recognise old bookings)."""
    if tx_ref:
        return _short(f"camt:{account}:{tx_ref}")
    if entry_ref:
        return _short(f"camt:{account}:{entry_ref}:{n}")
    return _short(f"camt:{account}:{basis}:{n}")


def _identity(account: str, entry_ref: str, tx_ref: str, n: int, basis: str, ore: int,
              value_day: date, seen: dict[str, int]) -> str:
    """The transaction's identity (module docstring): reference, amount, value date, position."""
    if tx_ref:
        ref = tx_ref
    elif entry_ref:
        ref = f"{entry_ref}/{n}"
    else:
        ref = hashlib.sha256(basis.encode()).hexdigest()[:32]
    key = f"camt:{account}:{ref}:{ore}:{value_day.isoformat()}"
    seen[key] = seen.get(key, 0) + 1
    return _short(f"{key}:{seen[key]}")


def _tx_amount(tx: etree._Element) -> etree._Element | None:
    found = tx.find(_path("AmtDtls/TxAmt/Amt"))
    return found if found is not None else tx.find("{*}Amt")


def _entry_transactions(entry: etree._Element, account: str, name: str, where: str,
                        line: int, seen: dict[str, int], aliases: dict[str, str]
                        ) -> list[BankTransaction]:
    """The payments of one credit (or reversal) entry, one per ``TxDtls``."""
    amount, currency = _amount(entry.find("{*}Amt"), name, f"{where}/Amt")
    booked = _date(entry, "BookgDt", name, where)
    value_day = _date(entry, "ValDt", name, where)
    dates = [d for d in (booked, value_day) if d]
    if not dates:
        raise BadBankFile(name, where, "posteringen mangler både BookgDt og ValDt")
    reversal = _text(entry, "CdtDbtInd") == "DBIT"
    details = entry.findall(_path("NtryDtls/TxDtls")) or [entry]
    amounts = [amount] if len(details) == 1 else [
        _amount(_tx_amount(tx), name, f"{where}/TxDtls[{n}]/Amt")[0]
        for n, tx in enumerate(details, start=1)]
    if sum(amounts) != amount:
        raise BadBankFile(name, where, f"TxDtls summerer til {sum(amounts) / 100:.2f}, "
                          f"posteringen er på {amount / 100:.2f}")
    entry_ref = _text(entry, "AcctSvcrRef")
    out = []
    for n, (tx, ore) in enumerate(zip(details, amounts, strict=True), start=1):
        refs = _references(tx) if tx is not entry else ()
        settled = _date(tx, "RltdDts/IntrBkSttlmDt", name, where) if tx is not entry else None
        kid = next((r for r in refs if KID_LIKE.match(r)), "")
        basis = f"{booked}:{ore}:{'/'.join(refs)}:{_text(tx, 'Refs/EndToEndId')}"
        tx_ref = _text(tx, "Refs/AcctSvcrRef") if tx is not entry else ""
        ident = _identity(account, entry_ref, tx_ref, n, basis, ore, value_day or dates[0],
                          seen)
        aliases[ident] = _legacy_identity(account, entry_ref, tx_ref, n, basis)
        out.append(BankTransaction(
            external_id=ident,
            paid_on=min(dates + ([settled] if settled else [])), booked_on=booked or dates[0],
            amount_ore=-ore if reversal else ore, kid=kid, payer_name=_payer_name(tx)[:200],
            payer_account=_account(tx.find(_path("RltdPties/DbtrAcct")))[:34],
            text=_remittance_text(tx), reversal=reversal, currency=currency,
            references=refs, line=line))
    return out


def parse_camt(data: bytes, *, name: str = "camt-fil") -> ParsedFile:
    """Parse a camt.054 or camt.053 file; :class:`BadBankFile` naming the element on any fault."""
    root = _load(data, name)
    fmt, message, body_name = _kind(root, name)
    bodies = message.findall("{*}" + body_name)
    if not bodies:
        raise BadBankFile(name, f"element {_local(message)}", f"mangler {body_name}")
    out: list[BankTransaction] = []
    skipped = 0
    seen: dict[str, int] = {}
    aliases: dict[str, str] = {}
    for b, body in enumerate(bodies, start=1):
        account = _account(body.find("{*}Acct"))
        for e, entry in enumerate(body.iterfind("{*}Ntry"), start=1):
            where = f"{body_name}[{b}]/Ntry[{e}]"
            indicator = _text(entry, "CdtDbtInd")
            if indicator not in ("CRDT", "DBIT"):
                raise BadBankFile(name, f"{where}/CdtDbtInd", f"ugyldig verdi {indicator!r}",
                                  "CRDT eller DBIT")
            is_reversal = _text(entry, "RvslInd").lower() == "true"
            if _status(entry) != "BOOK" or (indicator == "CRDT") == is_reversal:
                skipped += 1
                continue
            out.extend(_entry_transactions(entry, account, name, where, entry.sourceline or 0,
                                           seen, aliases))
    return ParsedFile(fmt, out, skipped=skipped, aliases=aliases)
