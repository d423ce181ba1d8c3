"""Administration for a creditor (``/admin``): its people, its API keys and its webhooks.

The creditor's ``creditor_admin`` manages its own creditor; the agency's ``admin`` any creditor
(chosen with ``?oppdragsgiver=ORGNR``). Each change calls the service function the CLI calls
(``krav user add|disable``, ``krav apikey create|revoke``, the webhooks API's create/delete), in
one transaction with its audit row. A new person's one-time link and a new key or webhook
secret are shown once, on the page that answers the form. Another creditor's person, key or
webhook answers 404 like a missing one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, select

from krav.accounts import apikeys, users
from krav.accounts.pages import read_form
from krav.accounts.principal import Actor, Principal
from krav.accounts.tables import CREDITOR_ROLES, api_keys
from krav.accounts.tables import users as users_table
from krav.cases.access import EVERY, creditor_scope
from krav.cases.pages import TEXT as CASE_TEXT
from krav.cases.pages import check_csrf, page_values, person
from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput, KravError, NotFound, UnableToProceed
from krav.settings import site_url
from krav.web.deps import engine_of, language, now, settings_of
from krav.web.pages import render
from krav.web.problems import Problem
from krav.webhooks import service as webhooks
from krav.webhooks.tables import EVENTS

router = APIRouter(include_in_schema=False)

TEXT = {
    "nb": {**CASE_TEXT["nb"], "admin_title": "Administrasjon", "nav_admin": "Administrasjon",
           "people": "Brukere", "email": "E-post", "role": "Rolle", "state": "Status",
           "active": "aktiv", "invited": "invitert (har ikke valgt passord)",
           "disabled": "deaktivert", "add_person": "Legg til bruker",
           "disable": "Deaktiver", "link_shown": "Engangslenke for å velge passord (vises "
           "bare nå; send den til personen):", "role_creditor_admin": "Administrator",
           "role_creditor_user": "Bruker", "keys_title": "API-nøkler", "name": "Navn",
           "created": "Laget", "last_used": "Sist brukt", "revoked": "trukket tilbake",
           "create_key": "Lag API-nøkkel", "revoke": "Trekk tilbake",
           "key_shown": "Den nye nøkkelen (vises bare nå; ta vare på den):",
           "hooks": "Webhooks", "url": "Adresse (https)", "events": "Hendelser",
           "add_hook": "Legg til webhook", "delete": "Slett",
           "secret_shown": "Hemmeligheten som signerer leveringene (vises bare nå):",
           "choose_creditor": "Velg oppdragsgiver", "none": "Ingen.",
           "admin_refused": "Bare oppdragsgiverens administrator og byråets administrator "
                            "har tilgang til administrasjonen.",
           "done_person": "Brukeren er lagt til.", "done_disable": "Brukeren er deaktivert.",
           "done_key": "Nøkkelen er laget.", "done_revoke": "Nøkkelen er trukket tilbake.",
           "done_hook": "Webhooken er lagt til.", "done_delete": "Webhooken er slettet."},
    "en": {**CASE_TEXT["en"], "admin_title": "Administration", "nav_admin": "Administration",
           "people": "People", "email": "E-mail", "role": "Role", "state": "Status",
           "active": "active", "invited": "invited (no password chosen yet)",
           "disabled": "disabled", "add_person": "Add a person", "disable": "Disable",
           "link_shown": "One-time link to choose a password (shown only now; send it to the "
           "person):", "role_creditor_admin": "Administrator", "role_creditor_user": "User",
           "keys_title": "API keys", "name": "Name", "created": "Created", "last_used": "Last used",
           "revoked": "revoked", "create_key": "Create an API key", "revoke": "Revoke",
           "key_shown": "The new key (shown only now; keep it safe):",
           "hooks": "Webhooks", "url": "Address (https)", "events": "Events",
           "add_hook": "Add a webhook", "delete": "Delete",
           "secret_shown": "The secret that signs the deliveries (shown only now):",
           "choose_creditor": "Choose a creditor", "none": "None.",
           "admin_refused": "Only the creditor's administrator and the agency's administrator "
                            "can use the administration.",
           "done_person": "The person is added.", "done_disable": "The person is disabled.",
           "done_key": "The key is created.", "done_revoke": "The key is revoked.",
           "done_hook": "The webhook is added.", "done_delete": "The webhook is deleted."},
}
#: the URL of each change → what it does
CHANGES = {"brukere": "person", "brukere/deaktiver": "disable", "nokler": "key",
           "nokler/trekk": "revoke", "webhooker": "hook", "webhooker/slett": "delete"}


def _may_administer(who: Principal, t: dict[str, str]) -> None:
    if not ((who.is_staff and "admin" in who.roles) or "creditor_admin" in who.roles):
        raise Problem(403, t["admin_refused"])


def _creditor(conn: Connection, who: Principal, orgnr: str | None) -> Any:
    """The creditor administered: the person's own; the agency's admin names one (``None``
    when it has not yet). Another creditor's number answers 404 like an unknown one."""
    scope = creditor_scope(who)
    query = select(creditors.c.id, creditors.c.orgnr, creditors.c.name)
    if scope is EVERY:
        if not orgnr:
            return None
        query = query.where(creditors.c.orgnr == orgnr.replace(" ", ""))
    else:
        query = query.where(creditors.c.id == scope)
        if orgnr:
            query = query.where(creditors.c.orgnr == orgnr.replace(" ", ""))
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"ukjent oppdragsgiver {(orgnr or '')[:20]!r}")
    return row


def _page(request: Request, who: Principal, orgnr: str | None, *, status: int = 200,
          shown: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Response:
    with engine_of(request).connect() as conn:
        creditor = _creditor(conn, who, orgnr)
        choices = conn.execute(select(creditors.c.orgnr, creditors.c.name)
                               .order_by(creditors.c.name)).all() \
            if creditor_scope(who) is EVERY else []
        people = keys = hooks = []
        if creditor is not None:
            people = [u for u in users.list_users(conn) if u["creditor"] == creditor.orgnr]
            keys = apikeys.list_keys(conn, creditor.orgnr)
            hooks = webhooks.list_for(conn, creditor.id)
    t = TEXT[language(request)]
    done = request.query_params.get("utfort", "")
    return render(request, "admin.html", TEXT, status=status, creditor=creditor,
                  creditors=choices, people=people, keys=keys, hooks=hooks, shown=shown or {},
                  errors=errors or {}, values=values or {}, events=EVENTS,
                  roles=CREDITOR_ROLES, notice=t.get(f"done_{done}"),
                  **page_values(request, who))


@router.get("/admin")
def admin_page(request: Request) -> Response:
    who = person(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    _may_administer(who, TEXT[language(request)])
    return _page(request, who, request.query_params.get("oppdragsgiver"))


def _owned(conn: Connection, table: Any, row_id: str, creditor_id: int) -> Any:
    """The row of ``table`` with ``row_id`` that belongs to the creditor, else 404."""
    found = conn.execute(select(table).where(
        table.c.id == (int(row_id) if row_id.isdigit() else -1),
        table.c.creditor_id == creditor_id)).mappings().first()
    if found is None:
        raise NotFound(f"finnes ikke: {row_id[:20]!r}")
    return found


@router.post("/admin/{change:path}")
def admin_change(request: Request, change: str,
                 form: dict[str, str] = Depends(read_form)) -> Response:
    who = check_csrf(request, form)
    what = CHANGES.get(change)
    if what is None:
        raise Problem(404, f"ingen side eller ressurs på {request.url.path[:200]}")
    t = TEXT[language(request)]
    _may_administer(who, t)
    orgnr = form.get("oppdragsgiver") or None
    settings = settings_of(request)
    act = Actor(who, now(), request.state.request_id)
    shown: dict[str, str] = {}
    field = {"person": "email", "key": "name", "hook": "url"}.get(what, "")
    try:
        with engine_of(request).begin() as conn:
            creditor = _creditor(conn, who, orgnr)
            if creditor is None:
                raise NotFound("ukjent oppdragsgiver ''")
            if what == "person":
                role = form.get("role", "")
                if role not in CREDITOR_ROLES:
                    raise InvalidInput(f"ukjent rolle {role!r}", where="role")
                made = users.add_user(conn, form.get("email", ""), role=role,
                                      creditor_orgnr=creditor.orgnr, actor=act,
                                      public_url=site_url(settings),
                                      valid=timedelta(hours=settings.invite_hours),
                                      language=language(request))
                shown["link"] = made.link
            elif what == "disable":
                target = _owned(conn, users_table, form.get("id", ""), creditor.id)
                users.disable_user(conn, target["email"], actor=act)
            elif what == "key":
                made_key = apikeys.create_key(conn, creditor_orgnr=creditor.orgnr,
                                              name=form.get("name", ""), actor=act)
                shown["key"] = made_key.key
            elif what == "revoke":
                target = _owned(conn, api_keys, form.get("id", ""), creditor.id)
                apikeys.revoke_key(conn, str(target["id"]), actor=act)
            elif what == "hook":
                chosen = [e for e in EVENTS if form.get(f"event_{e}")]
                made_hook = webhooks.create(conn, creditor_id=creditor.id,
                                            url=form.get("url", ""), events_=chosen, actor=act,
                                            secret_key=settings.secret_key,
                                            allow_local=bool(settings.webhook_allow_local))
                shown["secret"] = made_hook.secret
            elif what == "delete":
                webhook_id = form.get("id", "")
                webhooks.delete(conn, int(webhook_id) if webhook_id.isdigit() else -1,
                                creditor.id, act)
    except InvalidInput as exc:
        where = {"events": "events"}.get(exc.where or "", field)
        message = exc.what + (f" ({exc.allowed})" if exc.allowed else "")
        return _page(request, who, orgnr, status=422, errors={f"{what}-{where}": message},
                     values=form)
    except UnableToProceed as exc:
        return _page(request, who, orgnr, status=409, errors={f"{what}-{field}": str(exc)},
                     values=form)
    except NotFound:
        raise
    except KravError as exc:  # e.g. KRAV_SECRET_KEY not set for a webhook's secret
        return _page(request, who, orgnr, status=400, errors={f"{what}-{field}": str(exc)},
                     values=form)
    if shown:
        return _page(request, who, orgnr, shown=shown)
    query = f"?utfort={what}" + (f"&oppdragsgiver={orgnr}" if orgnr else "")
    return RedirectResponse(f"/admin{query}", status_code=303)
