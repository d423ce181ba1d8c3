"""Print batches across CPU cores: one Typst document per print file, files compiled in parallel.

Typst lays out one document on one core, and the Python binding holds the GIL while it does, so
threads do not help; a small pool of worker processes (each with its own warm compiler) does.
A large batch is cut into ``files`` print files of consecutive letters — one per core, and none
over ``per_file`` letters (print houses take files of a few hundred to a few thousand letters).
Validation and the views are made here, in the calling process, so a bad letter is named before
any work is sent out.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from krav.letters.render import Rendered, _compile, _payload, _ranges, _views, split

MIN_PARALLEL = 200  # below this a second process costs more than it saves
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _executor(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != workers:
        if _pool is not None:
            _pool.shutdown()
        _pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        _pool_size = workers
        atexit.register(_pool.shutdown)
    return _pool


def _compile_chunk(args: tuple[dict[str, str], int, bool, date | None]) -> Rendered:
    inputs, count, tagged, stamp = args
    pdf, ends = _compile(inputs, fmt="pdf", tagged=tagged, stamp=stamp)
    return Rendered(pdf=pdf, pages=_ranges(ends, count))


def _compile_and_split(args: tuple[dict[str, str], int, bool, date | None]) -> list[bytes]:
    return split(_compile_chunk(args))


def render_letters(contents: list[dict], *, ids: list[int | None] | None = None,
                   workers: int | None = None) -> list[bytes]:
    """One tagged PDF per letter, in order: batches compiled and cut in parallel workers."""
    if not contents:
        return []
    workers = workers or cores()
    views = _views(contents, ids, True)
    files = file_count(len(views), workers=workers, per_file=500)
    jobs = _jobs(views, files, "krav", tagged=True, stamp=None)
    if len(jobs) == 1 or workers == 1:
        parts = [_compile_and_split(job) for job in jobs]
    else:
        parts = list(_executor(min(workers, len(jobs))).map(_compile_and_split, jobs))
    return [pdf for part in parts for pdf in part]


def _jobs(views: list[dict], files: int, title: str, *, tagged: bool,
          stamp: date | None) -> list[tuple[dict[str, str], int, bool, date | None]]:
    size = math.ceil(len(views) / files)
    jobs = []
    for start in range(0, len(views), size):
        chunk = views[start:start + size]
        for seq, view in enumerate(chunk):
            view["seq"] = seq
        jobs.append((_payload(chunk, title), len(chunk), tagged, stamp))
    return jobs


def file_count(letters: int, *, workers: int, per_file: int) -> int:
    """How many print files a batch becomes."""
    needed = max(1, math.ceil(letters / per_file))
    if workers > 1 and letters >= MIN_PARALLEL:
        return max(needed, min(workers, letters // (MIN_PARALLEL // 2)))
    return needed


def render_files(contents: list[dict], *, ids: list[int | None] | None = None,
                 title: str = "krav", workers: int | None = None, per_file: int = 2000,
                 check: bool = True, stamp: date | None = None) -> list[Rendered]:
    """Render ``contents`` in order as one or more PDF files (each with its own page ranges)."""
    if not contents:
        return []
    workers = workers or cores()
    views = _views(contents, ids, check)
    files = file_count(len(views), workers=workers, per_file=per_file)
    jobs = _jobs(views, files, title, tagged=False, stamp=stamp)
    if len(jobs) == 1 or workers == 1:
        return [_compile_chunk(job) for job in jobs]
    return list(_executor(min(workers, len(jobs))).map(_compile_chunk, jobs))


def warm_up(workers: int | None = None) -> None:
    """Start the worker processes and load fonts and templates in each (for benchmarks)."""
    from krav.letters.samples import varied_contents

    workers = workers or cores()
    if workers > 1:
        views = _views(varied_contents(1), None, True)
        job = (_payload(views, "warm-up"), 1, False, None)
        list(_executor(workers).map(_compile_chunk, [job] * workers * 2))
    render_files(varied_contents(1), workers=1)

