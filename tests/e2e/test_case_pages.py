"""The creditor pages for cases (``/saker``, ``/saker/{ref}``) on SQLite and PostgreSQL: the
list with its filters, search, sorting, paging and CSV/XLSX export; the case page's timeline and
actions (the same service functions as the CLI and API, with their audit rows); fields' errors
next to the field; CSRF; the role rules; and tenancy — another creditor's case is a 404 like a
missing one on every page route, with nothing written."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.e2e.test_api import audit_rows
from tests.e2e.test_api_actions import everything
from tests.e2e.test_web import csrf, link_of, log_in, set_password
from tests.factories import (
    BYGG,
    FJORDNETT,
    KARI,
    NORDLYS,
    OLA,
    Krav,
    add_creditor,
    claim_row,
    import_claims,
)

from krav.db.tables import claims, events
from krav.settings import Settings
from krav.web.app import create_app

# K-0000001 Kari 1000.00, K-0000002 Ola 1000.00, K-0000003 Bygg 2500.50 (Nordlys);
# K-0000004 Kari (Fjordnett)


@pytest.fixture
def krav(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    import_claims(engine, tmp_path, [
        claim_row(invoice="1001", debtor=KARI), claim_row(invoice="1002", debtor=OLA),
        claim_row(invoice="1003", debtor=BYGG, amount="2500.50"),
        claim_row(creditor=FJORDNETT, invoice="1001", debtor=KARI)])
    return Krav(db_url, capsys)


def person(krav: Krav, engine, email: str, role: str,  # type: ignore[no-untyped-def]
           creditor=NORDLYS) -> TestClient:
    client = TestClient(create_app(Settings(public_url="http://testserver"), engine))
    extra = ("--creditor", creditor.orgnr) if creditor else ()
    set_password(client, link_of(krav, email, "--role", role, *extra))
    assert log_in(client, email).status_code == 303
    return client


def refs(page) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'<td><a href="/saker/(K-\d+)">', page.text)


def post(client: TestClient, ref: str, action: str, **form: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/saker/{ref}")
    return client.post(f"/saker/{ref}/{action}", data={"csrf": csrf(page), **form},
                       follow_redirects=False)


def test_the_list_filters_searches_sorts_and_is_the_creditors_own(krav, engine) -> None:  # type: ignore[no-untyped-def]
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    assert TestClient(create_app(Settings(public_url="http://testserver"), engine)) \
        .get("/saker", follow_redirects=False).headers["location"] == "/login"
    page = boss.get("/saker")
    assert page.status_code == 200
    assert refs(page) == ["K-0000001", "K-0000002", "K-0000003"]  # not Fjordnett's
    assert "2\u00a0500,50" in page.text and "3 saker" in page.text
    assert refs(boss.get("/saker?sok=ola")) == ["K-0000002"]
    assert refs(boss.get("/saker?sok=1003")) == ["K-0000003"]
    assert refs(boss.get("/saker?sok=K-0000004")) == []  # another creditor's ref: nothing
    assert refs(boss.get("/saker?skyldner=business")) == ["K-0000003"]
    assert refs(boss.get("/saker?fra=2000")) == ["K-0000003"]
    assert refs(boss.get("/saker?til=1+000,00")) == ["K-0000001", "K-0000002"]
    assert refs(boss.get("/saker?sorter=amount&synkende=1"))[0] == "K-0000003"
    assert refs(boss.get("/saker?status=closed")) == []
    assert refs(boss.get("/saker?alder=0-30")) == []  # due 2026-01-05: long past 30 days
    bad = boss.get("/saker?status=gone&fra=abc")
    assert bad.status_code == 422
    assert 'aria-describedby="status-error"' in bad.text and 'id="fra-error"' in bad.text
    staff = person(krav, engine, "handler@krav.example", "handler", creditor=None)
    assert len(refs(staff.get("/saker"))) == 4
    assert refs(staff.get(f"/saker?oppdragsgiver={FJORDNETT.orgnr}")) == ["K-0000004"]
    english = boss.get("/saker?lang=en")
    assert "Cases" in english.text and 'lang="en"' in english.text


def test_paging_is_capped_and_the_exports_are_the_filtered_list(krav, engine,  # type: ignore[no-untyped-def]
                                                                 monkeypatch) -> None:
    from openpyxl import load_workbook

    from krav.cases import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    first = boss.get("/saker")
    assert refs(first) == ["K-0000001", "K-0000002"] and "Side 1 av 2" in first.text
    assert refs(boss.get("/saker?side=2")) == ["K-0000003"]
    assert refs(boss.get("/saker?side=99")) == ["K-0000003"]
    exported = boss.get("/saker/eksport.csv?skyldner=consumer")
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("saksnummer;fakturanummer;")
    assert [line.split(";")[0] for line in lines[1:]] == ["K-0000001", "K-0000002"]
    assert ";1000,00;" in lines[1]
    book = load_workbook(io.BytesIO(boss.get("/saker/eksport.xlsx").content))
    rows = list(book.active.values)
    assert [r[0] for r in rows[1:]] == ["K-0000001", "K-0000002", "K-0000003"]
    assert float(rows[3][11]) == 2500.50


def test_the_case_page_shows_the_timeline_and_the_postings_basis(krav, engine) -> None:  # type: ignore[no-untyped-def]
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    page = boss.get("/saker/k-0000003")
    assert page.status_code == 200
    assert "Sak K-0000003" in page.text and "2\u00a0500,50" in page.text
    assert 'action="/saker/K-0000003/direkte-betaling"' in page.text
    assert 'action="/saker/K-0000003/godkjenn"' not in page.text  # not awaiting approval
    done = post(boss, "K-0000003", "notat", text="Ringte skyldner")
    assert done.status_code == 303 and done.headers["location"] == \
        "/saker/K-0000003?utfort=note"
    shown = boss.get(done.headers["location"])
    assert "Notatet er lagret." in shown.text and "Ringte skyldner" in shown.text
    assert "case.note" in shown.text  # the audit row in the timeline
    assert audit_rows(engine, "case.note")[-1].actor.startswith("user:")


def test_actions_call_the_service_functions_with_errors_next_to_the_field(krav,  # type: ignore[no-untyped-def]
                                                                          engine) -> None:
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    before = everything(engine)
    bad = post(boss, "K-0000001", "direkte-betaling", amount="12,345", paid_on="2999-01-01")
    assert bad.status_code == 422
    assert 'aria-describedby="direct_payment-amount-error"' in bad.text
    assert 'id="direct_payment-paid_on-error"' in bad.text
    assert everything(engine) == before
    paid = post(boss, "K-0000001", "direkte-betaling", amount="100,50")
    assert paid.status_code == 303
    booked = krav.json("case", "show", "K-0000001")["postings"]
    assert sum(Decimal(p["amount"]) for p in booked if Decimal(p["amount"]) < 0) == \
        Decimal("-100.50")
    assert audit_rows(engine, "payment.direct")
    credit = post(boss, "K-0000002", "kreditnota", amount="1 000,00", reason="KN 7")
    assert credit.status_code == 303
    assert krav.json("case", "show", "K-0000002")["status"] == "closed"
    # the approval: only for a case that waits for it
    refused = post(boss, "K-0000003", "godkjenn")
    assert refused.status_code == 409 and "venter ikke på godkjenning" in refused.text
    with engine.begin() as conn:
        conn.execute(update(claims).where(claims.c.ref == "K-0000003")
                     .values(stage="awaiting_approval", next_action_on=None))
    assert 'action="/saker/K-0000003/godkjenn"' in boss.get("/saker/K-0000003").text
    assert post(boss, "K-0000003", "godkjenn").status_code == 303
    assert audit_rows(engine, "case.approve")[-1].details["ref"] == "K-0000003"


def test_a_dispute_is_answered_uphold_resumes_drop_withdraws(krav, engine) -> None:  # type: ignore[no-untyped-def]
    user = person(krav, engine, "les@nordlys.no", "creditor_user")
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    assert post(user, "K-0000001", "innsigelse", reason="").status_code == 422
    assert post(user, "K-0000001", "innsigelse", reason="Betalt kontant").status_code == 303
    assert krav.json("case", "show", "K-0000001")["status"] == "disputed"
    assert 'svar-innsigelse' not in user.get("/saker/K-0000001").text  # a user cannot answer
    assert post(user, "K-0000001", "svar-innsigelse", outcome="uphold").status_code == 403
    assert post(boss, "K-0000001", "svar-innsigelse").status_code == 422  # no outcome
    assert post(boss, "K-0000001", "svar-innsigelse", outcome="uphold").status_code == 303
    assert krav.json("case", "show", "K-0000001")["status"] == "open"
    assert audit_rows(engine, "case.resume")
    assert post(user, "K-0000002", "innsigelse", reason="Feil beløp").status_code == 303
    assert post(boss, "K-0000002", "svar-innsigelse", outcome="reduce", amount="200",
                reason="Rabatt").status_code == 303
    shown = krav.json("case", "show", "K-0000002")
    assert (shown["status"], shown["balance"]["principal"]) == ("open", "800.00")
    assert post(user, "K-0000003", "innsigelse", reason="Aldri bestilt").status_code == 303
    assert post(boss, "K-0000003", "svar-innsigelse", outcome="drop").status_code == 303
    assert krav.json("case", "show", "K-0000003")["status"] == "closed"


def test_csrf_and_the_roles(krav, engine) -> None:  # type: ignore[no-untyped-def]
    user = person(krav, engine, "les@nordlys.no", "creditor_user")
    before = everything(engine)
    for form in ({}, {"csrf": "f" * 64}):
        refused = user.post("/saker/K-0000001/notat", data={**form, "text": "x"},
                            follow_redirects=False)
        assert refused.status_code == 403
    for action, form in (("trekk", {}), ("kreditnota", {"amount": "1", "reason": "x"}),
                         ("godkjenn", {})):
        assert post(user, "K-0000001", action, **form).status_code == 403, action
    assert everything(engine) == before
    page = user.get("/saker/K-0000001")
    assert "/trekk" not in page.text and "/kreditnota" not in page.text
    assert "/direkte-betaling" in page.text


#: every page route with a case in it, and a form that would change it
CASE_ROUTES = [("GET", "/saker/{ref}", {})] + [
    ("POST", f"/saker/{{ref}}/{url}", form) for url, form in (
        ("godkjenn", {}), ("trekk", {"reason": "x"}),
        ("direkte-betaling", {"amount": "10"}), ("kreditnota", {"amount": "10", "reason": "x"}),
        ("innsigelse", {"reason": "x"}), ("svar-innsigelse", {"outcome": "drop"}),
        ("notat", {"text": "x"}))]


def test_another_creditors_case_is_not_found_on_every_route(krav, engine) -> None:  # type: ignore[no-untyped-def]
    """The tenancy walk of the pages: Fjordnett's administrator, with a valid CSRF token, gets
    404 for Nordlys's K-0000001 exactly as for a ref that does not exist, and nothing is
    written."""
    from krav.cases.pages import ACTIONS

    assert {url for _, url, _ in CASE_ROUTES if url.count("/") == 3} == \
        {f"/saker/{{ref}}/{a}" for a in ACTIONS}
    other = person(krav, engine, "sjef@fjordnett.no", "creditor_admin", creditor=FJORDNETT)
    token = csrf(other.get("/saker"))
    before = everything(engine)
    for method, url, form in CASE_ROUTES:
        answers = []
        for ref in ("K-0000001", "K-0000009"):
            if method == "GET":
                answer = other.get(url.format(ref=ref), headers={"accept": "text/html"})
            else:
                answer = other.post(url.format(ref=ref), data={"csrf": token, **form},
                                    headers={"accept": "text/html"}, follow_redirects=False)
            answers.append(answer)
        assert [a.status_code for a in answers] == [404, 404], (url, answers[0].text)
        texts = [re.sub(r"<code>[^<]*</code>", "", a.text).replace(ref, "REF")
                 for a, ref in zip(answers, ("K-0000001", "K-0000009"), strict=True)]
        assert texts[0] == texts[1], url
    assert everything(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(events.c.id).where(events.c.kind == "note")).first() is None
    assert other.get("/saker/K-0000004").status_code == 200  # its own
