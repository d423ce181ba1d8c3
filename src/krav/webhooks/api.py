"""``/api/v1/webhooks``: a creditor's subscriptions (the secret shown once) and their deliveries.

A creditor's API key or admin manages its own webhooks (its other users do not: a webhook is
the creditor's integration); agency staff see every creditor's and name the creditor
(``creditor``, an orgnr) when they make one. Another
creditor's webhook answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from krav.accounts.principal import Actor, Principal
from krav.db.tables import creditors
from krav.web.deps import MANAGERS, actor, engine_of, json_model, requires, settings_of
from krav.web.problems import Problem
from krav.web.schemas import IdPath
from krav.webhooks import service

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
PROBLEM = {"content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {404: {"description": "Ukjent webhook", **PROBLEM}}
MANAGE = Depends(requires(*MANAGERS))


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://erp.example/krav", "events": ["claim.created", "payment.booked"]}]})
    url: str = Field(max_length=2000)
    events: list[str] = Field(min_length=1, max_length=10)
    creditor: str | None = Field(default=None, description="orgnr (kun byråets ansatte)")


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: str


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Vises bare nå. Signerer hver levering.")


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event: str
    ref: str
    status: str
    attempts: int
    created_at: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    response_status: int | None
    last_error: str | None


def _scope(who: Principal) -> int | None:
    if who.creditor_id is None and not who.is_staff:
        raise Problem(403, "ingen tilgang til webhooks")
    return who.creditor_id


@router.post("/webhooks", status_code=201, response_model=WebhookCreated)
def create_webhook(request: Request, who: Principal = MANAGE, act: Actor = Depends(actor),
                   body: WebhookIn = Depends(json_model(WebhookIn))) -> Any:
    """Ny webhook. Svaret har hemmeligheten som signerer leveringene; den vises aldri igjen."""
    settings = settings_of(request)
    with engine_of(request).begin() as conn:
        creditor_id = _scope(who)
        if creditor_id is None:
            if not body.creditor:
                raise Problem(422, "byråets ansatte må oppgi oppdragsgiver (creditor: orgnr)",
                              errors=[{"field": "creditor", "message": "mangler"}])
            creditor_id = conn.execute(select(creditors.c.id).where(
                creditors.c.orgnr == body.creditor)).scalar()
            if creditor_id is None:
                raise Problem(422, f"ukjent oppdragsgiver {body.creditor!r}",
                              errors=[{"field": "creditor", "message": "ukjent orgnr"}])
        elif body.creditor is not None:
            raise Problem(422, "oppdragsgiveren følger av nøkkelen; feltet creditor er ikke "
                               "tillatt", errors=[{"field": "creditor", "message": "ikke tillatt"}])
        made = service.create(conn, creditor_id=creditor_id, url=body.url, events_=body.events,
                               actor=act, secret_key=settings.secret_key,
                               allow_local=bool(settings.webhook_allow_local))
    return {**made.row, "secret": made.secret}


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(request: Request, who: Principal = MANAGE) -> Any:
    """Webhookene (uten hemmeligheter)."""
    with engine_of(request).connect() as conn:
        return service.list_for(conn, _scope(who))


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut, responses=ERRORS)
def show_webhook(webhook_id: IdPath, request: Request, who: Principal = MANAGE) -> Any:
    with engine_of(request).connect() as conn:
        return service.view(service.get(conn, webhook_id, _scope(who)))


@router.delete("/webhooks/{webhook_id}", status_code=204, responses=ERRORS)
def delete_webhook(webhook_id: IdPath, request: Request, who: Principal = MANAGE,
                   act: Actor = Depends(actor)) -> Response:
    """Slett webhooken; hendelser som ikke er levert, parkeres (de sendes ikke)."""
    scope = _scope(who)
    with engine_of(request).begin() as conn:
        service.delete(conn, webhook_id, scope, act)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryOut],
            responses=ERRORS)
def list_deliveries(webhook_id: IdPath, request: Request, who: Principal = MANAGE,
                    status: str | None = Query(default=None,
                                               pattern="^(pending|sending|delivered|parked)$"),
                    limit: int = Query(default=100, ge=1, le=1000)) -> Any:
    """De siste leveringene (nyeste først): status, forsøk, svarkode og siste feil."""
    with engine_of(request).connect() as conn:
        service.get(conn, webhook_id, _scope(who))
        return service.deliveries(conn, webhook_id, limit=limit, status=status)
