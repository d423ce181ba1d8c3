"""Write Nets OCR giro files (formats.md § 2.2 layout) — for tests, benchmarks and the demo.

One transmission with one assignment; records 88 and 89 carry the totals (signed amounts, but
the amounts of reversal types 18 and 20 added, as the English manual describes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class OcrPayment:
    """A transaction to write: amount in øre (negative = sign ``-``), KID, payer account, text."""

    amount_ore: int
    kid: str = ""
    nets_date: date | None = None
    bank_date: date | None = None
    payer_account: str = ""
    tx_type: str = "10"
    text: str = ""


def _ddmmyy(day: date | None) -> str:
    return day.strftime("%d%m%y") if day else "000000"


def _pad(line: str) -> str:
    assert len(line) <= 80, line
    return line + "0" * (80 - len(line))


def ocr_lines(payments: Iterable[OcrPayment], *, nets_date: date, agreement: str = "001008566",
              assignment: int = 1, account: str = "15032080119",
              transmission: int = 1) -> list[str]:
    """The 80-character records of one transmission holding ``payments``."""
    d = _ddmmyy(nets_date)
    out = [_pad(f"NY00001000008080{transmission:07d}00010200")]
    out.append(_pad(f"NY090020{agreement:>09}{assignment:07d}{account:>011}"))
    count = total = 0
    earliest = latest = d
    for n, p in enumerate(payments, start=1):
        nd = _ddmmyy(p.nets_date or nets_date)
        sign = "-" if p.amount_ore < 0 else "0"
        out.append(f"NY09{p.tx_type}30{n:07d}{nd}1320101464{sign}{abs(p.amount_ore):017d}"
                   f"{p.kid:>25}000000")
        out.append(_pad(f"NY09{p.tx_type}31{n:07d}{'0' * 10}{'0' * 9}{'0' * 7}"
                        f"{_ddmmyy(p.bank_date)}{p.payer_account or '0' * 11:>011}"))
        if p.tx_type in ("20", "21"):
            out.append(_pad(f"NY09{p.tx_type}32{n:07d}{p.text:<40}"))
        count += 1
        # the English manual: reversal types' amounts are added to the total
        total += abs(p.amount_ore) if p.tx_type in ("18", "20") else p.amount_ore
    if total < 0:
        raise ValueError("a net negative total cannot be written; use types 18/20 for reversals")
    records = len(out) - 1 + 1  # records 20 … 88 of the assignment
    out.append(_pad(f"NY090088{count:08d}{records:08d}{total:017d}{d}{earliest}{latest}"))
    out.append(_pad(f"NY000089{count:08d}{len(out) + 1:08d}{total:017d}{d}"))
    return out


def write_ocr(payments: Iterable[OcrPayment], *, nets_date: date, **kwargs: object) -> str:
    """The whole file as text (LF line ends, trailing newline)."""
    return "\n".join(ocr_lines(payments, nets_date=nets_date, **kwargs)) + "\n"  # type: ignore[arg-type]
