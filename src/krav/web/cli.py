"""``krav serve``: the web server (FastAPI under uvicorn)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from krav.cli.apps import app
from krav.cli.common import DbOption, console, open_db
from krav.kernel.errors import InvalidInput


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Adressen serveren lytter på")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Porten")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Prosesser (standard 1)")] = 1,
    db: DbOption = None,
) -> None:
    """Start webserveren: innlogging, API (/api/v1) og /healthz. Innstillinger fra KRAV_*."""
    import uvicorn

    from krav.db.engine import database_url
    from krav.settings import load_settings, site_url

    if not 0 < port < 65536:
        raise InvalidInput(f"ugyldig port {port}", where="--port", allowed="1–65535")
    if workers < 1:
        raise InvalidInput("må være minst 1", where="--workers")
    url = database_url(db)
    os.environ["KRAV_DATABASE_URL"] = url  # every worker reads its settings from the environment
    settings = load_settings()  # fail on a bad setting before listening
    open_db(url)  # bring the schema to the newest migration once, before the workers start
    console.print(f"krav lytter på http://{host}:{port} (offentlig adresse {site_url(settings)},"
                  f" {workers} prosess{'er' if workers > 1 else ''})")
    from krav.web.logs import configure

    configure(settings.log_level)
    # proxy headers are read by krav itself, only from KRAV_TRUSTED_PROXIES (krav.web.deps)
    uvicorn.run("krav.web.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, proxy_headers=False, server_header=False, access_log=False,
                log_config=None, log_level=settings.log_level)
