"""A realistic sample book of claims for the demo and benchmarks (seeded, reproducible).

Identity numbers are generated with valid check digits (they are synthetic: no real person or
company is meant). Not used by production code paths.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from krav.intake.claims_csv import COLUMNS
from krav.kernel.ids import mod11_check

FIRST = ("Ola", "Kari", "Per", "Ingrid", "Lars", "Sigrid", "Anders", "Nora", "Jonas", "Emma",
         "Magnus", "Sofie", "Henrik", "Maja", "Eirik", "Thea", "Aksel", "Ida", "Sindre", "Hanna")
LAST = ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
        "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
        "Johannessen", "Andreassen", "Jacobsen", "Dahl")
STREETS = ("Storgata", "Kirkeveien", "Skolegata", "Parkveien", "Fjordgata", "Bakkeveien",
           "Elvegata", "Strandveien", "Lia", "Granveien")
PLACES = (("0150", "Oslo"), ("5003", "Bergen"), ("7010", "Trondheim"), ("4006", "Stavanger"),
          ("9008", "Tromsø"), ("2317", "Hamar"), ("3015", "Drammen"), ("8006", "Bodø"),
          ("4611", "Kristiansand"), ("6002", "Ålesund"))
COMPANIES = ("Bygg", "Transport", "Rør", "Elektro", "Regnskap", "Frisør", "Kafé", "Maling",
             "Data", "Snekker")
CREDITORS = (
    ("Nordlys Energi AS", "strøm", {"kid_mod": 10}),
    ("Fjordnett Bredbånd AS", "bredbånd", {"kid_mod": 11}),
    ("Vestland Rørleggerservice AS", "rørleggerarbeid", {"kid_mod": 10}),
)


def orgnr(rng: random.Random) -> str:
    while True:
        body = str(rng.randint(80000000, 99999999))
        check = mod11_check(body)
        if check != "-":
            return body + check


def fodselsnummer(rng: random.Random) -> str:
    """A synthetic fødselsnummer (born 1950–1999, individual number 000–499)."""
    w1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    w2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    while True:
        born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 18000))
        digits = [int(c) for c in born.strftime("%d%m%y") + f"{rng.randint(0, 499):03d}"]
        k1 = (11 - sum(a * b for a, b in zip(w1, digits, strict=True))) % 11
        if k1 == 10:
            continue
        k2 = (11 - sum(a * b for a, b in zip(w2, digits + [k1], strict=True))) % 11
        if k2 == 10:
            continue
        return "".join(map(str, digits + [k1, k2]))


@dataclass(frozen=True)
class SampleBook:
    creditors: list[tuple[str, str]]  # (orgnr, name)
    path: Path
    claims: int


def write_claims_csv(path: Path, *, count: int, today: date, seed: int = 42) -> SampleBook:
    """Write ``count`` claims due over the year before ``today`` to ``path`` (import format)."""
    rng = random.Random(seed)
    creditors = [(orgnr(rng), name) for name, _, _ in CREDITORS]
    path.parent.mkdir(parents=True, exist_ok=True)
    debtors = [_debtor(rng, i) for i in range(max(1, count * 3 // 4))]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for i in range(count):
            c = rng.randrange(len(creditors))
            due = today - timedelta(days=rng.randint(5, 365))
            kroner = rng.choice((rng.randint(200, 2500), rng.randint(2500, 15000),
                                 rng.randint(15000, 90000)))
            amount = Decimal(kroner) + Decimal(rng.randint(0, 99)) / 100
            d = rng.choice(debtors)
            writer.writerow({
                "creditor_orgnr": creditors[c][0], "creditor_name": creditors[c][1],
                "invoice_number": f"{c + 1}{i + 10000}",
                "invoice_date": (due - timedelta(days=14)).isoformat(),
                "due_date": due.isoformat(), "amount": f"{amount:.2f}", "currency": "NOK",
                **d, "kid": "", "description": f"Faktura for {CREDITORS[c][1]}",
            })
    return SampleBook(creditors=creditors, path=path, claims=count)


def _debtor(rng: random.Random, i: int) -> dict[str, str]:
    business = rng.random() < 0.3
    postcode, city = rng.choice(PLACES)
    last = rng.choice(LAST)
    name = f"{last} {rng.choice(COMPANIES)} AS" if business else f"{rng.choice(FIRST)} {last}"
    email = "" if rng.random() < 0.4 else f"kunde{i}@example.no"
    return {
        "debtor_kind": "business" if business else "consumer", "debtor_name": name,
        "debtor_id": orgnr(rng) if business else fodselsnummer(rng),
        "debtor_address": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
        "debtor_postcode": postcode, "debtor_city": city, "debtor_country": "NO",
        "debtor_email": email, "debtor_phone": f"9{rng.randint(1000000, 9999999)}",
    }
