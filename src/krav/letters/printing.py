"""The day's print file: every letter routed to print, compiled as ONE Typst document, plus a
CSV manifest (letter id, case, pages, recipient) for the print house.

Which letters: those the dispatcher queued for print (``status='print'``) and — so the print
run does not depend on the dispatcher having run first — pending letters whose route is print,
both with ``sent_on`` on or before the day. A large day is cut into several print files
(``<day>-print-<n>.pdf``, at most ``per_file`` letters each, one per CPU core), compiled in
parallel; the manifest names each letter's file and pages in it. Letters are sorted by
postcode (the post office's sorting order), then id. Re-running for the same day rebuilds the
files from the letters recorded in them. Claiming, rendering and recording happen in one
transaction: if rendering fails nothing is marked as printed.

Printed is not sent: the letters become ``printed`` and count as sent — fee lawful, deadline
running, the case's next step allowed — only from the day the file is marked handed to the
printer/post (:func:`mark_handed`, ``krav letters handed``).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from krav.accounts.principal import Actor
from krav.audit.service import record, record_many
from krav.db.tables import claims, letters
from krav.kernel.errors import InvalidInput, KravError, NotFound
from krav.letters import delivery, outbox
from krav.letters.channels import Channels
from krav.letters.content import validate
from krav.letters.dispatch import reach_for
from krav.letters.parallel import render_files
from krav.letters.render import Rendered, split
from krav.letters.routing import parse_preferences, route
from krav.letters.tables import letter_deliveries as ld
from krav.letters.tracking import delivery_key

MANIFEST_FIELDS = ("letter_id", "case", "pages", "recipient", "file", "first_page", "last_page",
                   "kind", "address", "postcode", "city", "country", "sent_on")


@dataclass(frozen=True)
class PrintResult:
    pdf: Path | None
    manifest: Path | None
    letters: int
    pages: int
    files: list[Path]  # every file written (print files, manifest, split letters)
    print_files: list[Path] = field(default_factory=list)


def queue_pending_for_print(engine: Engine, day: date, channels: Channels) -> int:
    """Pending letters (not yet dispatched) whose route is print become ``print`` (one
    conditional UPDATE, so a dispatcher running at the same time cannot take them too)."""
    delivery.refresh(engine, on=day)
    with engine.connect() as conn:
        ids = list(conn.execute(select(letters.c.id).where(
            letters.c.status == "pending", letters.c.next_attempt_at.is_(None),
            letters.c.sent_on <= day)).scalars())
    chosen = []
    for start in range(0, len(ids), 1000):
        items = outbox.load(engine, ids[start:start + 1000], status="pending")
        bounced = outbox.bounced_addresses(engine, [i.debtor["email"] for i in items])
        for item in items:
            prefs = parse_preferences(item.creditor["channels"],
                                      where=f"kreditor {item.creditor['id']}: channels")
            if route(item.kind, reach_for(item, channels, bounced), prefs).primary == "print":
                chosen.append(item.id)
    queued = 0
    with engine.begin() as conn:
        for start in range(0, len(chosen), 1000):
            queued += conn.execute(update(letters).where(
                letters.c.id.in_(chosen[start:start + 1000]), letters.c.status == "pending")
                .values(status="print")).rowcount
    return queued


def _select(conn: Connection, day: date) -> list:
    recorded = select(ld.c.letter_id).where(ld.c.channel == "print",
                                            ld.c.status.in_(("printed", "sent")),
                                            ld.c.provider_id.like(f"{day.isoformat()}-print%"))
    condition = or_(letters.c.id.in_(recorded),
                    (letters.c.status == "print") & (letters.c.sent_on <= day))
    return list(conn.execute(select(letters.c.id, letters.c.content, letters.c.status)
                             .where(condition)).all())


def _sort_key(row) -> tuple:  # type: ignore[no-untyped-def]
    party = row.content.get("creditor" if row.content["kind"] == "settlement_statement"
                            else "debtor", {})
    return (party.get("country", "NO") != "NO", party.get("postcode", ""), row.id)


def manifest_rows(rows: list, pages: list[tuple[int, int]]) -> list[dict]:
    out = []
    for row, (first, last) in zip(rows, pages, strict=True):
        c = row.content
        party = c.get("creditor" if c["kind"] == "settlement_statement" else "debtor", {})
        out.append({"letter_id": row.id, "case": c.get("ref", ""), "pages": last - first + 1,
                    "recipient": party.get("name", ""), "first_page": first, "last_page": last,
                    "kind": c["kind"], "address": party.get("address", ""),
                    "postcode": party.get("postcode", ""), "city": party.get("city", ""),
                    "country": party.get("country", "NO"), "sent_on": c.get("sent_on", "")})
    return out


def write_manifest(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _atomic_write(path, buffer.getvalue().encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _chunks(ids: list[int], size: int = 1000) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _park_invalid(conn: Connection, rows: list, day: date) -> list:
    """Letters whose content is broken are parked with the reason (their fee reversed: they are
    not sent, INKL § 9); the rest are printed."""
    good = []
    for row in rows:
        try:
            validate(row.content, where=f"brev {row.id}")
            good.append(row)
        except KravError as exc:
            conn.execute(update(letters).where(letters.c.id == row.id)
                         .values(status="parked", last_error=str(exc)))
            delivery.reverse_fees(conn, [row.id], on=day, reason="brevet kunne ikke skrives ut")
    return good


def _record(conn: Connection, rows: list, file_of: list[str], now: datetime) -> None:
    ids = [r.id for r in rows]
    name = dict(zip(ids, file_of, strict=True))
    known: set[int] = set()
    for part in _chunks(ids):
        known.update(conn.execute(select(ld.c.letter_id).where(
            ld.c.letter_id.in_(part), ld.c.channel == "print")).scalars())
    new = [{"letter_id": i, "channel": "print", "idempotency_key": delivery_key(i, "print"),
            "recipient": "", "status": "printed", "attempts": 1, "provider_id": name[i],
            "made_at": now, "updated_at": now} for i in ids if i not in known]
    if new:
        conn.execute(insert(ld), new)
    for file_name in sorted(set(file_of)):
        in_file = sorted(i for i in known if name[i] == file_name)
        for part in _chunks(in_file):
            conn.execute(update(ld).where(ld.c.letter_id.in_(part), ld.c.channel == "print",
                                          ld.c.status != "sent")
                         .values(status="printed", provider_id=file_name, updated_at=now))
    for part in _chunks(ids):
        # in a print file, not yet sent: sent when the file is handed over (mark_handed)
        conn.execute(update(letters).where(letters.c.id.in_(part), letters.c.status == "print")
                     .values(status="printed", last_error=None))


def _file_names(day: date, count: int) -> list[str]:
    if count == 1:
        return [f"{day.isoformat()}-print.pdf"]
    return [f"{day.isoformat()}-print-{n}.pdf" for n in range(1, count + 1)]


def _write_files(out_dir: Path, day: date, rows: list, files: list[Rendered],
                 split_letters: bool) -> tuple[list[Path], list[dict], list[str]]:
    """The print files, the manifest and (with ``split_letters``) one PDF per letter."""
    for stale in out_dir.glob(f"{day.isoformat()}-print*.pdf"):
        stale.unlink()  # a re-run may cut the batch differently
    names, paths, manifest, file_of = _file_names(day, len(files)), [], [], []
    offset = 0
    for name, rendered in zip(names, files, strict=True):
        part = rows[offset:offset + len(rendered.pages)]
        offset += len(rendered.pages)
        paths.append(out_dir / name)
        _atomic_write(paths[-1], rendered.pdf)
        manifest += [row | {"file": name} for row in manifest_rows(part, rendered.pages)]
        file_of += [name] * len(part)
        if split_letters:
            for row, data in zip(part, split(rendered), strict=True):
                path = out_dir / f"{row.content.get('sent_on')}-{row.content['kind']}-{row.id}.pdf"
                _atomic_write(path, data)
                paths.append(path)
    return paths, manifest, file_of


def print_batch(engine: Engine, *, day: date, out_dir: Path, now: datetime,
                channels: Channels | None = None, split_letters: bool = False,
                per_file: int = 2000, workers: int | None = None,
                actor: Actor | None = None) -> PrintResult:
    """Write ``<day>-print.pdf`` (``<day>-print-<n>.pdf`` when the batch is cut into several
    files, compiled in parallel) and ``<day>-manifest.csv`` to ``out_dir``; the letters become
    ``printed`` — sent only when the file is marked handed (:func:`mark_handed`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    queue_pending_for_print(engine, day, channels or Channels())
    with engine.begin() as conn:
        rows = _park_invalid(conn, sorted(_select(conn, day), key=_sort_key), day)
        if not rows:
            return PrintResult(None, None, 0, 0, [])
        files = render_files([r.content for r in rows], ids=[r.id for r in rows],
                             title=f"Utskrift {day.isoformat()}", stamp=day, check=False,
                             per_file=per_file, workers=workers)
        paths, manifest, file_of = _write_files(out_dir, day, rows, files, split_letters)
        manifest_path = out_dir / f"{day.isoformat()}-manifest.csv"
        write_manifest(manifest_path, manifest)
        _record(conn, rows, file_of, now)
        record(conn, actor, "letters.print_batch", details={
            "day": day.isoformat(), "letters": len(rows),
            "files": [p.name for p in paths[:len(files)]]})
    pages = sum(f.pages[-1][1] for f in files)
    return PrintResult(paths[0], manifest_path, len(rows), pages, [*paths, manifest_path],
                       paths[:len(files)])


def _audit_handed(conn: Connection, actor: Actor | None, letter_ids: list[int],
                  on: date) -> None:
    """One audit row per letter marked sent (its case and creditor), in one statement each
    chunk."""
    if actor is None:
        return
    for part in _chunks(letter_ids):
        rows = conn.execute(select(letters.c.id, letters.c.claim_id, claims.c.creditor_id,
                                   ld.c.provider_id)
                            .join(claims, claims.c.id == letters.c.claim_id)
                            .join(ld, and_(ld.c.letter_id == letters.c.id,
                                           ld.c.channel == "print"))
                            .where(letters.c.id.in_(part))).all()
        record_many(conn, actor, "letters.handed", [
            (r.claim_id, r.creditor_id, {"letter_id": r.id, "file": r.provider_id,
                                         "on": on.isoformat()}) for r in rows])


@dataclass(frozen=True)
class Handed:
    files: list[str]
    letters: int  # letters that became sent now
    already: int  # letters of these files already marked handed
    late: int  # letters dated before the handed day: their deadlines run from it


def mark_handed(engine: Engine, target: str, *, on: date, book: object = None,
                actor: Actor | None = None) -> Handed:
    """A print file (``2026-04-10-print.pdf``, or a path to it) or a day's whole batch
    (``2026-04-10``) was handed to the printer/post ``on``: its letters are sent that day.

    A letter counts as sent — its fee lawful and its deadline running (INKL § 9, § 10;
    INKF § 1-2) — only from that day; the case's next step waits until then. A letter dated
    before ``on`` has its case's deadline counted from ``on``.
    """
    name = Path(target).name
    bad = InvalidInput(f"ikke en utskriftsfil eller dag: {target!r}", where="FIL|DAG",
                       allowed="en utskriftsfil (ÅÅÅÅ-MM-DD-print.pdf eller "
                               "ÅÅÅÅ-MM-DD-print-N.pdf) eller en dag (ÅÅÅÅ-MM-DD)")
    try:
        day = date.fromisoformat(name[:10])
    except ValueError:
        raise bad from None
    if name == name[:10]:
        where = ld.c.provider_id.like(f"{day.isoformat()}-print%")
    elif name.startswith(f"{day.isoformat()}-print") and name.endswith(".pdf"):
        where = ld.c.provider_id == name
    else:
        raise bad
    if on < day:
        raise InvalidInput(f"kan ikke være levert {on.isoformat()}, før utskriften "
                           f"{day.isoformat()}", where="--on")
    with engine.begin() as conn:
        rows = conn.execute(select(ld.c.letter_id, ld.c.provider_id, letters.c.status)
                            .join(letters, letters.c.id == ld.c.letter_id)
                            .where(ld.c.channel == "print", where)).all()
        if not rows:
            raise NotFound(f"ingen utskriftsfil {name} er laget")
        waiting = sorted(r.letter_id for r in rows if r.status == "printed")
        if book is None:
            from krav.law import law_book
            book = law_book()
        late = 0
        if waiting:
            late = conn.execute(select(func.count()).select_from(letters).where(
                letters.c.id.in_(waiting), letters.c.sent_on < on)).scalar_one()
            delivery.record_sent(conn, waiting, on=on, book=book)
            moment = datetime.combine(on, datetime.min.time())
            for part in _chunks(waiting):
                conn.execute(update(ld).where(ld.c.letter_id.in_(part), ld.c.channel == "print")
                             .values(status="sent", sent_at=moment, updated_at=moment))
            _audit_handed(conn, actor, waiting, on)
    return Handed(files=sorted({r.provider_id for r in rows}), letters=len(waiting),
                  already=len(rows) - len(waiting), late=late)
