"""``GET /api/v1/whoami``: the principal of the request, as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select

from krav.accounts.principal import Principal
from krav.db.tables import creditors
from krav.web.deps import EVERYONE, engine_of, requires

router = APIRouter(prefix="/api/v1", tags=["konto"])


class CreditorRef(BaseModel):
    id: int
    orgnr: str
    name: str


class PrincipalRead(BaseModel):
    kind: str
    user_id: int | None
    api_key_id: int | None
    name: str
    roles: list[str]
    creditor: CreditorRef | None


@router.get("/whoami", response_model=PrincipalRead)
def whoami(request: Request, who: Principal = Depends(requires(*EVERYONE))) -> Any:
    """Hvem forespørselen er gjort som: person (økt) eller API-nøkkel, roller og oppdragsgiver."""
    creditor = None
    if who.creditor_id is not None:
        with engine_of(request).connect() as conn:
            row = conn.execute(select(creditors.c.id, creditors.c.orgnr, creditors.c.name)
                               .where(creditors.c.id == who.creditor_id)).first()
        creditor = CreditorRef(id=row.id, orgnr=row.orgnr, name=row.name) if row else None
    return PrincipalRead(kind=who.kind, user_id=who.user_id, api_key_id=who.api_key_id,
                         name=who.name, roles=list(who.roles), creditor=creditor)
