"""Structured logs: one JSON object per line on standard error.

The request middleware (:mod:`krav.web.middleware`) writes one ``request`` line per request with
its id, method, route (the route's template, so a token in a path never reaches the log),
status, duration, client address and principal.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

FIELDS = ("request_id", "method", "route", "status", "ms", "client", "principal")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"), "level": record.levelname.lower(),
                "logger": record.name, "msg": record.getMessage()}
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "info") -> None:
    """Route every logger (krav's and uvicorn's) to one JSON stream."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # healthz asks Alembic for the revision on every call; its "Context impl" lines are noise
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    access = logging.getLogger("uvicorn.access")  # krav writes its own line per request
    access.handlers[:] = []
    access.propagate = False
