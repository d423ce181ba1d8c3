"""Letters services for the entry points: a case's PDFs, all letters to a folder, previews,
the benchmark, and the channel adapters chosen from the settings."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from krav.cases.profile import LETTER_FIELDS
from krav.db.tables import claims, letters
from krav.kernel.errors import NotFound, UnableToProceed
from krav.letters.channels import Channels
from krav.letters.content import KINDS, LANGUAGES
from krav.letters.email import SmtpChannel
from krav.letters.mailbox import NoDigitalMailbox
from krav.letters.messages import file_name
from krav.letters.parallel import cores, render_files, render_letters, warm_up
from krav.letters.render import render_png
from krav.letters.samples import sample_content, varied_contents  # noqa: F401
from krav.letters.sms import LinkSmsChannel
from krav.settings import Settings


def channels_from_settings(settings: Settings) -> Channels:
    """The adapters for this installation: SMTP always, SMS when ``KRAV_SMS_URL`` is set."""
    email = SmtpChannel.with_security(
        host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
        security=settings.smtp_security, username=settings.smtp_username,
        password=settings.smtp_password)
    sms = LinkSmsChannel(base_url=settings.sms_url, token=settings.sms_token,
                         source=settings.agency.name[:11]) if settings.sms_url else None
    return Channels(email=email, sms=sms, mailbox=NoDigitalMailbox())


_PARTY_FIELDS = ("name", "address", "postcode", "city")  # what the content's creditor block holds


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def render_case(engine: Engine, ref: str, out_dir: Path) -> list[Path]:
    """One PDF per letter of case ``ref``: ``<sent_on>-<kind>-<letter id>.pdf``."""
    with engine.connect() as conn:
        claim_id = conn.execute(select(claims.c.id).where(claims.c.ref == ref)).scalar()
        if claim_id is None:
            raise NotFound(f"sak {ref} finnes ikke")
        rows = conn.execute(select(letters.c.id, letters.c.content)
                            .where(letters.c.claim_id == claim_id)
                            .order_by(letters.c.id)).all()
    for row in rows:
        _refuse_incomplete_creditor(ref, row.id, row.content)
    return write_letter_files([(r.id, r.content) for r in rows], out_dir)


def _refuse_incomplete_creditor(ref: str, letter_id: int, content: dict) -> None:
    """A letter must name its creditor with an address (inkassoloven §§ 9-10): one line naming
    the creditor and what it lacks, rather than a template error."""
    creditor = content.get("creditor") or {}
    missing = [label for key, label in LETTER_FIELDS.items()
               if key in _PARTY_FIELDS and not str(creditor.get(key) or "").strip()]
    if missing:
        orgnr = creditor.get("orgnr", "")
        raise UnableToProceed(
            f"sak {ref}, brev {letter_id}: oppdragsgiver {orgnr} {creditor.get('name', '')} "
            f"mangler {', '.join(missing)}; brevet kan ikke lages (fyll inn profilen med "
            f"`krav creditor update {orgnr}`; nattkjøringen holder sakene tilbake til da)")


def write_letter_files(items: list[tuple[int, dict]], out_dir: Path,
                       batch: int = 4000) -> list[Path]:
    """Render ``(letter id, content)`` pairs (batched, in parallel) and write one PDF each."""
    paths = []
    for start in range(0, len(items), batch):
        part = items[start:start + batch]
        pdfs = render_letters([c for _, c in part], ids=[i for i, _ in part])
        for (letter_id, content), data in zip(part, pdfs, strict=True):
            paths.append(_write(out_dir / file_name(content, letter_id), data))
    return paths


def write_all_letters(engine: Engine, out_dir: Path, *, since: date | None = None) -> list[Path]:
    """Every letter in the database (optionally sent on or after ``since``) as its own PDF."""
    query = select(letters.c.id, letters.c.content).order_by(letters.c.id)
    if since is not None:
        query = query.where(letters.c.sent_on >= since)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return write_letter_files([(r.id, r.content) for r in rows], out_dir)


def write_previews(out_dir: Path, *, ppi: float = 96) -> list[Path]:
    """A PNG of every page of a sample of every kind, in Bokmål and English."""
    paths = []
    for kind in KINDS:
        for lang in LANGUAGES:
            pages = render_png(sample_content(kind, lang), ppi=ppi)
            for number, data in enumerate(pages, 1):
                suffix = "" if number == 1 else f"-{number}"
                paths.append(_write(out_dir / f"{kind}-{lang}{suffix}.png", data))
    return paths


def bench_letters(count: int, *, seed: int = 0, workers: int | None = None) -> dict[str, Any]:
    """Print-batch rendering of ``count`` varied letters, exactly as ``print-batch`` does it:
    validation, views, one Typst document per print file (files compiled in parallel, one per
    core), page ranges for the manifest.

    Timed after a warm-up (starting the worker processes, loading fonts and parsing templates,
    reported apart), as in a long-running process.

    ``seed`` shifts the sample data so every run lays out letters Typst has not seen before
    (its layout cache would otherwise make a repeat look faster than real work)."""
    contents = varied_contents(count)
    for content in contents:
        content["ref"] = f"{content['ref']}-{seed}"
    workers = workers or cores()
    started = time.perf_counter()
    warm_up(workers)
    warmup = time.perf_counter() - started
    started = time.perf_counter()
    files = render_files(contents, title="bench", workers=workers)
    seconds = time.perf_counter() - started
    return {"count": count, "seconds": round(seconds, 3),
            "letters_per_second": round(count / seconds, 1) if seconds else 0.0,
            "warmup_seconds": round(warmup, 3), "workers": workers, "files": len(files),
            "pages": sum(f.pages[-1][1] for f in files),
            "bytes": sum(len(f.pdf) for f in files)}
