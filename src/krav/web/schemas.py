"""The shapes the REST API shares, for its OpenAPI description: the problem document
(RFC 9457) every error is, and the JSON forms of money, days and ids.

Money is a string with two decimals (``"1250.00"``, ``"-100.00"``), never a JSON number: a
client's float must never round an amount. Days are ISO dates (``"2026-01-05"``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

AMOUNT_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MAX_ID = 2**63 - 1  # the database's ids are 64-bit

Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN, examples=["1250.00"],
                              description="beløp i kroner: en tekst med to desimaler")]
DecimalText = Annotated[str, Field(pattern=DECIMAL_PATTERN, examples=["12.5"],
                               description="et desimaltall som tekst")]
Day = Annotated[str, Field(pattern=DATE_PATTERN, examples=["2026-01-05"],
                           description="dato, ISO 8601 (ÅÅÅÅ-MM-DD)")]
# Input: described here, checked by krav's own validation (the claims file's), whose answers
# name the field and what is allowed — so the schema documents, it does not refuse.
AmountIn = Annotated[str, Field(json_schema_extra={
    "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "examples": ["1250.00"]},
    description="beløp i kroner: en tekst, punktum og høyst to desimaler")]
DayIn = Annotated[str, Field(json_schema_extra={"format": "date", "examples": ["2026-01-05"]},
                             description="dato, ISO 8601 (ÅÅÅÅ-MM-DD)")]
IdPath = Annotated[int, Path(ge=-MAX_ID - 1, le=MAX_ID, examples=[1],
                             description="id (et 64-biters heltall; ukjent: 404)")]


class FieldError(BaseModel):
    """One bad input: which field (``body`` for the document itself; for a list of claims
    with the item's ``index``), what is wrong and, where it helps, what is allowed."""

    field: str = Field(description="feltet (f.eks. «amount», «query.limit», «body»)")
    message: str
    allowed: str | None = Field(default=None, description="hva som er tillatt")
    index: int | None = Field(default=None, description="elementets nummer i en liste (fra 0)")


class Problem(BaseModel):
    """An error (RFC 9457 problem details, ``application/problem+json``)."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})
    type: str = Field(description="URI som identifiserer feiltypen",
                      examples=["https://krav.example/problems/not-found"])
    title: str = Field(description="kort, fast tittel for feiltypen", examples=["Finnes ikke"])
    status: int = Field(ge=400, le=599, description="HTTP-statuskoden")
    detail: str = Field(description="hva som gikk galt, for et menneske")
    instance: str | None = Field(default=None, description="forespørselen: urn:krav:request:ID",
                                 examples=["urn:krav:request:4f1c2d"])
    request_id: str | None = Field(default=None,
                                   description="forespørselens id (som X-Request-ID)")
    errors: list[FieldError] | None = Field(default=None,
                                            description="hvert ugyldige felt, når data var feil")
