"""Rendering letters to PDF (and PNG previews) with Typst.

One compiler, kept warm per process, compiles ``templates/batch.typ`` fed with JSON through
``sys.inputs``. A batch of N letters is ONE Typst document (each letter its own page run);
an end marker per letter, read back with a query on the same compiler (memoised, ~free),
gives each letter's page range for the print manifest. One letter on demand is a batch of one.
Only Typst's embedded fonts are used (no system fonts), so output is the same on every machine.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import typst
from pypdf import PdfReader, PdfWriter

from krav.cases.codes import LetterSite
from krav.kernel.errors import InvalidInput
from krav.letters.content import validate
from krav.letters.view import prepare

TEMPLATES = Path(__file__).parent / "templates"
_lock = threading.Lock()
# Evaluated in the compiled document's context: the page each letter ends on, with no extra
# layout pass (a `context` marker would force Typst to lay the whole batch out twice).
_ENDS = "query(<letter-end>).map(m => (m.value, m.location().page()))"


@dataclass(frozen=True)
class Rendered:
    """A compiled batch: the PDF and, per letter in order, its pages ``[first, last]`` (1-based)."""

    pdf: bytes
    pages: list[tuple[int, int]]


@lru_cache(maxsize=1)
def _compiler() -> typst.Compiler:
    return typst.Compiler(str(TEMPLATES / "batch.typ"), root=str(TEMPLATES),
                          ignore_system_fonts=True)


def _views(contents: list[dict], ids: list[int | None] | None, check: bool,
           site: LetterSite | None = None) -> list[dict]:
    views = []
    site = site or LetterSite.from_env()
    for seq, content in enumerate(contents):
        letter_id = ids[seq] if ids else None
        if check:
            validate(content, where=f"brev {letter_id}" if letter_id else f"brev nr. {seq + 1}")
        views.append(prepare(content, seq=seq, letter_id=letter_id, site=site))
    return views


def _payload(views: list[dict], title: str) -> dict[str, str]:
    data = {"title": title, "author": views[0]["sender"]["name"] if views else "krav",
            "letters": views}
    return {"data": json.dumps(data, ensure_ascii=False, separators=(",", ":"))}


def _stamp(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def _compile(inputs: dict[str, str], *, fmt: Literal["pdf", "png"], ppi: float | None = None,
             tagged: bool = True, stamp: date | None = None) -> Any:
    try:
        with _lock:
            compiler = _compiler()
            result = compiler.compile(format=fmt, ppi=ppi, sys_inputs=inputs,
                                      timestamp=_stamp(stamp), pdf_tags=tagged)
            ends = json.loads(compiler.eval(_ENDS, format="json")) if fmt == "pdf" else []
    except typst.TypstError as exc:
        raise InvalidInput(f"brevmalen kunne ikke settes: {exc.message}",
                           where="letters/templates") from None
    return result, ends


def _ranges(ends: list[list[int]], count: int) -> list[tuple[int, int]]:
    last_page: dict[int, int] = {}
    for seq, page in ends:
        last_page[int(seq)] = int(page)
    if len(last_page) != count:
        raise InvalidInput(f"fant sidegrenser for {len(last_page)} av {count} brev",
                           where="letters/templates")
    ranges, first = [], 1
    for seq in range(count):
        ranges.append((first, last_page[seq]))
        first = last_page[seq] + 1
    return ranges


def render_batch(contents: list[dict], *, ids: list[int | None] | None = None,
                 title: str = "krav", tagged: bool = False, check: bool = True,
                 stamp: date | None = None, site: LetterSite | None = None) -> Rendered:
    """Compile ``contents`` as one PDF document; letters in the order given.

    ``tagged=False`` (print) leaves out the accessibility structure, which costs time and
    serves no one on paper; letters sent electronically are rendered tagged.
    """
    if not contents:
        return Rendered(pdf=b"", pages=[])
    views = _views(contents, ids, check, site)
    pdf, ends = _compile(_payload(views, title), fmt="pdf", tagged=tagged, stamp=stamp)
    return Rendered(pdf=pdf, pages=_ranges(ends, len(views)))


def render_pdf(content: dict, *, letter_id: int | None = None,
               site: LetterSite | None = None) -> bytes:
    """One letter as a tagged PDF (for e-mail, the digital mailbox and the portal)."""
    title = f"{content.get('kind', '')} {content.get('ref', '')}".strip()
    sent_on = content.get("sent_on")
    stamp = date.fromisoformat(sent_on) if sent_on else None
    return render_batch([content], ids=[letter_id], title=title, tagged=True, stamp=stamp,
                        site=site).pdf


def render_png(content: dict, *, ppi: float = 96) -> list[bytes]:
    """One letter as PNG images, one per page (previews)."""
    views = _views([content], None, True)
    pages, _ = _compile(_payload(views, content["kind"]), fmt="png", ppi=ppi)
    return pages if isinstance(pages, list) else [pages]


def split(rendered: Rendered) -> list[bytes]:
    """One PDF per letter of a batch, cut at the recorded page ranges."""
    reader = PdfReader(io.BytesIO(rendered.pdf))
    out = []
    for first, last in rendered.pages:
        writer = PdfWriter()
        for index in range(first - 1, last):
            writer.add_page(reader.pages[index])
        buffer = io.BytesIO()
        writer.write(buffer)
        out.append(buffer.getvalue())
    return out
