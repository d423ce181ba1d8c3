"""Two nightly runs at once (issue 8 part 11): one does the work, the other stops with one line
— on SQLite and PostgreSQL, with two real processes."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from tests.factories import claim, claim_row, import_claims, letters_of, postings_of

from krav.engine.lock import RunInProgress, run_lock

DAY = "2026-01-20"  # the first reminder of a claim due 2026-01-05 is due


def _krav(db_url: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "krav", *argv, "--db", db_url],
                          capture_output=True, text=True, timeout=120)


def test_a_second_run_while_one_holds_the_lock_stops_with_one_line(db_url, engine,  # type: ignore[no-untyped-def]
                                                                    tmp_path) -> None:
    import_claims(engine, tmp_path, [claim_row(due=date(2026, 1, 5))])
    with run_lock(engine):  # this process is "the first run", still working
        second = _krav(db_url, "run", "--as-of", DAY)
        assert second.returncode != 0
        assert second.stderr.strip().splitlines() == [
            "krav: en annen kjøring pågår mot denne databasen; prøv igjen når den er ferdig"]
        assert "Traceback" not in second.stderr
        assert claim(engine)["step_index"] == 0 and len(postings_of(engine)) == 1
        dry = _krav(db_url, "run", "--as-of", DAY, "--dry-run", "--json")
        assert dry.returncode == 0, dry.stderr  # a dry run writes nothing and needs no lock
    after = _krav(db_url, "run", "--as-of", DAY, "--json")
    assert after.returncode == 0, after.stderr
    assert claim(engine)["step_index"] == 1


def test_the_lock_is_released_when_its_holder_dies(db_url, engine) -> None:  # type: ignore[no-untyped-def]
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from krav.db.engine import make_engine\n"
        "from krav.engine.lock import run_lock\n"
        f"with run_lock(make_engine({db_url!r})):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInProgress), run_lock(engine):
            pass
    finally:
        holder.kill()  # SIGKILL: no clean-up code runs
        holder.wait()
    with run_lock(engine):  # free again
        pass


def test_two_runs_started_at_once_do_the_work_once(db_url, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice=str(n), due=date(2026, 1, 5))
                                     for n in range(1, 201)])
    procs = [subprocess.Popen([sys.executable, "-m", "krav", "run", "--as-of", DAY, "--json",
                               "--db", db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for code, err in results:
        assert "Traceback" not in err and "UniqueViolation" not in err, err
        assert code == 0 or err.strip() == (
            "krav: en annen kjøring pågår mot denne databasen; prøv igjen når den er ferdig")
    assert any(code == 0 for code, _ in results)
    assert all(claim(engine, f"K-{n:07d}")["step_index"] == 1 for n in (1, 100, 200))
    assert len(letters_of(engine, "K-0000001")) == 1
