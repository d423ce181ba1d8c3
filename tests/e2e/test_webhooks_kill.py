"""Kill the dispatcher (SIGKILL) in the middle of delivering webhooks, restart it, and count what
the receiver got — on SQLite and PostgreSQL, with a real ``krav dispatch`` process and a real HTTP
receiver on 127.0.0.1.

Every event must arrive (none lost), and none may arrive after its success was recorded: the
receiver looks the delivery up in the database on each request and fails the test if it is
already ``delivered``. A kill between the receiver's 2xx and our commit makes one redelivery with
the same event id (at least once: the receiver dedupes by ``X-Krav-Event-Id``) — so at most one
duplicate per kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from tests.factories import NORDLYS, add_creditor, claim_row, import_claims
from tests.webhook_support import Receiver

from krav.accounts.principal import Actor, Principal
from krav.webhooks.service import create, event_id
from krav.webhooks.tables import webhook_deliveries as wd

pytestmark = pytest.mark.slow

KEY = "kill-test-secret-key"
CLAIMS = 40


def _dispatcher(url: str) -> subprocess.Popen:
    env = {**os.environ, "KRAV_SECRET_KEY": KEY}
    return subprocess.Popen(
        [sys.executable, "-m", "krav", "dispatch", "--once", "--batch", "3", "--lease", "1",
         "--db", url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_after(proc: subprocess.Popen, receiver: Receiver, received: int) -> None:
    deadline = time.monotonic() + 60
    while len(receiver.requests) < received and proc.poll() is None:
        assert time.monotonic() < deadline, "dispatcher made no progress"
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_kill_and_restart_delivers_every_event_and_none_after_its_success(
        db_url, engine, tmp_path):
    add_creditor(engine, NORDLYS)
    violations: list[str] = []

    def check(headers: dict[str, str], body: bytes) -> None:
        with engine.connect() as conn:
            status = conn.execute(select(wd.c.status).where(
                wd.c.id == by_event[headers["x-krav-event-id"]])).scalar()
        if status == "delivered":
            violations.append(headers["x-krav-event-id"])

    with Receiver(on_request=check, delay=0.01) as receiver:
        at = datetime.now(UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            create(conn, creditor_id=1, url=receiver.url, events_=["claim.created"],
                   actor=Actor(Principal.cli("test"), at), secret_key=KEY, allow_local=True)
        import_claims(engine, tmp_path, [claim_row(invoice=str(i)) for i in range(CLAIMS)],
                      as_of=date(2026, 1, 6))
        with engine.connect() as conn:
            by_event = {event_id(r.event_type, r.source, r.source_id): r.id
                        for r in conn.execute(select(wd))}
        assert len(by_event) == CLAIMS
        for received in (5, 17, 29):  # three crashes at different points
            _kill_after(_dispatcher(db_url), receiver, received)
            time.sleep(1.1)  # the dead dispatcher's lease runs out
        final = _dispatcher(db_url)
        code, err = final.wait(timeout=120), final.stderr.read().decode()
        assert code == 0, err

    counts = Counter(h["x-krav-event-id"] for h, _ in receiver.requests)
    assert set(counts) == set(by_event)  # none lost
    assert violations == []  # none sent again after its success was recorded
    assert sum(n - 1 for n in counts.values()) <= 3  # at most one redelivery per kill
    with engine.connect() as conn:
        assert set(conn.execute(select(wd.c.status)).scalars()) == {"delivered"}
    print(f"redelivered after kills: {sum(n - 1 for n in counts.values())}")
