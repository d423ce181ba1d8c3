"""``/api/v1/docs``: Swagger UI with every file served by krav itself (no CDN): the page, each
file it references, and each file those reference, fetched from the app; no external address."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from fastapi.testclient import TestClient

from krav.settings import Settings
from krav.web.app import create_app

EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)  # http://, https://, //host


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ("src", "href", "data-openapi-url", "action", "poster"):
                self.found.append(value)


def css_references(css: str) -> list[str]:
    return [u.strip("'\" ") for u in re.findall(r"url\(\s*([^)]*?)\s*\)", css)
            if not u.strip("'\" ").startswith("data:")] + re.findall(
        r"@import\s+['\"]([^'\"]+)", css)


def test_the_docs_and_every_file_they_use_are_served_by_krav() -> None:
    client = TestClient(create_app(Settings(public_url="http://testserver")))
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]  # only 'self' scripts
    assert "<script>" not in page.text  # no inline script (the policy would refuse it)
    parser = References()
    parser.feed(page.text)
    assert parser.found, page.text
    queue = [urljoin("/api/v1/docs", ref) for ref in parser.found]
    seen: dict[str, str] = {}
    while queue:
        url = queue.pop()
        assert not EXTERNAL.match(url), url
        if url in seen:
            continue
        answer = client.get(url)
        assert answer.status_code == 200, url
        kind = answer.headers["content-type"]
        seen[url] = kind
        if kind.startswith("text/css"):
            queue += [urljoin(url, ref) for ref in css_references(answer.text)]
    kinds = set(seen.values())
    assert any(k.startswith("text/css") for k in kinds)
    assert sum("javascript" in k for k in kinds) >= 1
    assert any(k.startswith("application/json") for k in kinds)  # the OpenAPI description
    assert "/api/v1/docs/vendor/swagger-ui-bundle.js" in seen
    assert "/static/api-docs.js" in seen
    starter = client.get("/static/api-docs.js").text
    assert "validatorUrl: null" in starter  # Swagger UI would otherwise call an online validator
    assert not re.search(r"https?://", starter)
