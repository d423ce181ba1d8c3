"""A local Vipps MobilePay ePayment API for the pay page's tests: access token, create (with
``Idempotency-Key``: the same key twice gives the same payment), get, capture; ``approve`` plays
the person approving in the app. Served by uvicorn on 127.0.0.1 (a free port) in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.oidc_support import free_port

MSN, SUBSCRIPTION = "123456", "sub-key"


@dataclass
class FakeVipps:
    url: str = ""
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, str] = field(default_factory=dict)
    captures: list[tuple[str, int, str]] = field(default_factory=list)

    def approve(self, reference: str) -> None:
        self.payments[reference]["state"] = "AUTHORIZED"

    def app(self) -> FastAPI:
        app = FastAPI()

        def checked(request: Request) -> JSONResponse | None:
            if request.headers.get("ocp-apim-subscription-key") != SUBSCRIPTION or \
                    request.headers.get("merchant-serial-number") != MSN:
                return JSONResponse({"title": "bad headers"}, status_code=401)
            return None

        @app.post("/accesstoken/get")
        def token(request: Request) -> Any:
            return checked(request) or {"access_token": "tok", "expires_in": "3600"}

        @app.post("/epayment/v1/payments")
        async def create(request: Request) -> Any:
            refused = checked(request)
            key = request.headers.get("idempotency-key", "")
            if refused or not key or request.headers.get("authorization") != "Bearer tok":
                return refused or JSONResponse({"title": "no key"}, status_code=400)
            body = await request.json()
            reference = self.idempotency.setdefault(key, body["reference"])
            self.payments.setdefault(reference, {
                "reference": reference, "state": "CREATED",
                "amount": body["amount"]["value"], "returnUrl": body["returnUrl"]})
            return {"reference": reference, "redirectUrl": f"{self.url}/app/{reference}"}

        @app.get("/epayment/v1/payments/{reference}")
        def get(request: Request, reference: str) -> Any:
            found = self.payments.get(reference)
            if found is None:
                return JSONResponse({"title": "not found"}, status_code=404)
            return checked(request) or {"reference": reference, "state": found["state"],
                                        "amount": {"currency": "NOK",
                                                   "value": found["amount"]}}

        @app.post("/epayment/v1/payments/{reference}/capture")
        async def capture(request: Request, reference: str) -> Any:
            found = self.payments.get(reference)
            key = request.headers.get("idempotency-key", "")
            if found is None or not key:
                return JSONResponse({"title": "bad capture"}, status_code=400)
            if found["state"] == "CAPTURED":
                return {"reference": reference, "state": "CAPTURED"}  # idempotent
            if found["state"] != "AUTHORIZED":
                return JSONResponse({"title": "not authorized"}, status_code=400)
            value = (await request.json())["modificationAmount"]["value"]
            found["state"] = "CAPTURED"
            self.captures.append((reference, value, key))
            return {"reference": reference, "state": "CAPTURED"}

        return app


@contextmanager
def running_vipps() -> Iterator[FakeVipps]:
    fake = FakeVipps()
    port = free_port()
    fake.url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(fake.app(), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fake Vipps did not start")
        time.sleep(0.02)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
