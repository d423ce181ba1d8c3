"""The outbox dispatcher against a real SMTP server and a local SMS provider, on both backends."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from email.message import EmailMessage

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update
from tests.letters_support import SmsProvider, SmtpSink, free_port, make_case, pdf_text

from krav.db.tables import debtors, events, letters
from krav.letters import outbox
from krav.letters.channels import Channels
from krav.letters.dispatch import DispatchConfig, dispatch_batch
from krav.letters.email import SmtpChannel, bounced_key
from krav.letters.printing import print_batch
from krav.letters.sms import LinkSmsChannel
from krav.letters.tables import letter_deliveries as ld
from krav.letters.tracking import (
    history,
    mark_returned,
    needs_address,
    record_bounce,
    record_sms_report,
)
from krav.letters.view import account, day

NOW = datetime(2026, 4, 10, 9, 0, 0)
CONFIG = DispatchConfig(batch=20, max_attempts=3, backoff=timedelta(minutes=1))


def email_channel(port: int) -> Channels:
    return Channels(email=SmtpChannel(host="127.0.0.1", port=port, sender="post@krav.example",
                                      timeout=5))


def letter(engine, letter_id: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(letters).where(letters.c.id == letter_id)).mappings().one())


def deliveries(engine, letter_id: int) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(ld).where(ld.c.letter_id == letter_id)).mappings().all()
    return {row["channel"]: dict(row) for row in rows}


def test_consented_email_gets_the_pdf_the_others_go_to_print(engine):
    emailed = make_case(engine, kinds=("payment_demand",), email="ola@example.no", consent=True)
    posted = make_case(engine, kinds=("payment_demand",), email="kari@example.no", consent=False)
    with SmtpSink() as sink:
        report = dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG)
        assert report.outcomes == {"sent": 1, "print": 1}
        assert len(sink.messages) == 1
        mail = sink.messages[0]
        assert mail["To"] == "ola@example.no"
        assert mail["Message-ID"] == f"<letter-{emailed.letter_ids[0]}-email@krav.example>"
        content = letter(engine, emailed.letter_ids[0])["content"]
        files = sink.attachments(mail)
        name = f"{content['sent_on']}-payment_demand-{emailed.letter_ids[0]}.pdf"
        assert list(files) == [name]
        text = pdf_text(files[name])
        for value in (content["kid"], account(content["account_number"]),
                      day(content["deadline"]), content["invoice_number"], "Finansklagenemnda"):
            assert value in text
        assert content["kid"] in mail.get_body(("plain",)).get_content()
        # a second pass finds nothing due and sends nothing again
        assert dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG).claimed == 0
        assert len(sink.messages) == 1
    assert letter(engine, emailed.letter_ids[0])["status"] == "sent"
    assert deliveries(engine, emailed.letter_ids[0])["email"]["status"] == "sent"
    assert letter(engine, posted.letter_ids[0])["status"] == "print"
    assert deliveries(engine, posted.letter_ids[0])["print"]["status"] == "queued"


def test_print_batch_writes_one_file_and_a_manifest_and_is_repeatable(engine, tmp_path):
    cases = [make_case(engine, kinds=("reminder", "collection_notice")) for _ in range(3)]
    with engine.begin() as conn:  # one letter has many lines: two pages
        content = letter(engine, cases[1].letter_ids[1])["content"]
        content["lines"] = content["lines"] * 12
        conn.execute(update(letters).where(letters.c.id == cases[1].letter_ids[1])
                     .values(content=content))
    result = print_batch(engine, day=date(2026, 4, 10), out_dir=tmp_path, now=NOW)
    assert result.letters == 6 and result.pdf and result.manifest
    pages = len(PdfReader(result.pdf).pages)
    assert result.pages == pages
    rows = list(csv.DictReader(io.StringIO(result.manifest.read_text("utf-8"))))
    assert [r["letter_id"] for r in rows] and len(rows) == 6
    assert sum(int(r["pages"]) for r in rows) == pages
    by_id = {int(r["letter_id"]): r for r in rows}
    assert int(by_id[cases[1].letter_ids[1]]["pages"]) >= 2
    assert by_id[cases[0].letter_ids[0]]["case"] == cases[0].ref
    assert by_id[cases[0].letter_ids[0]]["recipient"] == \
        letter(engine, cases[0].letter_ids[0])["content"]["debtor"]["name"]
    for case in cases:
        for letter_id in case.letter_ids:  # printed, not yet sent: the file is not handed over
            assert letter(engine, letter_id)["status"] == "printed"
            assert deliveries(engine, letter_id)["print"]["provider_id"] == "2026-04-10-print.pdf"
    again = print_batch(engine, day=date(2026, 4, 10), out_dir=tmp_path, now=NOW)
    assert again.letters == 6 and again.pages == pages
    assert print_batch(engine, day=date(2026, 4, 11), out_dir=tmp_path, now=NOW).letters == 0


def test_smtp_down_backs_off_then_parks(engine):
    case = make_case(engine, email="ola@example.no", consent=True)
    channels = email_channel(free_port())  # nothing listens there
    assert dispatch_batch(engine, channels, now=NOW, config=CONFIG).outcomes == {"retry": 1}
    row = letter(engine, case.letter_ids[0])
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["next_attempt_at"] == NOW + timedelta(minutes=1)
    assert "SMTP" in row["last_error"]
    soon = NOW + timedelta(seconds=30)
    assert dispatch_batch(engine, channels, now=soon, config=CONFIG).claimed == 0
    later = NOW + timedelta(minutes=1)
    assert dispatch_batch(engine, channels, now=later, config=CONFIG).outcomes == {"retry": 1}
    assert letter(engine, case.letter_ids[0])["next_attempt_at"] == later + timedelta(minutes=2)
    final = dispatch_batch(engine, channels, now=later + timedelta(minutes=2), config=CONFIG)
    assert final.outcomes == {"parked": 1}
    row = letter(engine, case.letter_ids[0])
    assert row["status"] == "parked" and row["last_error"].startswith("gitt opp etter 3 forsøk")
    assert deliveries(engine, case.letter_ids[0])["email"]["status"] == "failed"


def test_a_poison_row_is_parked_and_does_not_block_the_others(engine):
    bad = make_case(engine, email="a@example.no", consent=True, content_patch={"kid": ""})
    good = make_case(engine, email="b@example.no", consent=True)
    with SmtpSink() as sink:
        report = dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG)
        assert report.outcomes == {"parked": 1, "sent": 1}
        assert [m["To"] for m in sink.messages] == ["b@example.no"]
    row = letter(engine, bad.letter_ids[0])
    assert row["status"] == "parked"
    assert row["last_error"] == f"brev {bad.letter_ids[0]}: mangler feltet 'kid'"
    assert deliveries(engine, bad.letter_ids[0]) == {}  # nothing recorded as sent
    assert letter(engine, good.letter_ids[0])["status"] == "sent"


def test_refused_address_falls_back_to_print_and_is_not_used_again(engine):
    case = make_case(engine, kinds=("reminder", "collection_notice"), email="gone@example.no",
                     consent=True)
    with SmtpSink() as sink:
        sink.refuse.add("gone@example.no")
        config = DispatchConfig(batch=1)
        first = dispatch_batch(engine, email_channel(sink.port), now=NOW, config=config)
        assert first.outcomes == {"print": 1}
        assert deliveries(engine, case.letter_ids[0])["email"]["status"] == "bounced"
        second = dispatch_batch(engine, email_channel(sink.port), now=NOW, config=config)
        assert second.outcomes == {"print": 1}
        assert "email" not in deliveries(engine, case.letter_ids[1])  # never tried again
        assert sink.messages == []


def test_a_bounce_notice_sends_the_letter_by_post(engine):
    case = make_case(engine, kinds=("collection_notice",), email="ola@example.no", consent=True)
    with SmtpSink() as sink:
        dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG)
        original = sink.messages[0]
    dsn = EmailMessage()
    dsn["Subject"] = "Undelivered Mail Returned to Sender"
    dsn.set_content("Delivery to ola@example.no failed permanently.")
    dsn.add_attachment("\r\n".join(f"{k}: {v}" for k, v in original.items()).encode(),
                       maintype="text", subtype="rfc822-headers")
    key = bounced_key(dsn.as_bytes())
    assert key == f"letter-{case.letter_ids[0]}-email"
    later = NOW + timedelta(hours=2)
    assert record_bounce(engine, key, at=later) is True
    assert record_bounce(engine, key, at=later) is False  # the same DSN twice changes nothing
    assert letter(engine, case.letter_ids[0])["status"] == "pending"
    report = dispatch_batch(engine, Channels(email=SmtpChannel("127.0.0.1", free_port(), "x@y")),
                            now=later, config=CONFIG)
    assert report.outcomes == {"print": 1}
    tracked = deliveries(engine, case.letter_ids[0])
    assert tracked["email"]["status"] == "bounced" and tracked["email"]["bounced_at"] == later
    assert tracked["print"]["status"] == "queued"
    with engine.connect() as conn:
        kinds = list(conn.execute(select(events.c.kind).where(
            events.c.claim_id == case.claim_id)).scalars())
    assert kinds == ["letter_bounced"]


def test_returned_post_marks_the_address_bad_and_queues_the_case(engine, tmp_path):
    case = make_case(engine, kinds=("reminder", "collection_notice"))
    other = make_case(engine)
    with engine.begin() as conn:  # only the reminder is due now
        conn.execute(update(letters).where(letters.c.id == case.letter_ids[1])
                     .values(status="draft"))
    print_batch(engine, day=date(2026, 4, 10), out_dir=tmp_path, now=NOW)
    returned_at = NOW + timedelta(days=5)
    assert mark_returned(engine, case.letter_ids[0], at=returned_at) is True
    assert mark_returned(engine, case.letter_ids[0], at=returned_at) is False
    with engine.begin() as conn:
        assert conn.execute(select(debtors.c.address_bad).where(
            debtors.c.id == case.debtor_id)).scalar() is True
        conn.execute(update(letters).where(letters.c.id == case.letter_ids[1])
                     .values(status="pending"))
    assert deliveries(engine, case.letter_ids[0])["print"]["returned_at"] == returned_at
    report = dispatch_batch(engine, Channels(), now=returned_at, config=CONFIG)
    assert report.outcomes == {"held": 1}
    with engine.connect() as conn:
        queue = needs_address(conn)
        timeline = history(conn, case.ref)
    assert [(q["ref"], q["held_letters"]) for q in queue] == [(case.ref, 1)]
    assert queue[0]["returned_at"] == returned_at
    assert other.ref not in [q["ref"] for q in queue]
    # the collection notice dated 04-10 would go out 04-15: made afresh, then held
    assert [t["status"] for t in timeline] == ["returned", "cancelled", "held"]
    assert timeline[0]["deliveries"][0]["channel"] == "print"


def test_sms_notice_and_idempotent_delivery_reports(engine):
    case = make_case(engine, kinds=("collection_notice",), phone="+4791234567")
    with SmsProvider() as provider:
        channels = Channels(sms=LinkSmsChannel(provider.url, token="secret", source="KravInkasso"))
        report = dispatch_batch(engine, channels, now=NOW, config=CONFIG)
        assert report.outcomes == {"print": 1}
        assert len(provider.requests) == 1
    request = provider.requests[0]
    key = f"letter-{case.letter_ids[0]}-sms"
    assert request["path"] == "/sms/send" and request["auth"] == "Bearer secret"
    body = request["body"]
    assert body["refId"] == key and body["destination"] == "+4791234567"
    content = letter(engine, case.letter_ids[0])["content"]
    assert content["ref"] in body["userData"] and day(content["deadline"]) in body["userData"]
    assert "\u00a0" not in body["userData"] and len(body["userData"]) <= 160
    sms = deliveries(engine, case.letter_ids[0])["sms"]
    assert sms["status"] == "sent" and sms["provider_id"] == "lm-1"
    delivered_at = NOW + timedelta(minutes=3)
    dlr = {"refId": key, "id": "lm-1", "resultCode": 1001, "resultDescription": "Delivered"}
    assert record_sms_report(engine, dlr, at=delivered_at) is True
    assert record_sms_report(engine, dlr, at=delivered_at + timedelta(minutes=1)) is False
    sms = deliveries(engine, case.letter_ids[0])["sms"]
    assert sms["status"] == "delivered" and sms["delivered_at"] == delivered_at


def test_a_crash_between_send_and_record_never_sends_twice(engine):
    case = make_case(engine, email="ola@example.no", consent=True)
    letter_id = case.letter_ids[0]
    # The state a crash leaves: the letter claimed, the key recorded, the outcome not.
    with engine.begin() as conn:
        conn.execute(update(letters).where(letters.c.id == letter_id).values(
            status="sending", attempts=1, next_attempt_at=NOW - timedelta(minutes=1)))
        conn.execute(ld.insert().values(
            letter_id=letter_id, channel="email", idempotency_key=f"letter-{letter_id}-email",
            recipient="ola@example.no", status="sending", attempts=1, made_at=NOW,
            updated_at=NOW))
    with SmtpSink() as sink:
        report = dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG)
        assert report.outcomes == {"uncertain": 1}
        assert sink.messages == []
        row = letter(engine, letter_id)
        assert row["status"] == "parked" and f"krav letters retry {letter_id}" in row["last_error"]
        assert deliveries(engine, letter_id)["email"]["status"] == "uncertain"
        assert dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG).claimed == 0
        # A person checks the mailbox log and re-queues it: now it goes, once.
        assert outbox.requeue(engine, letter_id, on=NOW.date()) == "requeued"
        dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG)
        assert len(sink.messages) == 1
    assert deliveries(engine, letter_id)["email"]["status"] == "sent"


def test_a_crash_after_recording_sent_finishes_without_sending(engine):
    case = make_case(engine, email="ola@example.no", consent=True)
    letter_id = case.letter_ids[0]
    with engine.begin() as conn:
        conn.execute(update(letters).where(letters.c.id == letter_id).values(
            status="sending", attempts=1, next_attempt_at=NOW - timedelta(minutes=1)))
        conn.execute(ld.insert().values(
            letter_id=letter_id, channel="email", idempotency_key=f"letter-{letter_id}-email",
            recipient="ola@example.no", status="sent", attempts=1, made_at=NOW, sent_at=NOW,
            updated_at=NOW, provider_id="<x@y>"))
    with SmtpSink() as sink:
        assert dispatch_batch(engine, email_channel(sink.port), now=NOW,
                              config=CONFIG).outcomes == {"sent": 1}
        assert sink.messages == []


def test_claims_are_exclusive_and_fenced(engine):
    make_case(engine, kinds=("reminder", "collection_notice", "payment_demand"))
    lease = timedelta(minutes=10)
    first = outbox.claim_batch(engine, now=NOW, lease=lease, limit=2)
    second = outbox.claim_batch(engine, now=NOW, lease=lease, limit=10)
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert outbox.claim_batch(engine, now=NOW + timedelta(minutes=5), lease=lease, limit=10) == []
    stale = outbox.load(engine, first)
    # the first dispatcher died; after the lease another takes the rows over
    taken = outbox.claim_batch(engine, now=NOW + lease, lease=lease, limit=10)
    assert set(first) <= set(taken)
    assert outbox.finish(engine, stale[0], status="sent") is False  # fenced by attempts
    fresh = {i.id: i for i in outbox.load(engine, taken)}
    assert outbox.finish(engine, fresh[stale[0].id], status="sent") is True


def test_settlement_statement_is_mailed_to_the_creditor(engine):
    case = make_case(engine, kinds=("settlement_statement",), creditor_email="faktura@kred.no",
                     sent_on=date(2026, 4, 10))
    with SmtpSink() as sink:
        dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG)
        assert [m["To"] for m in sink.messages] == ["faktura@kred.no"]
        pdf = next(iter(sink.attachments(sink.messages[0]).values()))
    assert "Oppgjørsoppstilling" in pdf_text(pdf)
    assert letter(engine, case.letter_ids[0])["status"] == "sent"


@pytest.mark.parametrize("attach", [True, False])
def test_invoice_copy_is_attached_when_the_claim_has_one(engine, tmp_path, attach):
    invoice = tmp_path / "faktura.pdf"
    invoice.write_bytes(b"%PDF-1.4 invoice copy")
    make_case(engine, email="ola@example.no", consent=True,
              content_patch={"invoice_copy": str(invoice)},
              channels=None if attach else {"attach_invoice": False})
    with SmtpSink() as sink:
        dispatch_batch(engine, email_channel(sink.port), now=NOW, config=CONFIG)
        files = sink.attachments(sink.messages[0])
    invoice_files = [name for name in files if name.startswith("faktura-")]
    assert bool(invoice_files) is attach
    if attach:
        assert files[invoice_files[0]] == b"%PDF-1.4 invoice copy"


def test_a_large_day_is_cut_into_print_files_compiled_in_parallel(engine, tmp_path):
    cases = [make_case(engine) for _ in range(5)]
    result = print_batch(engine, day=date(2026, 4, 10), out_dir=tmp_path, now=NOW,
                         per_file=2, workers=2)
    names = sorted(p.name for p in tmp_path.glob("*-print*.pdf"))
    assert names == [f"2026-04-10-print-{n}.pdf" for n in (1, 2, 3)]
    rows = list(csv.DictReader(io.StringIO(result.manifest.read_text("utf-8"))))
    assert len(rows) == 5 and result.letters == 5
    for name in names:
        in_file = [r for r in rows if r["file"] == name]
        pages = len(PdfReader(tmp_path / name).pages)
        assert in_file[0]["first_page"] == "1" and int(in_file[-1]["last_page"]) == pages
        for r in in_file:
            text = pdf_text((tmp_path / name).read_bytes())
            assert r["case"] in text
            assert deliveries(engine, int(r["letter_id"]))["print"]["provider_id"] == name
    assert {int(r["letter_id"]) for r in rows} == {c.letter_ids[0] for c in cases}
    again = print_batch(engine, day=date(2026, 4, 10), out_dir=tmp_path, now=NOW, workers=1)
    assert again.letters == 5
    assert sorted(p.name for p in tmp_path.glob("*-print*.pdf")) == ["2026-04-10-print.pdf"]


def test_a_letter_is_never_sent_before_its_date(engine):
    case = make_case(engine, email="ola@example.no", consent=True, sent_on=date(2026, 4, 11))
    assert outbox.claim_batch(engine, now=NOW, lease=timedelta(minutes=1), limit=10) == []
    assert outbox.claim_batch(engine, now=NOW + timedelta(days=1), lease=timedelta(minutes=1),
                              limit=10) == case.letter_ids


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_settings_log_in_and_a_wrong_password_is_a_permanent_failure() -> None:
    from krav.letters.channels import Outgoing, PermanentFailure
    from krav.letters.service import channels_from_settings
    from krav.settings import load_settings

    env = {"KRAV_SMTP_HOST": "127.0.0.1", "KRAV_SMTP_USERNAME": "krav",
           "KRAV_SMTP_PASSWORD": "hemmelig", "KRAV_SMTP_FROM": "post@krav.example",
           "KRAV_SMTP_SECURITY": "none"}  # the test server has no TLS: allowed explicitly
    message = Outgoing(key="letter-7-email", letter_id=7, kind="reminder", language="nb",
                       recipient="ola@example.no", subject="Purring", text="Hei", created=NOW)
    with SmtpSink(login=("krav", "hemmelig")) as sink:
        channels = channels_from_settings(load_settings({**env, "KRAV_SMTP_PORT": str(sink.port)}))
        assert channels.email.send(message) == "<letter-7-email@krav.example>"
        assert sink.logins == ["krav"] and len(sink.messages) == 1
        wrong = channels_from_settings(load_settings({
            **env, "KRAV_SMTP_PORT": str(sink.port), "KRAV_SMTP_PASSWORD": "feil"}))
        with pytest.raises(PermanentFailure, match="535"):
            wrong.email.send(message)
        assert len(sink.messages) == 1


def test_smtp_security_setting_is_checked() -> None:
    from krav.kernel.errors import InvalidInput
    from krav.letters.email import SmtpChannel
    from krav.settings import load_settings

    with pytest.raises(InvalidInput, match="KRAV_SMTP_SECURITY"):
        load_settings({"KRAV_SMTP_SECURITY": "ssl3"})
    auto = [SmtpChannel.with_security(host="h", port=p, sender="s", security="auto")
            for p in (465, 587, 25)]
    assert [(c.tls, c.starttls) for c in auto] == [(True, False), (False, True), (False, False)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_without_tls_needs_security_none_explicitly(tmp_path, monkeypatch,  # type: ignore[no-untyped-def]
                                                               capsys) -> None:
    """Issue 8: a username on port 25 with KRAV_SMTP_SECURITY=auto would have sent the password
    in the clear; it is refused before any letter is touched, and nothing reaches the server."""
    from krav.cli.main import main
    from krav.kernel.errors import InvalidInput
    from krav.letters.service import channels_from_settings
    from krav.settings import load_settings

    env = {"KRAV_SMTP_HOST": "127.0.0.1", "KRAV_SMTP_USERNAME": "krav",
           "KRAV_SMTP_PASSWORD": "hemmelig"}
    with SmtpSink(login=("krav", "hemmelig")) as sink:
        for security in ("auto", None):
            settings = {**env, "KRAV_SMTP_PORT": str(sink.port)}
            if security:
                settings["KRAV_SMTP_SECURITY"] = security
            with pytest.raises(InvalidInput, match="KRAV_SMTP_SECURITY: SMTP-innlogging som "
                               "'krav' .* uten TLS ville sende passordet ukryptert"):
                channels_from_settings(load_settings(settings))
        with pytest.raises(InvalidInput, match="uten TLS"):
            SmtpChannel(host="127.0.0.1", port=sink.port, sender="s@x.no", username="krav")
        assert sink.logins == [] and sink.messages == []
    # as it reaches a user: one line from `krav dispatch`, exit 2
    monkeypatch.setenv("KRAV_SMTP_USERNAME", "krav")
    monkeypatch.setenv("KRAV_SMTP_PORT", "25")
    capsys.readouterr()
    assert main(["dispatch", "--db", f"sqlite:///{tmp_path / 'k.db'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("krav: KRAV_SMTP_SECURITY: SMTP-innlogging") and err.count("\n") == 1
    # without a username nothing is secret, so port 25 without TLS stays allowed
    assert SmtpChannel.with_security(host="h", port=25, sender="s", security="auto").username == ""
    # an explicit TLS choice is always fine
    assert SmtpChannel.with_security(host="h", port=2525, sender="s", security="starttls",
                                     username="krav").starttls
