"""``krav letters …``, ``krav dispatch`` and ``krav bench letters`` through the real CLI."""

from __future__ import annotations

import csv
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from tests.factories import OLA, Krav, add_creditor, claim_row, import_claims
from tests.letters_support import SmtpSink, make_case, pdf_text

from krav.cli.main import main
from krav.db.engine import make_engine
from krav.db.tables import debtors, letters
from krav.letters.content import KINDS
from krav.letters.view import day


def test_render_case_writes_one_pdf_per_letter(db_url, tmp_path, capsys):
    tmp_path = tmp_path / "out"
    engine = make_engine(db_url)
    case = make_case(engine, kinds=("reminder", "collection_notice", "payment_demand"))
    make_case(engine)  # another case's letter is not written
    assert main(["letters", "render", "--case", case.ref, "--out", str(tmp_path),
                 "--db", db_url]) == 0
    with engine.connect() as conn:
        rows = conn.execute(select(letters.c.id, letters.c.kind, letters.c.content)
                            .where(letters.c.claim_id == case.claim_id)).all()
    expected = {f"{r.content['sent_on']}-{r.kind}-{r.id}.pdf": r.content for r in rows}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)
    for name, content in expected.items():
        text = pdf_text((tmp_path / name).read_bytes())
        assert content["kid"] in text and day(content["deadline"]) in text
    assert "3 brev skrevet" in capsys.readouterr().out


def test_render_unknown_case_is_one_line(db_url, tmp_path, capsys):
    assert main(["letters", "render", "--case", "NOPE", "--out", str(tmp_path),
                 "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err == "krav: sak NOPE finnes ikke\n"


def test_print_batch_returned_and_needs_address(db_url, tmp_path, capsys):
    engine = make_engine(db_url)
    cases = [make_case(engine) for _ in range(3)]
    assert main(["letters", "print-batch", "--date", "2026-04-10", "--out", str(tmp_path),
                 "--db", db_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["letters"] == 3 and out["pdf"].endswith("2026-04-10-print.pdf")
    manifest = list(csv.DictReader(open(out["manifest"], encoding="utf-8")))
    assert {int(r["letter_id"]) for r in manifest} == {c.letter_ids[0] for c in cases}
    assert list(manifest[0])[:4] == ["letter_id", "case", "pages", "recipient"]

    assert main(["letters", "returned", str(cases[1].letter_ids[0]), "--db", db_url]) == 0
    with engine.connect() as conn:
        assert conn.execute(select(debtors.c.address_bad).where(
            debtors.c.id == cases[1].debtor_id)).scalar() is True
    capsys.readouterr()
    assert main(["letters", "needs-address", "--json", "--db", db_url]) == 0
    queue = json.loads(capsys.readouterr().out)
    assert [q["ref"] for q in queue] == [cases[1].ref]
    assert main(["letters", "returned", "abc", "--db", db_url]) == 2
    assert "LETTER_ID" in capsys.readouterr().err
    assert main(["letters", "returned", "999999", "--db", db_url]) == 2
    assert capsys.readouterr().err == "krav: brev 999999 finnes ikke\n"


def test_dispatch_once_sends_by_email_and_lists_the_history(db_url, monkeypatch, capsys):
    engine = make_engine(db_url)
    case = make_case(engine, kinds=("collection_notice",), email="ola@example.no", consent=True,
                     sent_on=datetime.now(UTC).date())  # `krav dispatch` sends on today's date
    with SmtpSink() as sink:
        monkeypatch.setenv("KRAV_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("KRAV_SMTP_PORT", str(sink.port))
        assert main(["dispatch", "--once", "--json", "--db", db_url]) == 0
        assert json.loads(capsys.readouterr().out) == {"sent": 1}
        assert len(sink.messages) == 1
    assert main(["letters", "list", "--case", case.ref, "--json", "--db", db_url]) == 0
    timeline = json.loads(capsys.readouterr().out)
    assert timeline[0]["status"] == "sent"
    assert timeline[0]["deliveries"][0]["channel"] == "email"
    assert timeline[0]["deliveries"][0]["sent_at"]


def test_retry_refuses_a_letter_that_is_not_parked(db_url, capsys):
    engine = make_engine(db_url)
    case = make_case(engine)
    assert main(["letters", "retry", str(case.letter_ids[0]), "--db", db_url]) == 2
    assert "har status pending" in capsys.readouterr().err


def test_previews_every_kind_in_both_languages(tmp_path, capsys):
    assert main(["letters", "previews", "--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    for kind in KINDS:
        for lang in ("nb", "en"):
            assert f"{kind}-{lang}.png" in names
    assert all((tmp_path / n).read_bytes().startswith(b"\x89PNG") for n in names)


def test_bench_letters_json(capsys):
    assert main(["bench", "letters", "--count", "16", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["count"] == 16 and result["seconds"] > 0
    # seconds is rounded to milliseconds in the output; the rate is computed before rounding
    assert abs(result["letters_per_second"] - 16 / result["seconds"]) <= \
        0.05 * result["letters_per_second"]
    assert result["pages"] >= 16


def test_bench_letters_rejects_zero(capsys):
    assert main(["bench", "letters", "--count", "0"]) == 2
    assert "--count" in capsys.readouterr().err


def test_demo_folder_name_contract(tmp_path: Path, db_url):
    """``write_all_letters`` (for ``make demo``) uses the same file names as ``render``."""
    tmp_path = tmp_path / "out"
    from krav.letters.service import write_all_letters

    engine = make_engine(db_url)
    case = make_case(engine, kinds=("reminder", "dispute_ack"))
    paths = write_all_letters(engine, tmp_path)
    with engine.connect() as conn:
        rows = conn.execute(select(letters.c.id, letters.c.kind, letters.c.sent_on)
                            .where(letters.c.claim_id == case.claim_id)).all()
    assert sorted(p.name for p in paths) == sorted(
        f"{r.sent_on.isoformat()}-{r.kind}-{r.id}.pdf" for r in rows)


def _no_address_case(engine, **kwargs):  # type: ignore[no-untyped-def]
    """A case whose letter cannot be rendered: the creditor in its content has no address.

    Dated today unless told (``krav dispatch`` sends on today's date; an older letter would be
    made afresh from the database, which has the address)."""
    kwargs.setdefault("sent_on", datetime.now(UTC).date())
    return make_case(engine, content_patch={"creditor": {"name": "Uten Adresse AS",
                                                         "orgnr": "845085153"}}, **kwargs)


def test_dispatch_says_how_many_letters_were_parked_and_why(db_url, monkeypatch, capsys,
                                                            caplog):
    """No traceback per parked letter; one summary line, the reason, and exit 3."""
    engine = make_engine(db_url)
    make_case(engine, kinds=("collection_notice",), email="ola@example.no", consent=True,
              sent_on=datetime.now(UTC).date())
    bad = _no_address_case(engine, kinds=("collection_notice",), email="kari@example.no",
                           consent=True)
    with SmtpSink() as sink:
        monkeypatch.setenv("KRAV_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("KRAV_SMTP_PORT", str(sink.port))
        assert main(["dispatch", "--once", "--db", db_url]) == 3
        assert len(sink.messages) == 1
    out, err = capsys.readouterr()
    assert "1 sendt" in out and "1 parkert" in out
    assert err.startswith("krav: 1 brev ble ikke sendt: 1 parkert — kreditor: mangler feltet "
                          "'address' (1)") and err.count("\n") == 1, err
    assert "krav letters attention" in err and "Traceback" not in err
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert main(["letters", "attention", "--json", "--db", db_url]) == 0
    waiting = json.loads(capsys.readouterr().out)
    assert [(w["ref"], w["status"], w["reason"]) for w in waiting] == [
        (bad.ref, "parked", "kunne ikke sendes (parkert): kreditor: mangler feltet 'address'")]


def test_dispatch_as_a_program_prints_no_traceback(db_url, tmp_path):
    import os
    import subprocess
    import sys

    engine = make_engine(db_url)
    _no_address_case(engine, kinds=("collection_notice",), email="kari@example.no",
                     consent=True)
    with SmtpSink() as sink:
        env = {**os.environ, "KRAV_SMTP_HOST": "127.0.0.1", "KRAV_SMTP_PORT": str(sink.port),
               "KRAV_DEBUG": ""}
        done = subprocess.run([sys.executable, "-m", "krav", "dispatch", "--once", "--db",
                               db_url], capture_output=True, text=True, env=env, timeout=120,
                              check=False)
    assert done.returncode == 3
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("krav: 1 brev ble ikke sendt")


def test_print_batch_says_why_nothing_was_printed(db_url, tmp_path, capsys):
    engine = make_engine(db_url)
    bad = _no_address_case(engine, sent_on=date(2026, 4, 10))
    code = main(["letters", "print-batch", "--date", "2026-04-10", "--out", str(tmp_path),
                 "--db", db_url])
    out, err = capsys.readouterr()
    assert code == 3
    assert "Ingen brev til utskrift 2026-04-10: av dagens 1 brev er 1 parkert" in out
    assert err.startswith("krav: 1 brev datert 2026-04-10 ble ikke skrevet ut: 1 parkert — "
                          "kreditor: mangler feltet 'address' (1)"), err
    assert "krav letters attention --date 2026-04-10" in err and err.count("\n") == 1
    assert main(["letters", "list", "--case", bad.ref, "--db", db_url]) == 0
    assert "address" in capsys.readouterr().out  # the reason is in the case's letter list
    assert main(["letters", "print-batch", "--date", "2026-04-11", "--out", str(tmp_path),
                 "--db", db_url]) == 0
    assert "ingen brev er datert denne dagen" in capsys.readouterr().out


def flat(text: str) -> str:
    return " ".join(text.split())


def test_print_batch_handed_and_the_attention_queue(db_url, engine, capsys, tmp_path):
    """Printed is not sent: the case waits until the file is marked handed to the post."""
    krav = Krav(db_url, capsys)
    add_creditor(engine)
    import_claims(engine, tmp_path, [claim_row(debtor=OLA)])  # no e-mail: the letter is printed
    krav.ok("run", "--as-of", "2026-01-19")
    out = flat(krav.ok("letters", "print-batch", "--date", "2026-01-19", "--out",
                       str(tmp_path / "p")))
    assert "1 brev" in out and "krav letters handed 2026-01-19" in out
    run = krav.json("run", "--as-of", "2026-02-10")  # the deadline has run out, but …
    assert (run["claims_due"], run["waiting_for_letter"], run["letters"]) == (0, 1, {})
    [waiting] = krav.json("letters", "attention")
    assert waiting["ref"] == "K-0000001" and waiting["status"] == "printed"
    assert "1 brev venter på en person" in flat(krav.ok("letters", "attention"))
    for bad in ("brev.pdf", "2026-13-01-print.pdf", "2026-01-19-manifest.csv"):
        code, _, err = krav("letters", "handed", bad)
        assert code != 0 and err.startswith("krav: ") and err.count("\n") == 1
        assert "ikke en utskriftsfil" in err
    code, _, err = krav("letters", "handed", "2026-01-19", "--on", "2026-01-18")
    assert code != 0 and "før utskriften" in err and err.count("\n") == 1
    code, _, err = krav("letters", "handed", "2026-01-20")
    assert code != 0 and "ingen utskriftsfil" in err
    out = flat(krav.ok("letters", "handed", str(tmp_path / "p" / "2026-01-19-print.pdf"),
                       "--on", "2026-01-21"))
    assert "1 brev merket sendt 2026-01-21" in out and "regnes fra leveringsdagen" in out
    assert "allerede merket" in flat(krav.ok("letters", "handed", "2026-01-19", "--on",
                                             "2026-01-21"))
    assert krav.json("letters", "attention") == []
    view = krav.json("case", "show", "K-0000001")
    assert view["stage"] == "reminder"
    # 14 days from the handed day: deadline 02-04, the next step the day after
    assert view["letters"][0]["deadline"] == "2026-02-02"  # what the printed letter says
    assert krav.json("run", "--as-of", "2026-02-04")["letters"] == {}
    assert krav.json("run", "--as-of", "2026-02-05")["letters"] == {"collection_notice": 1}
