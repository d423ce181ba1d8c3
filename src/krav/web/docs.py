"""``GET /api/v1/docs``: the REST API's interactive documentation (Swagger UI) over
``/api/v1/openapi.json``, every file served by krav itself — no CDN, nothing fetched at run time.

Swagger UI's files (``swagger-ui-bundle.js``, ``swagger-ui.css``; Apache-2.0, SmartBear) come
from the PyPI package ``fastapi-offline`` (MIT), which ships them in ``fastapi_offline/static``;
they are mounted at ``/api/v1/docs/vendor``. The page has no inline script (the app's
Content-Security-Policy forbids it): ``/static/api-docs.js`` starts Swagger UI, without the
online validator. The page's own policy allows Swagger UI's inline styles and ``data:`` images.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(prefix="/api/v1", include_in_schema=False)
VENDOR_URL = "/api/v1/docs/vendor"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")

PAGE = """<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>krav REST API v1 · dokumentasjon</title>
<link rel="icon" type="image/png" href="{vendor}/favicon.png">
<link rel="stylesheet" href="{vendor}/swagger-ui.css">
</head>
<body>
<noscript>Dokumentasjonen trenger JavaScript. Beskrivelsen av API-et som JSON:
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
<div id="swagger-ui" data-openapi-url="/api/v1/openapi.json"></div>
<script src="{vendor}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def vendor_directory() -> Path:
    """Where the installed ``fastapi-offline`` keeps Swagger UI's files."""
    return Path(str(files("fastapi_offline") / "static"))


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """Swagger UI over the OpenAPI description."""
    return HTMLResponse(PAGE.format(vendor=VENDOR_URL),
                        headers={"Content-Security-Policy": CSP,
                                 "Cache-Control": "no-cache"})
