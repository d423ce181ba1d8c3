"""Recognise a bank file's format from its first bytes, and parse any supported file."""

from __future__ import annotations

import re

from krav.kernel.csvfile import STANDARD, Dialect
from krav.payments.formats.camt import parse_camt
from krav.payments.formats.common import BadBankFile
from krav.payments.formats.csv import parse_csv
from krav.payments.formats.ocr import parse_ocr
from krav.payments.model import FORMATS, ParsedFile

CAMT_MESSAGE = re.compile(rb"<(?:\w+:)?(BkToCstmrDbtCdtNtfctn|BkToCstmrStmt)\b")


def sniff(data: bytes, *, name: str = "fil") -> str:
    """``ocr``, ``camt054``, ``camt053`` or ``csv``; :class:`BadBankFile` when none fits."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"NY000010"):
        return "ocr"
    if head.startswith(b"<"):
        found = CAMT_MESSAGE.search(head)
        if found:
            return "camt054" if found.group(1) == b"BkToCstmrDbtCdtNtfctn" else "camt053"
        raise BadBankFile(name, "", "XML-filen er ikke camt.053 eller camt.054",
                          "Document/BkToCstmrStmt eller Document/BkToCstmrDbtCdtNtfctn")
    first = head.split(b"\n", 1)[0].lower()
    if b"paid_on" in first and b"amount" in first:
        return "csv"
    raise BadBankFile(name, "", "ukjent filformat", "Nets OCR giro, camt.054/053 eller CSV "
                      "med kolonnene paid_on, amount, kid, invoice_number, creditor_orgnr")


def parse_bank_file(data: bytes, *, fmt: str | None = None, name: str = "fil",
                    dialect: Dialect | None = None) -> ParsedFile:
    """Parse ``data`` as ``fmt`` (sniffed when None); a camt file must be the kind asked for.
    ``dialect`` (``--dialect no``) applies to CSV only."""
    if fmt is not None and fmt not in FORMATS:
        raise BadBankFile(name, "--format", f"ukjent format {fmt!r}", ", ".join(FORMATS))
    fmt = fmt or sniff(data, name=name)
    if dialect is not None and fmt != "csv":
        raise BadBankFile(name, "--dialect", f"gjelder bare CSV-filer, og filen er {fmt}")
    if fmt == "ocr":
        try:
            text = data.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            raise BadBankFile(name, "", "filen er ikke tekst") from None
        return parse_ocr(text, name=name)
    if fmt == "csv":
        return parse_csv(data, name=name, dialect=dialect or STANDARD)
    parsed = parse_camt(data, name=name)
    if parsed.format != fmt:
        raise BadBankFile(name, "--format", f"filen er {parsed.format}, ikke {fmt}",
                          parsed.format)
    return parsed
