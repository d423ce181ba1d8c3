"""The request middleware: request id, one JSON log line, security headers, a limit on every
request body (413 before it is read whole), and a problem document instead of any unhandled
error.

A well-formed incoming ``X-Request-ID`` (1–64 of ``A–Z a–z 0–9 . _ : -``) is kept, so a request
can be followed from a proxy or a client's system; otherwise one is made. It is echoed in the
response's ``X-Request-ID`` and written in the audit rows of the request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from krav.web import problems

log = logging.getLogger("krav.web.request")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # a one-time link in a path must not leak onward
    (b"content-security-policy",
     b"default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
]


MAX_BODY = 10 * 1024 * 1024  # no request body is larger (routes may set a smaller limit)


class TooLarge(problems.Problem):
    def __init__(self) -> None:
        super().__init__(413, f"forespørselen er større enn {MAX_BODY // 1024 // 1024} MB",
                         headers={"Connection": "close"})


class RequestMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                message = {**message, "headers": headers}
            await send(message)

        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        received = 0

        async def limited_receive() -> Message:
            """The body, refused (413) as soon as it passes :data:`MAX_BODY` — whether the
            client declared its length or sends it in chunks — before it is read whole."""
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY:
                    raise TooLarge()
            return message

        try:
            if declared.isdigit() and int(declared) > MAX_BODY:
                raise TooLarge()
            await self.app(scope, limited_receive, send_with_headers)
        except problems.Problem as exc:  # raised outside a route (the body limit)
            if status["sent"]:
                raise
            response = problems.answer(Request(scope), exc.status, exc.detail, exc.headers,
                                       **exc.extra)
            await response(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id})
            if status["sent"]:
                raise
            request = Request(scope)
            response = problems.answer(request, 500, "en intern feil oppstod; den er logget "
                                                     "med forespørselens id")
            await response(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            principal = scope.get("state", {}).get("principal_label")
            log.info("request", extra={
                "request_id": request_id, "method": scope.get("method"),
                "route": getattr(route, "path", None) or scope.get("path", "")[:200],
                "status": status["code"], "ms": round((time.perf_counter() - started) * 1000, 1),
                "client": scope.get("state", {}).get("client_address")
                or (scope.get("client") or ("", 0))[0],
                "principal": principal})
