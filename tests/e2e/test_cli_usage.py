"""A user's mistake on the command line is one bokmål line (issue 8 part 7): an unknown option or
command, a missing option or argument, a bad value, Ctrl-C — in-process and as a real program
(click prints usage errors itself in standalone mode, so both paths are tested)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from tests.factories import Krav, table_counts

from krav.cli.main import main


@pytest.fixture
def krav(db_url, capsys) -> Krav:  # type: ignore[no-untyped-def]
    return Krav(db_url, capsys)


def one_line(code: int, out: str, err: str) -> str:
    assert code == 2, (code, out, err)
    assert out == "" and "Traceback" not in err, err
    assert err.startswith("krav: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("argv,says", [
    (["run", "--asof", "2026-01-01"], ["ukjent valg --asof", "mente du --as-of?",
                                       "«krav run --help»"]),
    (["settle", "--creditor", "845085153"], ["mangler valget --period", "ÅÅÅÅ-MM",
                                             "«krav settle --help»"]),
    (["frobnicate"], ["ukjent kommando 'frobnicate'", "«krav --help»"]),
    (["paymnets", "unmatched"], ["ukjent kommando 'paymnets'", "mente du payments?"]),
    (["payments", "frob"], ["ukjent kommando 'frob'", "«krav payments --help»"]),
    (["import", "claims"], ["mangler argumentet FILE"]),
    (["payments", "refund", "abc"], ["argumentet PAYMENT", "må være et heltall"]),
    (["payments", "refund", "1", "2"], ["for mange argumenter: 2"]),
    (["run", "--as-of", "2026-13-01"], ["--as-of", "ugyldig dato '2026-13-01'"]),
    (["letters", "print-batch", "--split=ja"], ["valget --split tar ingen verdi"]),
])
def test_a_usage_mistake_is_one_line_and_writes_nothing(krav, engine, argv, says) -> None:  # type: ignore[no-untyped-def]
    before = table_counts(engine)
    err = one_line(*krav(*argv))
    for text in says:
        assert text in err, err
    assert table_counts(engine) == before


def test_an_option_without_its_value(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["run", "--as-of"]) == 2
    err = capsys.readouterr().err
    assert err == "krav: valget --as-of mangler en verdi — se «krav --help»\n"


def test_help_still_works(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--as-of" in out and "Usage" in out
    assert main(["--help"]) == 0
    assert "payments" in capsys.readouterr().out


def test_an_internal_error_is_one_line_unless_debugging(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import krav.engine.cli

    def broken(url):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(krav.engine.cli, "open_db", broken)
    monkeypatch.delenv("KRAV_DEBUG", raising=False)
    assert main(["run", "--as-of", "2026-01-01"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("krav: intern feil (ZeroDivisionError: division by zero)")
    assert err.count("\n") == 1 and "KRAV_DEBUG=1" in err
    monkeypatch.setenv("KRAV_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["run", "--as-of", "2026-01-01"])


def _krav(*argv: str, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "krav", *argv], capture_output=True, text=True,
                          timeout=60, check=False, **kwargs)


@pytest.mark.parametrize("argv,says", [
    (["run", "--asof", "2026-01-01"], "ukjent valg --asof (mente du --as-of?)"),
    (["settle"], "mangler valget --period"),
    (["frobnicate"], "ukjent kommando 'frobnicate'"),
    (["import", "claims"], "mangler argumentet FILE"),
])
def test_the_program_prints_one_line_for_a_usage_mistake(tmp_path, argv, says) -> None:  # type: ignore[no-untyped-def]
    done = _krav(*argv, "--db", f"sqlite:///{tmp_path / 'k.db'}")
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr.startswith("krav: ") and says in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_the_program_help_exits_zero() -> None:
    done = _krav("settle", "--help")
    assert done.returncode == 0 and "--period" in done.stdout and done.stderr == ""


def _has_tables(path) -> bool:  # type: ignore[no-untyped-def]
    import sqlite3

    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'letters'"
                                ).fetchone()[0] == 1
    except sqlite3.Error:
        return False


def test_ctrl_c_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [sys.executable, "-m", "krav", "dispatch", "--interval", "30", "--db",
         f"sqlite:///{tmp_path / 'k.db'}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "KRAV_DEBUG": ""},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # started and waiting between rounds: its database is made (a busy machine may take a while)
    database = tmp_path / "k.db"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not (
            database.exists() and _has_tables(database)):
        time.sleep(0.2)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err == "krav: avbrutt\n"
