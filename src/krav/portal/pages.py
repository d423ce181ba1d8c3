"""The debtor portal's pages: log in with the case number and the access code from a letter,
the case page (every krone with its legal basis, the letters as PDF, how to pay), the debtor's
contact data, and the pay page that needs no login.

Server-rendered, no JavaScript, mobile first; bokmål by default, nynorsk and English by
``?lang=`` (remembered in a cookie). Every form carries a CSRF token: the anonymous login form's
from the ``krav_form`` cookie, a logged-in debtor's from the portal session cookie
(``krav_portal``, HttpOnly, SameSite=Lax, Secure behind https) — the machinery of
:mod:`krav.accounts.pages`. Another case's page answers 404, like a case that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from krav.accounts.pages import read_form
from krav.accounts.principal import Actor
from krav.accounts.secrets import csrf_for, new_token, same
from krav.cases import codes
from krav.cases.codes import LetterSite
from krav.db.tables import claims, creditors
from krav.kernel.errors import NotFound
from krav.letters.messages import TITLES
from krav.portal import service
from krav.portal.explain import explain
from krav.portal.i18n import LANGUAGES, N_, NAMES, environment, translations
from krav.portal.sessions import (
    DebtorSession,
    login_with_code,
    logout,
    session_of,
    visible_claim_ids,
)
from krav.settings import site_url
from krav.web.deps import (
    FORM_COOKIE,
    LANG_COOKIE,
    client_address,
    engine_of,
    is_https,
    now,
    settings_of,
)
from krav.web.problems import Problem

router = APIRouter(include_in_schema=False)
PORTAL_COOKIE = "krav_portal"


def today() -> date:
    """The clock, read at the entry point (the machine's date, as ``krav case show``)."""
    return date.today()


def page_language(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "nb"
    return wanted if wanted in LANGUAGES else "nb"


def render(request: Request, template: str, *, status: int = 200,
           headers: dict[str, str] | None = None, **values: Any) -> HTMLResponse:
    lang = page_language(request)
    html = environment(lang).get_template(template).render(
        lang=lang, path=request.url.path, languages=[(code, NAMES[code]) for code in LANGUAGES],
        **values)
    response = HTMLResponse(html, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                            samesite="lax", secure=is_https(request))
    return response


def _gettext(request: Request):  # type: ignore[no-untyped-def]
    return translations(page_language(request)).gettext


def _cookie(response: Response, request: Request, name: str, value: str,
            max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=is_https(request), path="/")


def _key(request: Request) -> bytes | None:
    return codes.portal_key(settings_of(request).secret_key)


def debtor_session(request: Request) -> DebtorSession | None:
    """The debtor logged in to the portal in this browser, or ``None``."""
    token = request.cookies.get(PORTAL_COOKIE)
    if not token:
        return None
    with engine_of(request).begin() as conn:
        found = session_of(conn, token, at=now(), settings=settings_of(request))
    if found is not None:
        request.state.principal_label = found.principal.label
    return found


def _csrf(request: Request) -> str:
    return csrf_for(request.cookies.get(PORTAL_COOKIE, ""))


def _check_csrf(request: Request, form: dict[str, str]) -> None:
    if not same(form.get("csrf", ""), _csrf(request)):
        _ = _gettext(request)
        raise Problem(403, _("Skjemaet er utløpt eller kom ikke fra denne siden. Last siden på "
                             "nytt og prøv igjen."))


def _case_id(request: Request, session: DebtorSession | None, ref: str) -> int:
    """The id of case ``ref`` if this session opens it; 404 otherwise (as for no such case)."""
    if session is None:
        raise NotFound("ukjent sak")
    with engine_of(request).connect() as conn:
        claim_id = conn.execute(select(claims.c.id).where(
            claims.c.ref == ref.strip().upper())).scalar()
        if claim_id is None or claim_id not in visible_claim_ids(conn, session):
            _ = _gettext(request)
            raise Problem(404, _("Saken finnes ikke, eller du er ikke logget inn på den."))
    return claim_id


# --- log in and out ---------------------------------------------------------------------------

def _login_form(request: Request, *, status: int = 200, ref: str = "", errors: dict | None = None,
                headers: dict[str, str] | None = None) -> Response:
    secret = request.cookies.get(FORM_COOKIE) or new_token()
    from krav.portal.bankid import configured

    response = render(request, "portal/login.html", status=status, headers=headers,
                      csrf=csrf_for(secret), ref=ref, errors=errors or {},
                      bankid=configured(settings_of(request)),
                      notice=request.query_params.get("melding"))
    if request.cookies.get(FORM_COOKIE) != secret:
        _cookie(response, request, FORM_COOKIE, secret)
    return response


@router.get("/logg-inn")
def login_page(request: Request) -> Response:
    return _login_form(request, ref=request.query_params.get("sak", "")[:20])


@router.post("/logg-inn")
def login_submit(request: Request, form: dict[str, str] = Depends(read_form)) -> Response:
    _ = _gettext(request)
    secret = request.cookies.get(FORM_COOKIE)
    if not secret or not same(form.get("csrf", ""), csrf_for(secret)):
        raise Problem(403, _("Skjemaet er utløpt eller kom ikke fra denne siden. Last siden på "
                             "nytt og prøv igjen."))
    ref, code = form.get("saksnummer", "").strip().upper()[:20], form.get("kode", "")
    errors = {}
    if not ref:
        errors["saksnummer"] = _("Skriv saksnummeret fra brevet, for eksempel K-0000001.")
    if not code.strip():
        errors["kode"] = _("Skriv koden fra brevet.")
    elif not codes.well_formed(code):
        errors["kode"] = _("Koden har 10 tegn (bokstaver og tall), for eksempel K7M2Q-XR9TB.")
    if errors:
        return _login_form(request, status=422, ref=ref, errors=errors)
    key = _key(request)
    if key is None:
        raise Problem(503, _("Innlogging med kode er ikke satt opp ennå. Ring oss."))
    settings = settings_of(request)
    current = debtor_session(request)
    if current is not None and current.method != "code":
        current = None
    with engine_of(request).begin() as conn:
        result = login_with_code(conn, ref, code, key=key, address=client_address(request),
                                 at=now(), settings=settings,
                                 current=current.principal if current else None,
                                 request_id=request.state.request_id)
    if result.ok:
        response = RedirectResponse(f"/sak/{result.ref}", status_code=303)
        assert result.token is not None
        _cookie(response, request, PORTAL_COOKIE, result.token,
                max_age=settings.session_hours * 3600)
        return response
    if result.locked_until is not None:
        seconds = max(1, int((result.locked_until - now()).total_seconds()))
        return _login_form(request, status=429, ref=ref, headers={"Retry-After": str(seconds)},
                           errors={"kode": _("For mange feil forsøk. Prøv igjen om %(n)s "
                                             "minutt(er), eller ring oss.")
                                   % {"n": -(-seconds // 60)}})
    return _login_form(request, status=401, ref=ref,
                       errors={"kode": _("Saksnummeret eller koden er feil. Sjekk brevet og "
                                         "prøv igjen.")})


OIDC_COOKIE = "krav_oidc"
OIDC_PATH = "/logg-inn/bankid"


def _redirect_uri(request: Request) -> str:
    return site_url(settings_of(request)) + OIDC_PATH + "/svar"


@router.get(OIDC_PATH)
def bankid_start(request: Request) -> Response:
    """Off to the BankID broker; state, nonce and the PKCE verifier wait in a short-lived
    HttpOnly cookie of this browser until it comes back."""
    from krav.portal import bankid

    settings = settings_of(request)
    if not bankid.configured(settings):
        _ = _gettext(request)
        raise Problem(404, _("BankID er ikke satt opp."))
    begun = bankid.start(settings, _redirect_uri(request))
    response = RedirectResponse(begun.url, status_code=303)
    response.set_cookie(OIDC_COOKIE, f"{begun.state}.{begun.nonce}.{begun.verifier}",
                        max_age=600, httponly=True, samesite="lax", secure=is_https(request),
                        path=OIDC_PATH)
    return response


@router.get(OIDC_PATH + "/svar")
def bankid_return(request: Request) -> Response:
    from krav.kernel.errors import UnableToProceed
    from krav.portal import bankid
    from krav.portal.sessions import bankid_login

    _ = _gettext(request)
    settings = settings_of(request)
    if not bankid.configured(settings):
        raise Problem(404, _("BankID er ikke satt opp."))
    kept = request.cookies.get(OIDC_COOKIE, "").split(".")
    state = request.query_params.get("state", "")
    if len(kept) != 3 or not state or not same(state, kept[0]):
        raise Problem(400, _("BankID-innloggingen kom ikke fra denne nettleseren, eller den "
                             "tok for lang tid. Prøv igjen."))
    code = request.query_params.get("code", "")
    if not code:
        raise Problem(401, _("BankID-innloggingen ble avbrutt."))
    try:
        national_id = bankid.finish(settings, _redirect_uri(request), code=code, nonce=kept[1],
                                    verifier=kept[2])
    except UnableToProceed as exc:
        raise Problem(401, str(exc)) from None
    with engine_of(request).begin() as conn:
        token = bankid_login(conn, national_id, address=client_address(request), at=now(),
                             settings=settings, request_id=request.state.request_id)
    response = RedirectResponse("/sak", status_code=303)
    response.delete_cookie(OIDC_COOKIE, path=OIDC_PATH)
    _cookie(response, request, PORTAL_COOKIE, token, max_age=settings.session_hours * 3600)
    return response


@router.post("/logg-ut")
def logout_submit(request: Request, form: dict[str, str] = Depends(read_form)) -> Response:
    session = debtor_session(request)
    if session is None:
        return RedirectResponse("/logg-inn", status_code=303)
    _check_csrf(request, form)
    with engine_of(request).begin() as conn:
        logout(conn, Actor(session.principal, now(), request.state.request_id))
    response = RedirectResponse("/logg-inn?melding=ut", status_code=303)
    response.delete_cookie(PORTAL_COOKIE, path="/")
    return response


# --- the cases ---------------------------------------------------------------------------------

@router.get("/sak")
def overview(request: Request) -> Response:
    """Every case the session opens (all of the person's cases after BankID)."""
    session = debtor_session(request)
    if session is None:
        return RedirectResponse("/logg-inn", status_code=303)
    with engine_of(request).connect() as conn:
        rows = [service.case_row(conn, claim_id, as_of=today())
                for claim_id in visible_claim_ids(conn, session)]
    if len(rows) == 1:
        return RedirectResponse(f"/sak/{rows[0]['ref']}", status_code=303)
    return render(request, "portal/cases.html", cases=rows, csrf=_csrf(request))


@router.get("/sak/{ref}")
def case_page(request: Request, ref: str) -> Response:
    session = debtor_session(request)
    if session is None:
        return RedirectResponse(f"/logg-inn?sak={ref.strip().upper()[:20]}", status_code=303)
    claim_id = _case_id(request, session, ref)
    lang = page_language(request)
    with engine_of(request).connect() as conn:
        data = service.case_page(conn, claim_id, as_of=today())
        creditor = conn.execute(select(creditors.c.name, creditors.c.orgnr)
                                .join(claims, claims.c.creditor_id == creditors.c.id)
                                .where(claims.c.id == claim_id)).one()
        many = len(visible_claim_ids(conn, session)) > 1
    postings = [{**p, **explain(p, lang, data["invoice_number"])} for p in data["postings"]]
    site = LetterSite(site_url(settings_of(request)), _key(request))
    pay_url = site.fields(data["ref"], 0)["pay_url"]
    _ = _gettext(request)
    qr = Markup(segno.make(pay_url, error="m").svg_inline(
        scale=4, title=_("QR-kode til betalingssiden"))) if pay_url else None
    titles = TITLES["en" if lang == "en" else "nb"]
    return render(request, "portal/case.html", case=data, creditor=creditor, postings=postings,
                  titles=titles, pay_url=pay_url, qr=qr, csrf=_csrf(request), many=many,
                  today=today())


@router.get("/sak/{ref}/brev/{letter_id}.pdf")
def letter_pdf(request: Request, ref: str, letter_id: int) -> Response:
    """A letter of the case as the debtor got it (rendered again from its snapshot)."""
    from krav.letters.render import render_pdf

    claim_id = _case_id(request, debtor_session(request), ref)
    with engine_of(request).connect() as conn:
        content = service.letter_content(conn, claim_id, letter_id)
    site = LetterSite(settings_of(request).public_url, _key(request))
    pdf = render_pdf(content, letter_id=letter_id, site=site)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{content.get("sent_on", "")}-'
                               f'{content.get("kind", "brev")}-{letter_id}.pdf"',
        "Cache-Control": "no-store"})


# --- contact data ------------------------------------------------------------------------------

@router.get("/sak/{ref}/kontakt")
def contact_page(request: Request, ref: str) -> Response:
    session = debtor_session(request)
    if session is None:
        return RedirectResponse(f"/logg-inn?sak={ref.strip().upper()[:20]}", status_code=303)
    claim_id = _case_id(request, session, ref)
    with engine_of(request).connect() as conn:
        contact = service.contact_of(conn, claim_id)
    return render(request, "portal/contact.html", ref=ref.strip().upper(), values=contact,
                  errors={}, csrf=_csrf(request), saved=request.query_params.get("lagret"))


CONTACT_MESSAGES = {
    "address_missing": N_("Skriv gateadressen eller postboksen."),
    "postcode_bad": N_("Postnummeret har fire sifre."),
    "city_missing": N_("Skriv poststedet."),
    "email_bad": N_("Dette ser ikke ut som en e-postadresse (navn@domene.no)."),
    "email_needed": N_("Skriv e-postadressen du vil få brevene til."),
    "phone_bad": N_("Skriv telefonnummeret med 8 sifre, eller med landskode (+46…)."),
}


@router.post("/sak/{ref}/kontakt")
def contact_submit(request: Request, ref: str,
                   form: dict[str, str] = Depends(read_form)) -> Response:
    session = debtor_session(request)
    claim_id = _case_id(request, session, ref)
    assert session is not None
    _check_csrf(request, form)
    _ = _gettext(request)
    with engine_of(request).begin() as conn:
        contact = service.contact_of(conn, claim_id)
        values, errors = service.check_contact(form, contact["country"])
        if not errors:
            service.update_contact(conn, claim_id, values,
                                   actor=Actor(session.principal, now(),
                                               request.state.request_id))
    if errors:
        return render(request, "portal/contact.html", status=422, ref=ref.strip().upper(),
                      values={**contact, **values}, csrf=_csrf(request), saved=None,
                      errors={k: _(CONTACT_MESSAGES[v]) for k, v in errors.items()})
    return RedirectResponse(f"/sak/{ref.strip().upper()}/kontakt?lagret=1", status_code=303)


# --- the pay page (no login) -----------------------------------------------------------------

def _pay_case(request: Request, ref: str, token: str) -> str:
    key = _key(request)
    ref = ref.strip().upper()[:20]
    if key is None or not codes.pay_token_ok(key, ref, token):
        _ = _gettext(request)
        raise Problem(404, _("Betalingslenken er ugyldig. Sjekk adressen i brevet."))
    return ref


@router.get("/betal/{ref}/{token}")
def pay_page(request: Request, ref: str, token: str) -> Response:
    """Amount, KID and account of a case for the holder of its pay link; nothing about the
    person (no name, no address, no creditor). "Betal med Vipps" when Vipps is set up."""
    from krav.payments.vipps import VippsConfig

    ref = _pay_case(request, ref, token)
    with engine_of(request).connect() as conn:
        facts = service.pay_facts(conn, ref, as_of=today())
    secret = request.cookies.get(FORM_COOKIE) or new_token()
    response = render(request, "portal/pay.html", facts=facts, today=today(),
                      vipps=VippsConfig.of(settings_of(request)) is not None,
                      action=f"/betal/{ref}/{token}/vipps", csrf=csrf_for(secret),
                      notice=request.query_params.get("vipps"))
    if request.cookies.get(FORM_COOKIE) != secret:
        _cookie(response, request, FORM_COOKIE, secret)
    return response


def _vipps(request: Request):  # type: ignore[no-untyped-def]
    from krav.payments.vipps import VippsClient, VippsConfig

    config = VippsConfig.of(settings_of(request))
    if config is None:
        _ = _gettext(request)
        raise Problem(404, _("Vipps er ikke satt opp."))
    return VippsClient(config)


@router.post("/betal/{ref}/{token}/vipps")
def pay_with_vipps(request: Request, ref: str, token: str,
                   form: dict[str, str] = Depends(read_form)) -> Response:
    """A fresh Vipps payment request for today's amount; off to Vipps."""
    from krav.kernel.money import to_ore
    from krav.payments.vipps import start

    ref = _pay_case(request, ref, token)
    secret = request.cookies.get(FORM_COOKIE)
    if not secret or not same(form.get("csrf", ""), csrf_for(secret)):
        _ = _gettext(request)
        raise Problem(403, _("Skjemaet er utløpt eller kom ikke fra denne siden. Last siden på "
                             "nytt og prøv igjen."))
    client = _vipps(request)
    back = site_url(settings_of(request)) + f"/betal/{ref}/{token}/vipps/{{reference}}"
    with engine_of(request).begin() as conn:
        facts = service.pay_facts(conn, ref, as_of=today())
        claim_id = conn.execute(select(claims.c.id).where(claims.c.ref == ref)).scalar_one()
        url = start(conn, client, claim_id=claim_id, ref=ref,
                    amount_ore=to_ore(facts["to_pay_today"]), return_url=back, at=now())
    return RedirectResponse(url, status_code=303)


@router.get("/betal/{ref}/{token}/vipps/{reference}")
def vipps_return(request: Request, ref: str, token: str, reference: str) -> Response:
    """Back from Vipps: ask Vipps how it went (capture and book when approved)."""
    from krav.payments.tables import vipps_payments
    from krav.payments.vipps import settle

    ref = _pay_case(request, ref, token)
    client = _vipps(request)
    with engine_of(request).begin() as conn:
        owner = conn.execute(select(claims.c.ref).join(
            vipps_payments, vipps_payments.c.claim_id == claims.c.id)
            .where(vipps_payments.c.reference == reference[:50])).scalar()
        if owner != ref:
            _ = _gettext(request)
            raise Problem(404, _("Ukjent betaling."))
        state = settle(conn, client, reference[:50], on=today(), at=now())
    outcome = "betalt" if state == "CAPTURED" else "avbrutt"
    return RedirectResponse(f"/betal/{ref}/{token}?vipps={outcome}", status_code=303)


@router.post("/vipps/webhook")
async def vipps_webhook(request: Request) -> Response:
    """Vipps reports a payment's new state; the signature is checked before anything else."""
    import json

    from starlette.concurrency import run_in_threadpool

    from krav.payments.tables import vipps_payments
    from krav.payments.vipps import VippsConfig, settle, webhook_ok

    config = VippsConfig.of(settings_of(request))
    body = await request.body()
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if config is None or not webhook_ok(config.webhook_secret, path_and_query=path,
                                        headers=request.headers, body=body):
        raise Problem(401, "ugyldig signatur")
    try:
        reference = str(json.loads(body)["reference"])[:50]
    except (ValueError, KeyError, TypeError):
        raise Problem(400, "mangler reference") from None

    def work() -> None:
        with engine_of(request).begin() as conn:
            known = conn.execute(select(vipps_payments.c.reference)
                                 .where(vipps_payments.c.reference == reference)).first()
            if known is not None:
                settle(conn, _vipps(request), reference, on=today(), at=now())

    await run_in_threadpool(work)
    return Response(status_code=200)
