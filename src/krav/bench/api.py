"""``krav bench api``: N claims, the server as an operator runs it, and a load generator.

1. The book: N open claims of three creditors, written set-wise (the nightly benchmark's
   :func:`krav.bench.nightly.build_book`); not timed.
2. An API key for the first creditor, made by ``krav apikey create`` (the real command).
3. ``krav serve --host 127.0.0.1 --port <free> --workers W --db URL`` in a subprocess; its log
   goes to a temporary file. The bench waits for ``/healthz`` and stops the server at the end.
4. ``GET /api/v1/claims/{ref}`` for random refs of the key's creditor, open loop at ``rate``
   requests a second for ``duration`` seconds (:mod:`krav.bench.load`: latency counted from the
   moment each request was due, so a slow server cannot hide behind its own slowness).
5. ``POST /api/v1/claims`` with ``batch`` new claims per request, closed loop (``workers``
   requests under way) for ``duration`` seconds: claims created per second.

Everything runs in one process besides the server; the client's CPU time is reported beside the
figures (it shares the machine's cores with the server).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import Engine, insert, select

from krav.bench.load import Request, closed_loop, open_loop
from krav.bench.nightly import build_book
from krav.db.engine import make_engine, reset_schema
from krav.db.tables import claims, creditors, settings
from krav.kernel.errors import UnableToProceed

HOST = "127.0.0.1"
KRAV = [sys.executable, "-m", "krav"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def build(engine: Engine, claims_count: int, as_of: date,
          progress: Callable[[int, int], None] | None = None) -> tuple[str, list[str]]:
    """The book (claims ``B-00000001`` …, three creditors); the org number and refs of the
    creditor of ``B-00000001``. The claim sequence continues after the book, as an import
    would leave it, so the claims posted later get refs and KIDs of their own."""
    reset_schema(engine)
    build_book(engine, claims_count=claims_count, due=0, as_of=as_of, progress=progress)
    with engine.begin() as conn:
        conn.execute(insert(settings).values(key="claim_sequence", value=str(claims_count + 1)))
        creditor_id, orgnr = conn.execute(
            select(creditors.c.id, creditors.c.orgnr)
            .join(claims, claims.c.creditor_id == creditors.c.id)
            .where(claims.c.ref == "B-00000001")).one()
        refs = list(conn.execute(select(claims.c.ref)
                                 .where(claims.c.creditor_id == creditor_id)).scalars())
    return orgnr, refs


def make_key(url: str, orgnr: str) -> str:
    """An API key for ``orgnr`` through ``krav apikey create`` (the command an operator runs)."""
    made = subprocess.run([*KRAV, "apikey", "create", "--creditor", orgnr, "--name",
                           "benchmark", "--json", "--db", url], capture_output=True, text=True,
                          timeout=120)
    if made.returncode != 0:
        raise UnableToProceed(f"krav apikey create feilet: {made.stderr.strip()[-300:]}")
    return str(json.loads(made.stdout)["key"])


class Server:
    """``krav serve`` on a free port of 127.0.0.1, stopped (with its workers) on exit."""

    def __init__(self, url: str, workers: int, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.url = url
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "KRAV_PUBLIC_URL": f"http://{HOST}:{self.port}"}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*KRAV, "serve", "--host", HOST, "--port", str(self.port), "--workers",
                 str(self.workers), "--db", self.url], env=env, stdout=subprocess.DEVNULL,
                stderr=log, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise UnableToProceed(f"krav serve stoppet: {self.tail()}")
            if self._healthy():
                return self
            time.sleep(0.2)
        self.__exit__()
        raise UnableToProceed(f"krav serve svarte ikke på /healthz innen 120 s: {self.tail()}")

    def _healthy(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def tail(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:])[-500:]

    def cpu_seconds(self) -> float:
        """CPU time of the server and its worker processes so far."""
        if self.process is None:
            return 0.0
        try:
            root = psutil.Process(self.process.pid)
            total = 0.0
            for p in [root, *root.children(recursive=True)]:
                try:
                    t = p.cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
            return total
        except psutil.Error:
            return 0.0

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # uvicorn's graceful stop, workers included
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def claim_item(n: int, as_of: date) -> dict[str, str]:
    """One new claim for ``POST /api/v1/claims`` (a consumer debtor of its own)."""
    due = as_of - timedelta(days=5 + n % 20)
    return {"invoice_number": f"API-{n}", "invoice_date": (due - timedelta(days=14)).isoformat(),
            "due_date": due.isoformat(), "amount": f"{500 + n % 9000}.{n % 100:02d}",
            "debtor_kind": "consumer", "debtor_name": f"API Skyldner {n}",
            "debtor_address": f"Gate {n % 300 + 1}", "debtor_postcode": "0150",
            "debtor_city": "Oslo", "description": "Benchmark"}


def _created(payload: bytes) -> int:
    try:
        return int(json.loads(payload)["created"])
    except (ValueError, KeyError, TypeError):
        return 0


def bench_api(url: str, *, claims_count: int, rate: float, duration: float, concurrency: int,
              workers: int, batch: int, as_of: date, log_dir: Path,
              progress: Callable[[int, int], None] | None = None,
              say: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    engine = make_engine(url)
    started = time.perf_counter()
    orgnr, refs = build(engine, claims_count, as_of, progress)
    build_seconds = time.perf_counter() - started
    engine.dispose()
    key = make_key(url, orgnr)
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    rng = random.Random(7)
    say(f"starter krav serve ({workers} prosess{'er' if workers > 1 else ''})")
    with Server(url, workers, log_dir / "serve.log") as server:

        def get(_: int) -> Request:
            return ("GET", f"/api/v1/claims/{rng.choice(refs)}", b"")

        # warm-up, not counted: every connection opened, every worker past its first request
        asyncio.run(open_loop(HOST, server.port, headers, get, rate=min(rate, 200),
                              duration=1.0, concurrency=concurrency))
        say(f"GET /api/v1/claims/{{ref}}: {rate:g}/s i {duration:g} s")
        cpu0 = server.cpu_seconds()
        reads = asyncio.run(open_loop(HOST, server.port, headers, get, rate=rate,
                                      duration=duration, concurrency=concurrency))
        read_cpu = server.cpu_seconds() - cpu0
        sent = iter(range(1 << 62))

        def post(_: int) -> Request:
            items = [claim_item(next(sent), as_of) for _ in range(batch)]
            return ("POST", "/api/v1/claims", json.dumps(items).encode())

        say(f"POST /api/v1/claims: {batch} krav per forespørsel i {duration:g} s")
        cpu0 = server.cpu_seconds()
        writes = asyncio.run(closed_loop(HOST, server.port, headers, post, duration=duration,
                                         concurrency=workers, count=_created, timeout=120))
        write_cpu = server.cpu_seconds() - cpu0
        server_log = server.tail() if reads.errors or writes.errors else ""
    get_figures = reads.summary()
    post_figures = writes.summary()
    post_figures = {"batch": batch, "claims": writes.items,
                    "claims_per_second": round(writes.items / writes.seconds, 1)
                    if writes.seconds else 0.0, **post_figures,
                    "concurrency": workers, "server_cpu_s": round(write_cpu, 2)}
    return {
        "claims": claims_count, **get_figures, "target_rps": rate, "concurrency": concurrency,
        "server_cpu_s": round(read_cpu, 2),
        # per request the server answered (a timed-out request may never have reached it)
        "server_cpu_ms_per_request": round(read_cpu * 1000 / reads.answered, 2)
        if reads.answered else None,
        "post": post_figures,
        "db": "postgresql" if url.startswith("postgresql") else "sqlite", "workers": workers,
        "build_seconds": round(build_seconds, 1), "load_average": round(os.getloadavg()[0], 2),
        **({"server_log_tail": server_log} if server_log else {}),
    }


def temporary_sqlite() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="krav-bench-api-")
