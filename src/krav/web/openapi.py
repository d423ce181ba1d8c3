"""The OpenAPI description of ``/api/v1`` (``/api/v1/openapi.json``), completed from what each
route declares in code, so that a new route is described as fully as the old ones without
anyone remembering to:

- its error answers, each ``application/problem+json`` with the :class:`~krav.web.schemas.
  Problem` schema: 401 when it needs a login or key, 403 when its roles (``requires``) leave
  someone out, 404 when its path names an object, 422 when it takes parameters or a body, and
  400, 413 and 415 when it reads a JSON body (:func:`krav.web.deps.json_body`);
- its request body, from the schema its ``json_body``/``json_model`` dependency names;
- the roles that may call it (``x-krav-roles`` and a line in its description);
- the two ways to authenticate (``Authorization: Bearer KEY``, the session cookie).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from krav.web.problems import MEDIA_TYPE, TITLES
from krav.web.schemas import Problem

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
PROBLEM_REF = {"$ref": REF.format(model="Problem")}
ROLE_TEXT = {"admin": "admin", "handler": "saksbehandler (handler)",
             "creditor_admin": "oppdragsgivers administrator (creditor_admin)",
             "creditor_user": "oppdragsgivers bruker (creditor_user)",
             "apikey": "API-nøkkel"}


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``(path, route)`` of the app that answers methods (an ``APIRoute`` or a plain
    route such as the OpenAPI document's), through included routers (FastAPI ≥ 0.165 keeps
    an included router as one entry) and mounts."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            yield prefix + route.path, route
        elif getattr(route, "routes", None):
            yield from api_routes(route.routes, prefix + route.path)


def dependencies(route: APIRoute) -> list[Callable[..., Any]]:
    """Every dependency the route's answer depends on, sub-dependencies included."""
    out: list[Callable[..., Any]] = []
    if not isinstance(route, APIRoute):
        return out
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if dependant.call is not None:
            out.append(dependant.call)
        stack += dependant.dependencies
    return out


def roles_of(route: APIRoute) -> tuple[str, ...] | None:
    """The roles a route's ``requires(...)`` allows; ``None`` when it has none."""
    found = [call.krav_roles for call in dependencies(route) if hasattr(call, "krav_roles")]
    return tuple(found[0]) if found else None


def body_of(route: APIRoute) -> tuple[bool, Any]:
    """Whether the route reads a JSON body, and the schema (a type) it names, if any."""
    for call in dependencies(route):
        if hasattr(call, "krav_body_limit"):
            return True, getattr(call, "krav_body_schema", None)
    return route.body_field is not None, None


def needs_principal(route: APIRoute) -> bool:
    from krav.web.deps import principal

    return principal in dependencies(route)


def _problem(status: int, description: str | None = None) -> dict[str, Any]:
    return {"description": description or TITLES.get(status, "Feil"),
            "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def _schema_of(annotation: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(annotation).json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    if isinstance(annotation, type) and "title" in schema:
        name = annotation.__name__
        schemas.setdefault(name, schema)
        return {"$ref": REF.format(model=name)}
    return schema


def describe(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, completed as the module says."""
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes,
                       description=app.description, tags=app.openapi_tags)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    _schema_of(Problem, schemas)
    spec["components"]["securitySchemes"] = {
        "apiKey": {"type": "http", "scheme": "bearer",
                   "description": "Authorization: Bearer KEY (krav apikey create)"},
        "session": {"type": "apiKey", "in": "cookie", "name": "krav_session",
                    "description": "innlogget person (økt fra /login)"}}
    for path, route in api_routes(app.routes):
        if not path.startswith(PREFIX) or not getattr(route, "include_in_schema", False):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"].get(path, {}).get(method.lower())
            if operation is not None:
                _complete(operation, path, route, schemas)
    for name in ("HTTPValidationError", "ValidationError"):
        if name in schemas and json.dumps(REF.format(model=name)) not in json.dumps(
                {**spec, "components": {"schemas": {k: v for k, v in schemas.items()
                                                    if k not in ("HTTPValidationError",
                                                                 "ValidationError")}}}):
            del schemas[name]
    return spec


def _complete(operation: dict[str, Any], path: str, route: APIRoute,
              schemas: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    reads_body, body_schema = body_of(route)
    wanted: dict[int, str | None] = {}
    if needs_principal(route):
        wanted[401] = "Ikke innlogget, eller ukjent, utløpt eller trukket API-nøkkel"
        operation["security"] = [{"apiKey": []}, {"session": []}]
    roles = roles_of(route)
    if roles is not None:
        operation["x-krav-roles"] = list(roles)
        allowed = ", ".join(ROLE_TEXT.get(r, r) for r in roles)
        operation["description"] = (operation.get("description", "").rstrip()
                                    + f"\n\nRoller: {allowed}.").lstrip()
        if set(roles) != set(ROLE_TEXT):
            wanted[403] = "Rollen har ikke tilgang"
    if "{" in path:
        wanted[404] = "Finnes ikke (eller tilhører en annen oppdragsgiver)"
    if operation.get("parameters") or reads_body:
        wanted[422] = "Ugyldige data: hvert felt i «errors»"
    if reads_body:
        wanted.update({400: "Ugyldig JSON", 413: "For stor forespørsel",
                       415: "Ikke «Content-Type: application/json»"})
        if body_schema is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _schema_of(body_schema, schemas)}}}
    for status, description in wanted.items():
        given = responses.get(str(status), {})
        responses.setdefault(str(status), _problem(status, description))
        if given.get("description") == "Validation Error":
            given["description"] = description
    for status, response in responses.items():
        if status[:1] in ("4", "5"):
            response["content"] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
            response.setdefault("description", TITLES.get(int(status), "Feil"))


def install(app: FastAPI) -> None:
    """``/api/v1/openapi.json`` answers :func:`describe` (computed once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
