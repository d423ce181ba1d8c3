"""The app factory: ``create_app(settings)`` builds the one FastAPI app ``krav serve`` runs.

Each context mounts its own router (``<context>/api.py`` for ``/api/v1``, ``<context>/pages.py``
for pages), as each owns its ``cli.py``. Errors answer ``application/problem+json``
(:mod:`krav.web.problems`); every request gets an id and one JSON log line
(:mod:`krav.web.middleware`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from krav.db.engine import make_engine
from krav.settings import Settings, load_settings
from krav.web import docs, openapi, problems
from krav.web.middleware import RequestMiddleware

ROUTERS = ("krav.web.health", "krav.accounts.pages", "krav.accounts.api")
ROUTERS += ("krav.cases.api", "krav.intake.api")  # the REST API: claims and the creditor
ROUTERS += ("krav.webhooks.api",)  # webhooks
ROUTERS += ("krav.web.docs",)  # /api/v1/docs: Swagger UI, served locally
ROUTERS += ("krav.letters.api",)  # a claim's letters and their PDFs
ROUTERS += ("krav.portal.pages",)  # the debtor portal
ROUTERS += ("krav.payments.api",)  # settlements and their statements
ROUTERS += ("krav.kpi.api",)  # the dashboard's figures
ROUTERS += ("krav.cases.pages",)  # the creditor pages: /saker, /saker/{ref}
ROUTERS += ("krav.accounts.admin_pages",)  # the creditor pages: /admin
ROUTERS += ("krav.intake.pages",)  # the creditor pages: /levere (hand over claims)


# Threads per server process for the synchronous routes and dependencies (the database work).
# Starlette's default is 40; on a 2-core machine more than a handful of threads only queue for
# the GIL, and each switch between them costs latency (measured: p50 of GET /claims/{ref} at
# 200/s fell from ~700 ms to ~60–120 ms on an overloaded host, docs/performance.md). The
# engine's pool (krav.db.engine) has at least this many connections, so none is opened and
# closed per request.
THREADS = 8


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    yield


API_DESCRIPTION = """krav's REST API v1. Authenticate with `Authorization: Bearer KEY` (a
creditor's API key) or a session cookie (/login). A creditor sees only its own claims; another
creditor's object answers 404 exactly like a missing one. Amounts are strings with two decimals
(`"1250.00"`), dates ISO (`"2026-01-05"`). Every error is `application/problem+json` (RFC 9457)
with `errors: [{field, message, allowed}]` when input was wrong; nothing is written then. Each
operation names the roles that may call it."""


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The app for ``settings`` (its database from ``settings.database_url`` unless ``engine``
    is given). It does not migrate: ``krav serve`` does before it starts, and ``/healthz``
    answers 503 while the schema is behind."""
    import importlib

    app = FastAPI(title="krav", version="1", openapi_url="/api/v1/openapi.json",
                  docs_url=None, redoc_url=None, lifespan=_lifespan,
                  description=API_DESCRIPTION)
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url or None)
    problems.install(app)
    app.add_middleware(RequestMiddleware)
    app.mount("/static", StaticFiles(directory=str(files("krav.web") / "static")),
              name="static")
    app.mount(docs.VENDOR_URL, StaticFiles(directory=str(docs.vendor_directory())),
              name="api-docs-vendor")
    for name in ROUTERS:
        app.include_router(importlib.import_module(name).router)
    openapi.install(app)
    return app


def app_from_environment() -> FastAPI:
    """What each uvicorn worker calls (``krav serve``): settings from ``KRAV_*``."""
    from krav.web.logs import configure

    settings = load_settings()
    configure(settings.log_level)
    return create_app(settings)
