"""Account e-mails (password reset): queued in ``account_mail`` in the request's transaction,
sent by ``krav dispatch`` beside the letters.

Delivery is at least once: a row is claimed (``sending``, with a lease) before the SMTP
conversation and marked ``sent`` after it; a dispatcher that dies in between leaves the row to
be sent again when the lease runs out. A second copy of a reset link is harmless (only the newest
link works, and only once), unlike a second letter. The body, which holds the link, is emptied
once the mail is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from krav.accounts.principal import Actor, Principal
from krav.accounts.tables import account_mail, users
from krav.accounts.users import issue_token, password_link
from krav.audit.service import record
from krav.letters.channels import PermanentFailure, TemporaryFailure
from krav.letters.email import SmtpChannel

TEXT = {
    "nb": ("Nytt passord i krav",
           "Hei,\n\nnoen (forhåpentlig du) har bedt om å sette nytt passord for {email} i krav.\n"
           "Åpne lenken innen {minutes} minutter for å velge et nytt passord:\n\n{link}\n\n"
           "Lenken virker én gang. Har du ikke bedt om dette, kan du se bort fra e-posten; "
           "passordet ditt er ikke endret.\n\n{agency}\n"),
    "en": ("New password for krav",
           "Hello,\n\nsomeone (hopefully you) asked to set a new password for {email} in krav.\n"
           "Open the link within {minutes} minutes to choose a new password:\n\n{link}\n\n"
           "The link works once. If you did not ask for this, ignore this e-mail; your password "
           "has not been changed.\n\n{agency}\n"),
}


def request_reset(conn: Connection, email: str, *, at: datetime, public_url: str,
                  valid: timedelta, agency: str, request_id: str | None = None) -> None:
    """Queue a reset link for ``email`` if it belongs to an active person; otherwise do nothing.

    The caller answers the same either way (never reveal whether an address exists)."""
    email = email.strip().lower()[:254]
    user = conn.execute(select(users).where(users.c.email == email,
                                            users.c.disabled_at.is_(None))).mappings().first()
    if user is None:
        return
    token, _ = issue_token(conn, user["id"], "reset", at=at, valid=valid)
    subject, body = TEXT.get(user["language"], TEXT["nb"])
    conn.execute(insert(account_mail).values(
        kind="reset_password", recipient=user["email"], subject=subject,
        body=body.format(email=user["email"], link=password_link(public_url, token),
                         minutes=int(valid.total_seconds() // 60), agency=agency),
        status="pending", attempts=0, created_at=at))
    who = Principal(kind="user", user_id=user["id"], creditor_id=user["creditor_id"],
                    roles=(user["role"],), name=user["email"])
    record(conn, Actor(who, at, request_id), "password.reset_requested",
           creditor_id=user["creditor_id"], details={"user_id": user["id"]})


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(and_(account_mail.c.status == "pending",
                    or_(account_mail.c.next_attempt_at.is_(None),
                        account_mail.c.next_attempt_at <= now)),
               and_(account_mail.c.status == "sending", account_mail.c.next_attempt_at <= now))


def dispatch_account_mail(engine: Engine, smtp: SmtpChannel, *, now: datetime, sender: str,
                          lease: timedelta = timedelta(minutes=10), max_attempts: int = 5,
                          backoff: timedelta = timedelta(minutes=1),
                          limit: int = 50) -> dict[str, int]:
    """Send due account e-mails through ``smtp`` (a :class:`~krav.letters.email.SmtpChannel`)."""
    outcomes: dict[str, int] = {}
    with engine.begin() as conn:
        ids = list(conn.execute(select(account_mail.c.id).where(_due(now))
                                .order_by(account_mail.c.id).limit(limit)).scalars())
        if not ids:
            return outcomes
        claimed = conn.execute(update(account_mail).where(account_mail.c.id.in_(ids), _due(now))
                               .values(status="sending", attempts=account_mail.c.attempts + 1,
                                       next_attempt_at=now + lease)
                               .returning(account_mail.c.id)).scalars().all()
    with engine.connect() as conn:
        rows = conn.execute(select(account_mail).where(account_mail.c.id.in_(claimed))).all()
    for row in rows:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = sender, row.recipient, row.subject
        mail["Date"] = format_datetime(now)
        mail["Message-ID"] = make_msgid(f"account-mail-{row.id}")
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(row.body)
        values: dict[str, object]
        try:
            smtp.send_raw(mail)
            values = {"status": "sent", "sent_at": now, "body": "", "last_error": None,
                      "next_attempt_at": None}
        except TemporaryFailure as exc:
            values = ({"status": "parked", "last_error": str(exc)}
                      if row.attempts >= max_attempts else
                      {"status": "pending", "last_error": str(exc),
                       "next_attempt_at": now + backoff * 2 ** (row.attempts - 1)})
        except PermanentFailure as exc:
            values = {"status": "parked", "last_error": str(exc)}
        outcome = "account_mail_" + str(values["status"])
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        with engine.begin() as conn:
            conn.execute(update(account_mail).where(account_mail.c.id == row.id,
                                                    account_mail.c.attempts == row.attempts)
                         .values(**values))
    return outcomes


def oldest_pending(conn: Connection) -> datetime | None:
    return conn.execute(select(account_mail.c.created_at)
                        .where(account_mail.c.status.in_(("pending", "sending")))
                        .order_by(account_mail.c.created_at).limit(1)).scalar()
