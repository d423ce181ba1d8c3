"""Creditors (oppdragsgivere): their profile, the dunning policy and the settings that shape
a creditor's cases.

A policy is checked against the law in force on the day it is set (and again by every nightly
run); an illegal one is refused with the rule it would break, and nothing is changed. A profile
is validated field by field (org number and account number with python-stdnum); one lacking what
the letters need holds the creditor's cases (:mod:`krav.cases.profile`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from krav.cases.policy import Policy, policy_from_json, validate_policy
from krav.cases.profile import PROFILE_FIELDS, missing_fields, parse_profile
from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed
from krav.kernel.ids import validate_orgnr
from krav.law import law_book
from krav.ledger.allocation import parse_order

if TYPE_CHECKING:
    from krav.accounts.principal import Actor


def _audit(conn: Connection, actor: Actor | None, action: str, orgnr: str,
           details: dict[str, Any]) -> None:
    from krav.audit.service import record

    creditor_id = conn.execute(select(creditors.c.id).where(creditors.c.orgnr == orgnr)).scalar()
    record(conn, actor, action, creditor_id=creditor_id, details={"orgnr": orgnr, **details})


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
               where: str = "policy", actor: Actor | None = None) -> Policy:
    """Parse, check against the law in force ``on`` and store ``data`` as the creditor's policy."""
    orgnr = validate_orgnr(orgnr, where="ORGNR")
    policy = validate_policy(policy_from_json(data, where=where), law_book(), on=on)
    result = conn.execute(update(creditors).where(creditors.c.orgnr == orgnr)
                          .values(policy=policy.to_json()))
    if result.rowcount != 1:
        raise NotFound(f"ukjent kreditor {orgnr}")
    _audit(conn, actor, "creditor.set_policy", orgnr, {"policy": policy.to_json(),
                                                       "on": on.isoformat()})
    return policy


def set_allocation_order(conn: Connection, orgnr: str, order: str,
                         actor: Actor | None = None) -> None:
    """The creditor's payment order (dekningsrekkefølge), e.g. ``costs,interest,principal``."""
    parsed = parse_order(order)
    result = conn.execute(update(creditors).where(creditors.c.orgnr == orgnr)
                          .values(allocation_order=",".join(parsed)))
    if result.rowcount != 1:
        raise NotFound(f"ukjent kreditor {orgnr}")
    _audit(conn, actor, "creditor.set_order", orgnr, {"order": ",".join(parsed)})


OPTION = {"name": "--name", "address": "--address", "postcode": "--postcode", "city": "--city",
          "account_number": "--account", "email": "--email", "phone": "--phone",
          "commission_pct": "--commission", "language": "--language"}
REQUIRED_ON_ADD = ("name", "address", "postcode", "city", "account_number")


def add_creditor(conn: Connection, orgnr: str, values: dict[str, str | None],
                 actor: Actor | None = None) -> dict[str, Any]:
    """Onboard a creditor with a complete profile; refused if the org number is registered."""
    orgnr = validate_orgnr(orgnr, where="ORGNR")
    absent = [OPTION[k] for k in REQUIRED_ON_ADD if not (values.get(k) or "").strip()]
    if absent:
        raise InvalidInput(f"mangler {', '.join(absent)}", where=f"krav creditor add {orgnr}")
    profile = parse_profile(values, OPTION.__getitem__)
    if conn.execute(select(creditors.c.id).where(creditors.c.orgnr == orgnr)).first():
        raise UnableToProceed(f"oppdragsgiver {orgnr} finnes allerede; endre den med "
                              f"`krav creditor update {orgnr}`")
    conn.execute(insert(creditors).values(
        orgnr=orgnr, kid_mod=10, kid_length=10, kid_prefix="", vat_deductible=True,
        allocation_order="costs,interest,principal", policy=None, channels=None,
        **{"email": "", "phone": "", "commission_pct": "0", "language": "nb", **profile}))
    _audit(conn, actor, "creditor.add", orgnr, {"profile": profile})
    return show_creditor(conn, orgnr)


def update_creditor(conn: Connection, orgnr: str, values: dict[str, str | None],
                    actor: Actor | None = None) -> dict[str, Any]:
    """Change the given fields of a creditor's profile (``None`` leaves a field as it is)."""
    orgnr = validate_orgnr(orgnr, where="ORGNR")
    profile = parse_profile(values, OPTION.__getitem__)
    if not profile:
        raise InvalidInput("ingenting å endre", where=f"krav creditor update {orgnr}",
                           allowed=", ".join(OPTION.values()))
    result = conn.execute(update(creditors).where(creditors.c.orgnr == orgnr).values(**profile))
    if result.rowcount != 1:
        raise NotFound(f"ukjent oppdragsgiver {orgnr}; registrer den med `krav creditor add`")
    _audit(conn, actor, "creditor.update", orgnr, {"changed": profile})
    return show_creditor(conn, orgnr)


def _profile(row: Any) -> dict[str, Any]:
    data = {"orgnr": row.orgnr, **{k: getattr(row, k) for k in PROFILE_FIELDS}}
    data["missing"] = missing_fields(data)
    return data


def show_creditor(conn: Connection, orgnr: str) -> dict[str, Any]:
    """One creditor: its profile, what letters still need (``missing``) and its agreement."""
    orgnr = validate_orgnr(orgnr, where="ORGNR")
    row = conn.execute(select(creditors).where(creditors.c.orgnr == orgnr)).first()
    if row is None:
        raise NotFound(f"ukjent oppdragsgiver {orgnr}; registrer den med `krav creditor add`")
    return {**_profile(row), "allocation_order": row.allocation_order,
            "kid_mod": row.kid_mod, "kid_length": row.kid_length,
            "policy": policy_from_json(row.policy).to_json()}


def list_creditors(conn: Connection) -> list[dict[str, Any]]:
    return [{
        **_profile(r), "allocation_order": r.allocation_order,
        "kid_mod": r.kid_mod, "kid_length": r.kid_length,
        "policy": policy_from_json(r.policy).to_json(),
    } for r in conn.execute(select(creditors).order_by(creditors.c.name))]
