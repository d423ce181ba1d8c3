"""BankID through an OpenID Connect broker: authorisation code flow with PKCE (S256), state and
nonce, the ID token's signature checked against the broker's JWKS, and the person's national id
taken from the token — it opens every case of a consumer debtor with that national id.

The broker is named by ``KRAV_BANKID_ISSUER`` (its discovery document at
``/.well-known/openid-configuration``), ``KRAV_BANKID_CLIENT_ID`` and ``_CLIENT_SECRET``; the
claim that carries the national id by ``KRAV_BANKID_NIN_CLAIM`` (``nin`` by default; brokers name
it differently). ``acr_values`` asks for assurance "substantial" or higher when
``KRAV_BANKID_ACR`` is set. authlib makes the authorisation URL and exchanges the code;
joserfc checks the ID token (signature, ``iss``, ``aud``, ``exp``, ``nonce``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from stdnum.no import fodselsnummer

from krav.kernel.errors import UnableToProceed
from krav.settings import Settings

TIMEOUT = 10.0


@dataclass(frozen=True)
class Start:
    url: str
    state: str
    nonce: str
    verifier: str


def configured(settings: Settings) -> bool:
    return bool(settings.bankid_issuer and settings.bankid_client_id)


def _discovery(settings: Settings) -> dict[str, Any]:
    url = settings.bankid_issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        answer = httpx.get(url, timeout=TIMEOUT)
        answer.raise_for_status()
        return answer.json()  # type: ignore[no-any-return]
    except (httpx.HTTPError, ValueError) as exc:
        raise UnableToProceed(f"BankID-tjenesten svarer ikke ({type(exc).__name__})") from None


def _client(settings: Settings, redirect_uri: str) -> OAuth2Client:
    return OAuth2Client(client_id=settings.bankid_client_id,
                        client_secret=settings.bankid_client_secret or None,
                        scope="openid", redirect_uri=redirect_uri,
                        code_challenge_method="S256", timeout=TIMEOUT)


def start(settings: Settings, redirect_uri: str) -> Start:
    """Where to send the browser, and the state, nonce and PKCE verifier to keep until it
    comes back."""
    meta = _discovery(settings)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    extra = {"acr_values": settings.bankid_acr} if settings.bankid_acr else {}
    with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(meta["authorization_endpoint"], state=state,
                                                 nonce=nonce, code_verifier=verifier, **extra)
    return Start(url, state, nonce, verifier)


def finish(settings: Settings, redirect_uri: str, *, code: str, nonce: str,
           verifier: str) -> str:
    """Exchange the code (with the PKCE verifier), check the ID token and return the person's
    national id (fødselsnummer)."""
    meta = _discovery(settings)
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(meta["token_endpoint"], code=code, code_verifier=verifier,
                                       grant_type="authorization_code")
        keys = httpx.get(meta["jwks_uri"], timeout=TIMEOUT)
        keys.raise_for_status()
        key_set = KeySet.import_key_set(keys.json())
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise UnableToProceed(f"BankID-innloggingen kunne ikke fullføres "
                              f"({type(exc).__name__})") from None
    except Exception as exc:  # authlib's OAuth errors (invalid_grant …)
        raise UnableToProceed(f"BankID-innloggingen ble avvist ({exc})") from None
    id_token = token.get("id_token")
    if not id_token:
        raise UnableToProceed("BankID-svaret mangler ID-token")
    try:
        decoded = jwt.decode(id_token, key_set, algorithms=["RS256", "ES256", "PS256"])
        jwt.JWTClaimsRegistry(
            now=int(time.time()), leeway=60,
            iss={"essential": True, "value": meta.get("issuer", settings.bankid_issuer)},
            aud={"essential": True, "value": settings.bankid_client_id},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce}).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise UnableToProceed(f"ID-tokenet fra BankID er ugyldig ({type(exc).__name__})") \
            from None
    nin = str(decoded.claims.get(settings.bankid_nin_claim) or "")
    if not fodselsnummer.is_valid(nin):
        raise UnableToProceed("ID-tokenet fra BankID har ikke et gyldig fødselsnummer")
    return fodselsnummer.compact(nin)
