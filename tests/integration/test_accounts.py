"""Accounts at the service level, on SQLite and PostgreSQL: the client-address throttle, session
expiry (absolute and idle), one-time links superseded by a newer one, and the roles' creditor
rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from tests.factories import NORDLYS, add_creditor

from krav.accounts import sessions, throttle
from krav.accounts.principal import Actor, Principal
from krav.accounts.tables import users
from krav.accounts.users import add_user, new_link, set_password_with_token, token_user
from krav.kernel.errors import InvalidInput, UnableToProceed
from krav.settings import Settings

T0 = datetime(2026, 12, 1, 9, 0)
PASSWORD = "korthest batteri stift"
SETTINGS = Settings(session_hours=12, session_idle_minutes=120)
ACTOR = Actor(Principal.cli("test"), T0)


def _user(conn, email: str = "ops@krav.example") -> str:  # type: ignore[no-untyped-def]
    made = add_user(conn, email, role="admin", creditor_orgnr=None, actor=ACTOR,
                    public_url="http://x", valid=timedelta(hours=1))
    token = made.link.rsplit("/", 1)[1]
    set_password_with_token(conn, token, PASSWORD, PASSWORD, at=T0)
    return token


def test_one_client_address_guessing_many_accounts_is_locked(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _user(conn)
        for n in range(throttle.ADDRESS_LIMIT):
            result = sessions.login(conn, f"gjett{n}@krav.example", "feil", address="10.0.0.9",
                                    at=T0 + timedelta(seconds=n), settings=SETTINGS)
            assert not result.ok
        assert result.locked_until is not None
        # the real person from that address is held too; from another address they get in
        held = sessions.login(conn, "ops@krav.example", PASSWORD, address="10.0.0.9",
                              at=T0 + timedelta(seconds=30), settings=SETTINGS)
        assert not held.ok and held.locked_until is not None
        other = sessions.login(conn, "ops@krav.example", PASSWORD, address="10.0.0.10",
                               at=T0 + timedelta(seconds=30), settings=SETTINGS)
        assert other.ok


def test_failures_an_hour_apart_do_not_add_up(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _user(conn)
        for n in range(10):
            result = sessions.login(conn, "ops@krav.example", "feil", address=f"10.0.0.{n}",
                                    at=T0 + n * timedelta(hours=2), settings=SETTINGS)
            assert result.locked_until is None


def test_a_session_ends_when_idle_or_too_old(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _user(conn)
        token = sessions.login(conn, "ops@krav.example", PASSWORD, address="a", at=T0,
                               settings=SETTINGS).token
        assert token is not None
        at = T0
        for _ in range(5):  # a request every 100 minutes keeps it alive …
            at += timedelta(minutes=100)
            assert sessions.session_principal(conn, token, at=at, settings=SETTINGS) is not None
        # … but not past 12 hours
        assert sessions.session_principal(conn, token, at=T0 + timedelta(hours=12),
                                          settings=SETTINGS) is None
        idle = sessions.login(conn, "ops@krav.example", PASSWORD, address="a", at=T0,
                              settings=SETTINGS).token
        assert sessions.session_principal(conn, idle, at=T0 + timedelta(minutes=121),
                                          settings=SETTINGS) is None
        # once ended for idleness it stays ended
        assert sessions.session_principal(conn, idle, at=T0 + timedelta(minutes=122),
                                          settings=SETTINGS) is None


def test_a_new_link_makes_the_old_one_stop_working(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        first = add_user(conn, "ops@krav.example", role="handler", creditor_orgnr=None,
                         actor=ACTOR, public_url="http://x", valid=timedelta(hours=1))
        second = new_link(conn, "OPS@krav.example", actor=ACTOR, public_url="http://x",
                          valid=timedelta(hours=1))
        old, new = (x.link.rsplit("/", 1)[1] for x in (first, second))
        assert token_user(conn, old, at=T0) is None
        assert token_user(conn, new, at=T0)["email"] == "ops@krav.example"
        with pytest.raises(UnableToProceed, match="ugyldig, brukt eller utløpt"):
            set_password_with_token(conn, old, PASSWORD, PASSWORD, at=T0)
        with pytest.raises(InvalidInput, match="e-postadressen"):
            set_password_with_token(conn, new, "ops@krav.example", "ops@krav.example", at=T0)


def test_creditor_roles_need_a_creditor_and_staff_roles_refuse_one(engine) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    with engine.begin() as conn:
        for role, orgnr, says in (("creditor_user", None, "hører til én oppdragsgiver"),
                                  ("creditor_admin", None, "hører til én oppdragsgiver"),
                                  ("admin", NORDLYS.orgnr, "skal ikke oppgis"),
                                  ("handler", NORDLYS.orgnr, "skal ikke oppgis")):
            with pytest.raises(InvalidInput, match=says):
                add_user(conn, "x@krav.example", role=role, creditor_orgnr=orgnr, actor=ACTOR,
                         public_url="http://x", valid=timedelta(hours=1))
        add_user(conn, "x@nordlys.no", role="creditor_user", creditor_orgnr=NORDLYS.orgnr,
                 actor=ACTOR, public_url="http://x", valid=timedelta(hours=1))
        assert conn.execute(select(users.c.creditor_id)).scalar_one() is not None
        with pytest.raises(UnableToProceed, match="finnes allerede"):
            add_user(conn, "X@Nordlys.no", role="creditor_user", creditor_orgnr=NORDLYS.orgnr,
                     actor=ACTOR, public_url="http://x", valid=timedelta(hours=1))
