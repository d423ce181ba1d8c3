"""A claim's letters over the REST API on SQLite and PostgreSQL: the list (as ``krav letters
list --json``, with the amount, channel, dates and a PDF link), the PDF of a letter (rendered by
the letters' own Typst renderer from the letter's content, cancelled letters too), and another
creditor's letter answering 404 exactly like a missing one."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select, update
from tests.e2e.test_api import bearer, client, krav  # noqa: F401
from tests.e2e.test_web import PROBLEM
from tests.factories import FJORDNETT, letters_of, run_days

from krav.db.tables import letters


def test_a_claims_letters_and_their_pdfs(krav, client, engine) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = bearer(krav)
    assert client.get("/api/v1/claims/K-0000001/letters", headers=nordlys).json() == {
        "items": []}
    run_days(engine, date(2026, 1, 19), date(2026, 1, 19))  # reminders, sent that day
    client.post("/api/v1/claims/K-0000001/disputes", headers=nordlys,
                json={"reason": "nei", "on": "2026-01-21"})
    listed = client.get("/api/v1/claims/k-0000001/letters", headers=nordlys)
    assert listed.status_code == 200, listed.text
    reminder, ack = listed.json()["items"]
    stored = letters_of(engine)
    assert [reminder["id"], ack["id"]] == [s["id"] for s in stored]
    assert reminder == {
        "id": stored[0]["id"], "kind": "reminder", "language": "nb", "made_on": "2026-01-19",
        "deadline": stored[0]["deadline"].isoformat(),
        "amount": stored[0]["content"]["amounts"]["total"], "fee": "38.00",
        "status": "sent", "dispatched_on": "2026-01-19", "channel": None, "deliveries": [],
        "replaced_by": None, "pdf": f"/api/v1/letters/{stored[0]['id']}.pdf"}
    assert reminder["amount"] == "1042.60"
    assert (ack["kind"], ack["status"], ack["dispatched_on"], ack["fee"]) == \
        ("dispute_ack", "pending", None, "0.00")
    cli = krav.json("letters", "list", "--case", "K-0000001")
    assert [(c["id"], c["kind"], c["status"], c["amount"]) for c in cli] == \
        [(i["id"], i["kind"], i["status"], i["amount"]) for i in (reminder, ack)]

    pdf = client.get(reminder["pdf"], headers=nordlys)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == \
        f'inline; filename="2026-01-19-reminder-{reminder["id"]}.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "K-0000001" in text and "Kari Nordmann" in text
    # the channel that took it, and every delivery
    from datetime import datetime

    from krav.letters.tables import letter_deliveries

    with engine.begin() as conn:
        for channel, status, sent in (("sms", "failed", None),
                                      ("email", "delivered", datetime(2026, 1, 19, 9, 30))):
            conn.execute(letter_deliveries.insert().values(
                letter_id=reminder["id"], channel=channel, status=status,
                idempotency_key=f"letter-{reminder['id']}-{channel}", recipient="kari@example.no",
                attempts=1, made_at=datetime(2026, 1, 19, 9), sent_at=sent,
                delivered_at=sent, updated_at=datetime(2026, 1, 19, 9, 30)))
    again = client.get("/api/v1/claims/K-0000001/letters", headers=nordlys).json()["items"][0]
    assert again["channel"] == "email"
    assert again["deliveries"][1] == {
        "channel": "email", "status": "delivered", "recipient": "kari@example.no",
        "made_at": "2026-01-19T09:00:00Z", "sent_at": "2026-01-19T09:30:00Z",
        "delivered_at": "2026-01-19T09:30:00Z", "bounced_at": None, "returned_at": None}
    # a cancelled letter is still readable
    with engine.begin() as conn:
        conn.execute(update(letters).where(letters.c.id == ack["id"])
                     .values(status="cancelled"))
    assert client.get(ack["pdf"], headers=nordlys).status_code == 200

    # another creditor's letter is exactly a missing one
    fjordnett = bearer(krav, FJORDNETT)
    with engine.connect() as conn:
        last = conn.execute(select(letters.c.id).order_by(letters.c.id.desc())).scalar()
    theirs = client.get(reminder["pdf"], headers=fjordnett)
    missing = client.get(f"/api/v1/letters/{last + 1}.pdf", headers=fjordnett)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.headers["content-type"] == missing.headers["content-type"] == PROBLEM
    assert theirs.json()["detail"].replace(str(reminder["id"]), str(last + 1)) == \
        missing.json()["detail"]
    for bad in ("abc", "1e3", "-1", "9" * 40):
        assert client.get(f"/api/v1/letters/{bad}.pdf", headers=nordlys).status_code == 404
    assert client.get("/api/v1/claims/K-0000001/letters", headers=fjordnett).status_code == 404
    assert client.get(reminder["pdf"]).status_code == 401
