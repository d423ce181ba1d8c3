"""The login pages: log in, log out, forgotten password, set a password from a one-time link,
and the landing page that says who you are. Server-rendered, bokmål by default with an English
switch, no JavaScript needed.

Every form carries a CSRF token checked on its POST: for a logged-in person the token derived
from the session cookie, for the anonymous forms (login, forgotten and new password) the one
derived from a ``krav_form`` cookie set with the form. Both cookies are HttpOnly and
SameSite=Lax, and Secure behind https.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from krav.accounts import passwords
from krav.accounts.mail import request_reset
from krav.accounts.principal import Actor, Principal
from krav.accounts.secrets import csrf_for, new_token, same
from krav.accounts.sessions import login, logout
from krav.accounts.users import set_password_with_token, token_user
from krav.db.tables import creditors
from krav.kernel.errors import KravError
from krav.settings import site_url
from krav.web.deps import (
    FORM_COOKIE,
    SESSION_COOKIE,
    client_address,
    engine_of,
    is_https,
    now,
    optional_principal,
    settings_of,
)
from krav.web.pages import render
from krav.web.problems import Problem

router = APIRouter(include_in_schema=False)
MAX_FORM = 16 * 1024

TEXT = {
    "nb": {
        "login_title": "Logg inn", "email": "E-post", "password": "Passord",
        "login_button": "Logg inn", "forgot_link": "Glemt passordet?",
        "login_failed": "Feil e-post eller passord.",
        "locked": "For mange mislykkede forsøk. Prøv igjen om {minutes} minutt(er).",
        "forgot_title": "Glemt passord", "forgot_button": "Send lenke",
        "forgot_help": "Skriv e-postadressen din, så sender vi en lenke for å velge nytt passord.",
        "forgot_sent": "Hvis adressen hører til en bruker, er en lenke sendt til den. "
                       "Lenken virker én gang og en kort stund.",
        "to_login": "Til innlogging",
        "password_title": "Velg passord", "password_for": "For",
        "new_password": "Nytt passord", "repeat_password": "Gjenta passordet",
        "password_help": f"Minst {passwords.MIN_LENGTH} tegn. En setning du husker er bra.",
        "password_button": "Lagre passord",
        "password_saved": "Passordet er lagret. Logg inn med det nye passordet.",
        "password_mismatch": "Passordene er ikke like. Skriv det samme passordet to ganger.",
        "password_short": f"Passordet må ha minst {passwords.MIN_LENGTH} tegn.",
        "password_long": f"Passordet kan ha høyst {passwords.MAX_LENGTH} tegn.",
        "password_email": "Passordet kan ikke være e-postadressen.",
        "link_invalid": "Lenken er ugyldig, brukt eller utløpt. Be om en ny.",
        "logged_out": "Du er logget ut.",
        "home_title": "Du er innlogget", "role": "Rolle", "creditor": "Oppdragsgiver",
        "all_creditors": "Alle (foretakets ansatte)",
        "role_admin": "Administrator", "role_handler": "Saksbehandler",
        "role_creditor_admin": "Oppdragsgivers administrator",
        "role_creditor_user": "Oppdragsgivers bruker",
        "cases_link": "Sakene",
        "portals_later": "Portalene for saksbehandling og oppdragsgivere kommer her.",
        "logout_button": "Logg ut",
        "csrf": "Skjemaet er utløpt eller kom ikke fra denne siden. Last siden på nytt og prøv "
                "igjen.",
    },
    "en": {
        "login_title": "Log in", "email": "E-mail", "password": "Password",
        "login_button": "Log in", "forgot_link": "Forgot your password?",
        "login_failed": "Wrong e-mail or password.",
        "locked": "Too many failed attempts. Try again in {minutes} minute(s).",
        "forgot_title": "Forgotten password", "forgot_button": "Send link",
        "forgot_help": "Type your e-mail address and we will send a link to choose a new "
                       "password.",
        "forgot_sent": "If the address belongs to a user, a link has been sent to it. "
                       "The link works once and for a short while.",
        "to_login": "To the login page",
        "password_title": "Choose a password", "password_for": "For",
        "new_password": "New password", "repeat_password": "Repeat the password",
        "password_help": f"At least {passwords.MIN_LENGTH} characters. A sentence you remember "
                         "is good.",
        "password_button": "Save password",
        "password_saved": "Your password is saved. Log in with the new password.",
        "password_mismatch": "The passwords are not the same. Type the same password twice.",
        "password_short": f"The password must have at least {passwords.MIN_LENGTH} characters.",
        "password_long": f"The password can have at most {passwords.MAX_LENGTH} characters.",
        "password_email": "The password cannot be your e-mail address.",
        "link_invalid": "The link is invalid, used or expired. Ask for a new one.",
        "logged_out": "You are logged out.",
        "home_title": "You are logged in", "role": "Role", "creditor": "Creditor",
        "all_creditors": "All (agency staff)",
        "role_admin": "Administrator", "role_handler": "Case handler",
        "role_creditor_admin": "Creditor's administrator",
        "role_creditor_user": "Creditor's user",
        "cases_link": "The cases",
        "portals_later": "The case handling and creditor portals will be here.",
        "logout_button": "Log out",
        "csrf": "The form has expired or did not come from this page. Reload the page and try "
                "again.",
    },
}


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (what a plain HTML form sends)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Problem(415, "skjemaet må sendes som application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise Problem(413, f"skjemaet er større enn {MAX_FORM} byte")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise Problem(400, "skjemaet er ikke UTF-8") from None


def _cookie(response: Response, request: Request, name: str, value: str,
            max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=is_https(request), path="/")


def _anonymous_form(request: Request, template: str, status: int = 200, **values) -> Response:  # type: ignore[no-untyped-def]
    """Render an anonymous form with the CSRF token of the visitor's form cookie."""
    secret = request.cookies.get(FORM_COOKIE) or new_token()
    response = render(request, template, TEXT, status=status, csrf=csrf_for(secret), **values)
    if request.cookies.get(FORM_COOKIE) != secret:
        _cookie(response, request, FORM_COOKIE, secret)
    return response


def _check_anonymous_csrf(request: Request, form: dict[str, str]) -> None:
    secret = request.cookies.get(FORM_COOKIE)
    if not secret or not same(form.get("csrf", ""), csrf_for(secret)):
        raise Problem(403, TEXT[_lang(request)]["csrf"])


def _lang(request: Request) -> str:
    from krav.web.deps import language

    return language(request)


def _password_error(password: str, repeated: str, email: str, t: dict[str, str],
                    fallback: str) -> tuple[str, str]:
    """The field a refused new password is about and the message in the page's language (the
    rules are :func:`krav.accounts.passwords.check_new`'s)."""
    if password != repeated:
        return "repeated", t["password_mismatch"]
    if len(password) < passwords.MIN_LENGTH:
        return "password", t["password_short"]
    if len(password) > passwords.MAX_LENGTH:
        return "password", t["password_long"]
    if password.strip().lower() == email.strip().lower():
        return "password", t["password_email"]
    return "password", fallback[:1].upper() + fallback[1:]


@router.get("/")
def home(request: Request, who: Principal | None = Depends(optional_principal)) -> Response:
    if who is None or who.kind != "user":
        return RedirectResponse("/login", status_code=303)
    with engine_of(request).connect() as conn:
        creditor = conn.execute(select(creditors.c.name, creditors.c.orgnr)
                                .where(creditors.c.id == who.creditor_id)).first() \
            if who.creditor_id else None
    token = request.cookies.get(SESSION_COOKIE, "")
    return render(request, "home.html", TEXT, csrf=csrf_for(token), creditor=creditor,
                  user={"email": who.name, "role": who.roles[0]})


@router.get("/login")
def login_page(request: Request) -> Response:
    notice = {"ut": "logged_out", "satt": "password_saved"}.get(
        request.query_params.get("melding", ""))
    return _anonymous_form(request, "login.html", email="",
                           notice=TEXT[_lang(request)][notice] if notice else None)


@router.post("/login")
def login_submit(request: Request, form: dict[str, str] = Depends(read_form)) -> Response:
    _check_anonymous_csrf(request, form)
    settings = settings_of(request)
    email = form.get("email", "")
    with engine_of(request).begin() as conn:
        result = login(conn, email, form.get("password", ""), address=client_address(request),
                       at=now(), settings=settings, request_id=request.state.request_id)
    if result.ok:
        assert result.token is not None
        response = RedirectResponse("/", status_code=303)
        _cookie(response, request, SESSION_COOKIE, result.token,
                max_age=settings.session_hours * 3600)
        response.delete_cookie(FORM_COOKIE, path="/")
        return response
    t = TEXT[_lang(request)]
    if result.locked_until is not None:
        seconds = max(1, int((result.locked_until - now()).total_seconds()))
        return _anonymous_form(request, "login.html", status=429, email=email[:254],
                               error=t["locked"].format(minutes=-(-seconds // 60)),
                               headers={"Retry-After": str(seconds)})
    return _anonymous_form(request, "login.html", status=401, email=email[:254],
                           error=t["login_failed"])


@router.post("/logout")
def logout_submit(request: Request, form: dict[str, str] = Depends(read_form),
                  who: Principal | None = Depends(optional_principal)) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    if who is None or who.kind != "user" or not same(form.get("csrf", ""), csrf_for(token)):
        raise Problem(403, TEXT[_lang(request)]["csrf"])
    with engine_of(request).begin() as conn:
        logout(conn, Actor(who, now(), request.state.request_id))
    response = RedirectResponse("/login?melding=ut", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/passord/glemt")
def forgot_page(request: Request) -> Response:
    return _anonymous_form(request, "forgot.html", sent=False)


@router.post("/passord/glemt")
def forgot_submit(request: Request, form: dict[str, str] = Depends(read_form)) -> Response:
    """The same answer whether or not the address exists (a reset mail is queued only if it
    does)."""
    _check_anonymous_csrf(request, form)
    settings = settings_of(request)
    with engine_of(request).begin() as conn:
        request_reset(conn, form.get("email", ""), at=now(), public_url=site_url(settings),
                      valid=timedelta(minutes=settings.reset_minutes),
                      agency=settings.agency.name, request_id=request.state.request_id)
    return _anonymous_form(request, "forgot.html", sent=True)


@router.get("/passord/{token}")
def password_page(request: Request, token: str) -> Response:
    with engine_of(request).connect() as conn:
        user = token_user(conn, token, at=now())
    if user is None:
        raise Problem(404, TEXT[_lang(request)]["link_invalid"])
    return _anonymous_form(request, "password.html", email=user["email"],
                           min_length=passwords.MIN_LENGTH)


@router.post("/passord/{token}")
def password_submit(request: Request, token: str,
                    form: dict[str, str] = Depends(read_form)) -> Response:
    _check_anonymous_csrf(request, form)
    t = TEXT[_lang(request)]
    try:
        with engine_of(request).begin() as conn:
            set_password_with_token(conn, token, form.get("password", ""),
                                    form.get("repeated", ""), at=now(),
                                    request_id=request.state.request_id)
    except KravError as exc:
        with engine_of(request).connect() as conn:
            user = token_user(conn, token, at=now())
        if user is None:
            raise Problem(404, t["link_invalid"]) from None
        field, message = _password_error(form.get("password", ""), form.get("repeated", ""),
                                         user["email"], t, str(getattr(exc, "what", exc)))
        return _anonymous_form(request, "password.html", status=422, email=user["email"],
                               min_length=passwords.MIN_LENGTH, error=message,
                               error_field=field)
    return RedirectResponse("/login?melding=satt", status_code=303)
