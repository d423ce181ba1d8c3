"""A local OpenID Connect provider playing a BankID broker, for the portal's BankID login: a
small ASGI app served by uvicorn on 127.0.0.1 (a free port) in a thread, with discovery,
``/authorize`` (approves at once, as if the person had used BankID, and sends the browser back
with a code), ``/token`` (checks the client, the redirect URI and the PKCE S256 verifier, and
issues an RS256-signed ID token with ``nin`` and the nonce) and ``/jwks``."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID, CLIENT_SECRET = "krav-test", "broker-secret"


@dataclass
class Provider:
    issuer: str = ""
    person: str = ""  # the national id the next login gets
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": "test-1", "use": "sig", "alg": "RS256"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    wrong_nonce: bool = False
    foreign_key: bool = False

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                    "id_token_signing_alg_values_supported": ["RS256"]}

        @app.get("/authorize")
        def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
            assert q["code_challenge_method"] == "S256" and "openid" in q["scope"]
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": q["code_challenge"], "nonce": q["nonce"],
                                "redirect_uri": q["redirect_uri"], "nin": self.person}
            query = urlencode({"code": code, "state": q["state"]})
            return RedirectResponse(f"{q['redirect_uri']}?{query}", status_code=302)

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = dict(parse_qsl((await request.body()).decode()))
            grant_type, code = form.get("grant_type", ""), form.get("code", "")
            redirect_uri, code_verifier = form.get("redirect_uri", ""), form.get(
                "code_verifier", "")
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
            self.token_requests.append({"code_verifier": code_verifier})
            auth = request.headers.get("authorization", "")
            if auth.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            grant = self.codes.pop(code, None)
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(code_verifier.encode()).digest()).decode().rstrip("=")
            if (grant is None or grant_type != "authorization_code" or client_id != CLIENT_ID
                    or client_secret != CLIENT_SECRET or redirect_uri != grant["redirect_uri"]
                    or challenge != grant["challenge"]):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            key = RSAKey.generate_key(2048, parameters={"kid": "test-1"}) if self.foreign_key \
                else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "test-1"}, {
                "iss": self.issuer, "aud": CLIENT_ID, "sub": "bankid-" + grant["nin"][-4:],
                "iat": now, "exp": now + 300,
                "nonce": "other" if self.wrong_nonce else grant["nonce"],
                "nin": grant["nin"], "acr": "urn:bankid:substantial"}, key)
            return JSONResponse({"access_token": secrets.token_urlsafe(16),
                                 "token_type": "Bearer", "expires_in": 300,
                                 "id_token": id_token})

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_provider() -> Iterator[Provider]:
    """The provider listening on 127.0.0.1; stopped when the block ends."""
    provider = Provider()
    port = free_port()
    provider.issuer = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(provider.app(), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test OIDC provider did not start")
        time.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
