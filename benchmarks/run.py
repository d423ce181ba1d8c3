"""`make bench`: run every benchmark once and print one table.

Sizes can be overridden with environment variables (KRAV_BENCH_CLAIMS, KRAV_BENCH_DUE,
KRAV_BENCH_LETTERS, KRAV_BENCH_PAYMENTS, KRAV_BENCH_KPI_CLAIMS, KRAV_BENCH_API_CLAIMS). Each
benchmark is the `krav bench …` command, run in a subprocess so that peak memory is measured per
benchmark.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import date

KRAV = [sys.executable, "-m", "krav"]


def run(args: list[str]) -> dict:
    out = subprocess.run(KRAV + args + ["--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    claims = os.environ.get("KRAV_BENCH_CLAIMS", "200000")
    due = os.environ.get("KRAV_BENCH_DUE", "10000")
    letters = os.environ.get("KRAV_BENCH_LETTERS", "1000")
    payments = os.environ.get("KRAV_BENCH_PAYMENTS", "100000")
    kpi_claims = os.environ.get("KRAV_BENCH_KPI_CLAIMS", "200000")
    api_claims = os.environ.get("KRAV_BENCH_API_CLAIMS", "20000")
    api = ["bench", "api", "--claims", api_claims, "--duration", "5"]
    benches = [
        ("nightly (SQLite)", ["bench", "nightly", "--claims", claims, "--due", due]),
        ("letters", ["bench", "letters", "--count", letters]),
        ("payments (OCR, SQLite)", ["bench", "payments", "--transactions", payments]),
        ("kpi (SQLite)", ["bench", "kpi", "--claims", kpi_claims]),
        ("api (SQLite)", api),
    ]
    pg = os.environ.get("KRAV_BENCH_POSTGRES_URL")
    if pg:
        benches.insert(1, ("nightly (PostgreSQL)",
                           ["bench", "nightly", "--claims", claims, "--due", due, "--db", pg]))
        benches.append(("api (PostgreSQL)", [*api, "--db", pg]))
    print(f"krav benchmarks — {date.today()} — {platform.node()} ({os.cpu_count()} cores, "
          f"Python {platform.python_version()})")
    print(f"{'benchmark':<24} {'result'}")
    for name, args in benches:
        try:
            result = run(args)
        except subprocess.CalledProcessError as exc:
            result = {"error": (exc.stderr or "").strip().splitlines()[-1:] or "failed"}
        print(f"{name:<24} {json.dumps(result)}")


if __name__ == "__main__":
    main()
