"""The debtor portal over FastAPI's test client on SQLite and PostgreSQL: log in with the case
number and the code printed on the letter (and only that case opens), wrong codes and the
throttle, the case page's amounts equal ``krav case show --as-of today --json`` to the øre, the
letters as PDF (only the case's own), the language switch, contact data with its audit row, the
pay page without login, and ``krav case access-code``."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from tests.factories import (
    KARI,
    NORDLYS,
    OLA,
    Krav,
    add_creditor,
    claim_row,
    import_claims,
    run_days,
)

from krav.audit.tables import audit
from krav.cases import codes
from krav.db.tables import debtors, letters
from krav.kernel.money import fmt_nok
from krav.settings import Settings
from krav.web.app import create_app

SECRET = "portal-test-secret"
KEY = codes.portal_key(SECRET)
assert KEY is not None
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@pytest.fixture
def cases(engine, tmp_path):  # type: ignore[no-untyped-def]
    """Two debtors' cases with letters and fees: K-0000001 (Kari), K-0000002 (Ola)."""
    add_creditor(engine, NORDLYS)
    import_claims(engine, tmp_path, [claim_row(invoice="1001", debtor=KARI),
                                     claim_row(invoice="1002", debtor=OLA, amount="2500.00")])
    run_days(engine, date(2026, 1, 6), date(2026, 2, 20))
    return engine


@pytest.fixture
def client(cases) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(Settings(public_url="http://testserver", secret_key=SECRET),
                                 cases))


def code_of(ref: str, serial: int = 0) -> str:
    return codes.access_code(KEY, ref, serial)  # type: ignore[arg-type]


def csrf(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


def log_in(client: TestClient, ref: str, code: str) -> httpx.Response:
    page = client.get("/logg-inn")
    return client.post("/logg-inn", data={"csrf": csrf(page), "saksnummer": ref, "kode": code},
                       follow_redirects=False)


def actions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(select(audit.c.action).order_by(audit.c.id)).scalars())


def letter_ids(engine, ref: str) -> list[int]:  # type: ignore[no-untyped-def]
    from krav.db.tables import claims

    with engine.connect() as conn:
        return list(conn.execute(select(letters.c.id)
                                 .join(claims, claims.c.id == letters.c.claim_id)
                                 .where(claims.c.ref == ref).order_by(letters.c.id)).scalars())


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_code_on_the_letter_opens_that_case_and_no_other(client, cases) -> None:  # type: ignore[no-untyped-def]
    answer = log_in(client, "k-0000001", code_of("K-0000001").lower().replace("-", " "))
    assert answer.status_code == 303 and answer.headers["location"] == "/sak/K-0000001"
    cookie = answer.headers["set-cookie"]
    assert "krav_portal=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in \
        cookie.lower()
    page = client.get("/sak/K-0000001")
    assert page.status_code == 200, page.text
    assert "Nordlys Energi AS" in page.text and "1001" in page.text
    # another debtor's case answers exactly like a case that does not exist
    other = client.get("/sak/K-0000002", headers={"accept": "text/html"})
    missing = client.get("/sak/K-9999999", headers={"accept": "text/html"})
    assert other.status_code == missing.status_code == 404
    # the letters: the case's own as PDF, with the portal address and the very code used
    own, foreign = letter_ids(cases, "K-0000001"), letter_ids(cases, "K-0000002")
    assert own and foreign
    pdf = client.get(f"/sak/K-0000001/brev/{own[0]}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "http://testserver/logg-inn" in text and code_of("K-0000001") in text
    assert client.get(f"/sak/K-0000001/brev/{foreign[0]}.pdf").status_code == 404
    assert client.get(f"/sak/K-0000002/brev/{foreign[0]}.pdf").status_code == 404
    assert f'href="/sak/K-0000001/brev/{own[0]}.pdf"' in page.text
    # a second code in the same browser adds that case to the session, under a new cookie value
    first = client.cookies.get("krav_portal")
    assert log_in(client, "K-0000002", code_of("K-0000002")).status_code == 303
    assert client.cookies.get("krav_portal") != first
    assert client.get("/sak/K-0000002").status_code == 200
    assert "K-0000001" in client.get("/sak").text
    assert actions(cases).count("portal.login") == 2


def test_a_case_number_is_never_a_search(client, cases, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Another claim whose invoice number reads like the case number changes nothing (``krav
    case show`` would ask which one was meant; the portal names one case by its id)."""
    import_claims(cases, tmp_path, [claim_row(invoice="K-0000001", debtor=OLA, amount="10.00")])
    log_in(client, "K-0000001", code_of("K-0000001"))
    page = client.get("/sak/K-0000001")
    assert page.status_code == 200 and "1001" in page.text


def test_without_login_the_case_page_sends_to_the_login_form(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/sak/K-0000001", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/logg-inn?sak=K-0000001"
    assert 'value="K-0000001"' in client.get("/logg-inn?sak=K-0000001").text
    assert client.get("/sak/K-0000001/brev/1.pdf").status_code == 404


def test_wrong_codes_are_throttled_per_case_and_audited(client, cases) -> None:  # type: ignore[no-untyped-def]
    wrong = "ABCDE-FGHJK"
    assert wrong != code_of("K-0000001")
    for _ in range(4):
        answer = log_in(client, "K-0000001", wrong)
        assert answer.status_code == 401
        assert "Saksnummeret eller koden er feil" in answer.text
        assert 'aria-describedby="kode-feil"' in answer.text
    locked = log_in(client, "K-0000001", wrong)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    # the right code does not help while the case is locked
    assert log_in(client, "K-0000001", code_of("K-0000001")).status_code == 429
    # an unknown case answers like a wrong code (nothing revealed)
    assert log_in(client, "K-0000077", wrong).status_code == 401
    assert actions(cases).count("portal.login_failed") == 6
    assert "portal.login" not in actions(cases)


def test_the_form_is_checked_field_by_field_and_needs_its_csrf_token(client) -> None:  # type: ignore[no-untyped-def]
    answer = log_in(client, "", "12")
    assert answer.status_code == 422
    assert 'aria-describedby="saksnummer-feil"' in answer.text
    assert 'id="kode-feil"' in answer.text and "10 tegn" in answer.text
    client.get("/logg-inn")
    forged = client.post("/logg-inn", data={"csrf": "0" * 64, "saksnummer": "K-0000001",
                                            "kode": code_of("K-0000001")},
                         follow_redirects=False)
    assert forged.status_code == 403


def test_the_amounts_equal_case_show_to_the_ore(client, cases, db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    krav = Krav(db_url, capsys)
    shown = krav.json("case", "show", "K-0000001", "--as-of", date.today().isoformat())
    log_in(client, "K-0000001", code_of("K-0000001"))
    page = client.get("/sak/K-0000001").text

    def amount(name: str) -> str:
        match = re.search(rf'data-amount="{name}">([^<]+)<', page)
        assert match, name
        return match.group(1).replace("\u00a0", " ")

    def nok(value: str | Decimal) -> str:
        return f"{fmt_nok(Decimal(value))} kr".replace("\u00a0", " ")

    assert amount("to_pay_today") == nok(shown["to_pay_today"])
    assert Decimal(shown["to_pay_today"]) > Decimal("1000")
    assert amount("principal") == nok(shown["balance"]["principal"])
    assert amount("interest") == nok(Decimal(shown["balance"]["interest"])
                                     + Decimal(shown["interest_accrued"]))
    salaer = sum((Decimal(p["amount"]) for p in shown["postings"]
                  if p["component"] == "salaer"), Decimal("0.00"))
    assert amount("salaer") == nok(salaer)
    assert amount("fees") == nok(Decimal(shown["balance"]["fees"]) - salaer)
    assert f"<dd data-kid>{shown['kid']}</dd>" in page
    # every posting in plain words with its legal basis
    assert "Purregebyr" in page and "inkassoforskriften § 1-2" in page
    assert "dager etter forfall" in page
    assert "<svg" in page  # the QR code of the pay page, inline


def test_the_language_switch(client) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "K-0000001", code_of("K-0000001"))
    assert "Å betale i dag" in client.get("/sak/K-0000001").text
    nynorsk = client.get("/sak/K-0000001?lang=nn")
    assert '<html lang="nn">' in nynorsk.text and "Å betale i dag" not in nynorsk.text
    assert "Å betala i dag" in nynorsk.text
    assert "Å betala i dag" in client.get("/sak/K-0000001").text  # remembered in a cookie
    english = client.get("/sak/K-0000001?lang=en").text
    assert "Amount to pay today" in english and "Reminder fee" in english


def test_contact_data_is_validated_stored_and_audited(client, cases) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "K-0000001", code_of("K-0000001"))
    page = client.get("/sak/K-0000001/kontakt")
    assert page.status_code == 200 and "Storgata 7" in page.text
    form = {"csrf": csrf(page), "address": "Nyveien 2", "postcode": "12", "city": "Oslo",
            "email": "", "phone": "912 34 567", "email_consent": "ja", "phone_opt_out": "ja"}
    bad = client.post("/sak/K-0000001/kontakt", data=form, follow_redirects=False)
    assert bad.status_code == 422
    assert 'aria-describedby="postcode-feil"' in bad.text and "fire sifre" in bad.text
    assert 'aria-describedby="email-feil"' in bad.text
    good = client.post("/sak/K-0000001/kontakt", follow_redirects=False,
                       data={**form, "postcode": "0152", "email": "kari@eksempel.no"})
    assert good.status_code == 303
    with cases.connect() as conn:
        row = conn.execute(select(debtors).where(debtors.c.name == KARI.name)).mappings().one()
        entry = conn.execute(select(audit).where(audit.c.action == "debtor.contact")
                             ).mappings().one()
    assert (row["address"], row["postcode"], row["email"], row["phone"]) == \
        ("Nyveien 2", "0152", "kari@eksempel.no", "91234567")
    assert row["email_consent"] and row["phone_opt_out"]
    assert entry["actor"].startswith("debtor:") and entry["claim_id"] is not None
    assert entry["details"]["changes"]["address"] == {"from": "Storgata 7", "to": "Nyveien 2"}
    # without the form's token nothing is changed
    forged = client.post("/sak/K-0000001/kontakt", data={**form, "csrf": "x"},
                         follow_redirects=False)
    assert forged.status_code == 403
    # another case's contact page is not found
    assert client.get("/sak/K-0000002/kontakt").status_code == 404


def test_the_pay_page_needs_no_login_and_shows_no_person(client, cases) -> None:  # type: ignore[no-untyped-def]
    path = codes.pay_path(KEY, "K-0000001")  # type: ignore[arg-type]
    page = client.get(path)
    assert page.status_code == 200
    assert "Kari" not in page.text and "Nordlys" not in page.text and "Storgata" not in page.text
    assert re.search(r'data-amount="to_pay_today">[0-9\u00a0]+,[0-9]{2}', page.text)
    assert client.get("/betal/K-0000001/" + "A" * 22).status_code == 404
    assert client.get(codes.pay_path(KEY, "K-0000002").replace("K-0000002", "K-0000001")
                      ).status_code == 404  # type: ignore[arg-type]


def test_e_mails_and_sms_link_to_the_pay_page_when_the_key_is_set(monkeypatch) -> None:
    from krav.letters.messages import email_text, pay_link
    from krav.letters.samples import sample_content

    content = sample_content("reminder", "nb")
    monkeypatch.delenv("KRAV_SECRET_KEY", raising=False)
    assert pay_link(content, "https://inkasso.example.no") == ""
    monkeypatch.setenv("KRAV_SECRET_KEY", SECRET)
    link = pay_link(content, "https://inkasso.example.no")
    assert link == "https://inkasso.example.no" + codes.pay_path(KEY, content["ref"])  # type: ignore[arg-type]
    assert f"Se saken og betal: {link}" in email_text(content, link=link)
    assert pay_link(content, "") == ""  # no public address: no link


def test_logout_ends_the_session(client, cases) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "K-0000001", code_of("K-0000001"))
    page = client.get("/sak/K-0000001")
    answer = client.post("/logg-ut", data={"csrf": csrf(page)}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/sak/K-0000001", follow_redirects=False).status_code == 303
    assert "portal.logout" in actions(cases)


def test_a_fresh_code_from_the_command_line_invalidates_the_old(client, cases, db_url, capsys,
                                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KRAV_SECRET_KEY", SECRET)
    fresh = Krav(db_url, capsys).json("case", "access-code", "K-0000001")["code"]
    assert fresh == code_of("K-0000001", 1) != code_of("K-0000001")
    assert log_in(client, "K-0000001", code_of("K-0000001")).status_code == 401
    assert log_in(client, "K-0000001", fresh).status_code == 303
    assert "case.access_code" in actions(cases)
    with cases.connect() as conn:
        details = conn.execute(select(audit.c.details).where(
            audit.c.action == "case.access_code")).scalar_one()
    assert fresh not in str(details)
    monkeypatch.delenv("KRAV_SECRET_KEY")
    code, _, err = Krav(db_url, capsys)("case", "access-code", "K-0000001")
    assert code == 2 and "KRAV_SECRET_KEY" in err


# --- BankID through an OpenID Connect broker (a local provider, tests/oidc_support.py) ------

@pytest.fixture
def broker():  # type: ignore[no-untyped-def]
    from tests.oidc_support import running_provider

    with running_provider() as provider:
        provider.person = KARI.national_id
        yield provider


def bankid_client(engine, broker) -> TestClient:  # type: ignore[no-untyped-def]
    from tests.oidc_support import CLIENT_ID, CLIENT_SECRET

    return TestClient(create_app(Settings(
        public_url="http://testserver", secret_key=SECRET, bankid_issuer=broker.issuer,
        bankid_client_id=CLIENT_ID, bankid_client_secret=CLIENT_SECRET), engine))


def bankid_login(client: TestClient) -> httpx.Response:
    """The browser's round trip: to the broker, (BankID), and back with the code."""
    start = client.get("/logg-inn/bankid", follow_redirects=False)
    assert start.status_code == 303, start.text
    back = httpx.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    location = back.headers["location"]
    assert location.startswith("http://testserver/logg-inn/bankid/svar?")
    return client.get(location.removeprefix("http://testserver"), follow_redirects=False)


def test_bankid_opens_every_case_of_the_person_and_no_other(cases, broker, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(cases, tmp_path, [claim_row(invoice="1003", debtor=KARI, amount="300.00")])
    client = bankid_client(cases, broker)
    assert "/logg-inn/bankid" in client.get("/logg-inn").text
    answer = bankid_login(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/sak"
    assert len(broker.token_requests[0]["code_verifier"]) >= 43  # PKCE
    overview = client.get("/sak")
    assert overview.status_code == 200
    assert "/sak/K-0000001" in overview.text and "/sak/K-0000003" in overview.text
    assert "/sak/K-0000002" not in overview.text
    assert client.get("/sak/K-0000003").status_code == 200
    assert client.get("/sak/K-0000002").status_code == 404  # Ola's case
    assert "portal.login" in actions(cases)


def test_bankid_refuses_a_forged_state_a_wrong_nonce_and_a_foreign_signature(cases, broker) -> None:  # type: ignore[no-untyped-def]
    client = bankid_client(cases, broker)
    start = client.get("/logg-inn/bankid", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    forged = back.replace("state=", "state=x")
    assert client.get(forged.removeprefix("http://testserver")).status_code == 400
    broker.wrong_nonce = True
    assert bankid_login(client).status_code == 401
    broker.wrong_nonce, broker.foreign_key = False, True
    assert bankid_login(client).status_code == 401
    assert client.get("/sak", follow_redirects=False).headers["location"] == "/logg-inn"
    assert "portal.login" not in actions(cases)


# --- Vipps MobilePay on the pay page (a local fake of the ePayment API, tests/vipps_support.py) -

HOOK_SECRET = "vipps-webhook-secret"


@pytest.fixture
def vipps():  # type: ignore[no-untyped-def]
    from tests.vipps_support import running_vipps

    with running_vipps() as fake:
        yield fake


def vipps_client(engine, fake) -> TestClient:  # type: ignore[no-untyped-def]
    from tests.vipps_support import MSN, SUBSCRIPTION

    return TestClient(create_app(Settings(
        public_url="http://testserver", secret_key=SECRET, vipps_url=fake.url,
        vipps_client_id="cid", vipps_client_secret="cs", vipps_subscription_key=SUBSCRIPTION,
        vipps_msn=MSN, vipps_webhook_secret=HOOK_SECRET), engine))


def webhook(client: TestClient, reference: str, *, secret: str = HOOK_SECRET) -> httpx.Response:
    import json

    from krav.payments.vipps import content_hash, signature

    body = json.dumps({"msn": "123456", "reference": reference,
                       "name": "AUTHORIZED"}).encode()
    when = "Thu, 03 Dec 2026 12:00:00 GMT"
    return client.post("/vipps/webhook", content=body, headers={
        "content-type": "application/json", "x-ms-date": when,
        "x-ms-content-sha256": content_hash(body),
        "authorization": signature(secret, path_and_query="/vipps/webhook", date_header=when,
                                   host="testserver", body=body)})


def vipps_payments_of(engine):  # type: ignore[no-untyped-def]
    from krav.db.tables import payments

    with engine.connect() as conn:
        return conn.execute(select(payments).where(payments.c.source == "vipps")
                            ).mappings().all()


def test_vipps_captures_and_books_once_like_a_bank_payment(cases, vipps, db_url,
                                                           capsys) -> None:  # type: ignore[no-untyped-def]
    client = vipps_client(cases, vipps)
    path = codes.pay_path(KEY, "K-0000001")  # type: ignore[arg-type]
    page = client.get(path)
    assert "Betal" in page.text and "med Vipps" in page.text
    due = Decimal(Krav(db_url, capsys).json("case", "show", "K-0000001", "--as-of",
                                            date.today().isoformat())["to_pay_today"])
    off = client.post(path + "/vipps", data={"csrf": csrf(page)}, follow_redirects=False)
    assert off.status_code == 303 and off.headers["location"].startswith(vipps.url + "/app/")
    reference = off.headers["location"].rsplit("/", 1)[1]
    assert vipps.payments[reference]["amount"] == int(due * 100)
    # a forged webhook changes nothing
    assert webhook(client, reference, secret="wrong").status_code == 401
    assert vipps_payments_of(cases) == []
    vipps.approve(reference)
    assert webhook(client, reference).status_code == 200
    assert webhook(client, reference).status_code == 200  # Vipps retries: booked once
    back = client.get(vipps.payments[reference]["returnUrl"].removeprefix("http://testserver"),
                      follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"].endswith("?vipps=betalt")
    booked = vipps_payments_of(cases)
    assert len(booked) == 1 and booked[0]["status"] == "matched"
    assert booked[0]["amount_ore"] == int(due * 100) and len(vipps.captures) == 1
    after = Krav(db_url, capsys).json("case", "show", "K-0000001", "--as-of",
                                      date.today().isoformat())
    assert Decimal(after["to_pay_today"]) == 0
    # Vipps's payout later arrives in the bank file as a lump sum without KID: never booked on
    # the case again
    from krav.db.tables import payments
    from krav.payments.model import BankTransaction
    from krav.payments.service import book_transactions

    with cases.begin() as conn:  # what a bank file's payout line becomes (no KID, no invoice)
        book_transactions(conn, [BankTransaction(
            external_id="camt:vipps-payout-1", paid_on=date.today(), booked_on=date.today(),
            amount_ore=int(due * 100), payer_name="Vipps MobilePay AS",
            text="Utbetaling Vipps MobilePay")], source="camt054", file_id=None,
            as_of=date.today())
    with cases.connect() as conn:
        on_case = conn.execute(select(payments.c.id).where(
            payments.c.claim_id == booked[0]["claim_id"])).scalars().all()
        payout = conn.execute(select(payments.c.claim_id, payments.c.status).where(
            payments.c.payer_name == "Vipps MobilePay AS")).one()
    assert on_case == [booked[0]["id"]] and payout == (None, "unmatched")
    # a foreign reference on the return page is not found
    assert client.get(path + "/vipps/krav-x-000").status_code == 404
