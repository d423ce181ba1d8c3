"""Creditor agreements: the dunning policy and the settings that shape a creditor's cases.

A policy is checked against the law in force on the day it is set (and again by every nightly
run); an illegal one is refused with the rule it would break, and nothing is changed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update

from krav.cases.policy import Policy, policy_from_json, validate_policy
from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput, NotFound
from krav.kernel.ids import validate_orgnr
from krav.law import law_book
from krav.ledger.allocation import parse_order


def read_policy_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput("filen finnes ikke", where=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"ugyldig JSON: {exc.msg}",
                           where=f"{path}, linje {exc.lineno}") from None
    if not isinstance(data, dict):
        raise InvalidInput("policyen må være et JSON-objekt", where=str(path))
    return data


def set_policy(conn: Connection, orgnr: str, data: dict[str, Any], *, on: date,
               where: str = "policy") -> Policy:
    """Parse, check against the law in force ``on`` and store ``data`` as the creditor's policy."""
    orgnr = validate_orgnr(orgnr, where="ORGNR")
    policy = validate_policy(policy_from_json(data, where=where), law_book(), on=on)
    result = conn.execute(update(creditors).where(creditors.c.orgnr == orgnr)
                          .values(policy=policy.to_json()))
    if result.rowcount != 1:
        raise NotFound(f"ukjent kreditor {orgnr}")
    return policy


def set_allocation_order(conn: Connection, orgnr: str, order: str) -> None:
    """The creditor's payment order (dekningsrekkefølge), e.g. ``costs,interest,principal``."""
    parsed = parse_order(order)
    result = conn.execute(update(creditors).where(creditors.c.orgnr == orgnr)
                          .values(allocation_order=",".join(parsed)))
    if result.rowcount != 1:
        raise NotFound(f"ukjent kreditor {orgnr}")


def list_creditors(conn: Connection) -> list[dict[str, Any]]:
    return [{
        "orgnr": r.orgnr, "name": r.name, "allocation_order": r.allocation_order,
        "kid_mod": r.kid_mod, "kid_length": r.kid_length,
        "policy": policy_from_json(r.policy).to_json(),
    } for r in conn.execute(select(creditors).order_by(creditors.c.name))]
