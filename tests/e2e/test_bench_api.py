"""``krav bench api`` end to end, small: the JSON it prints has the contract's shape and the
server answered every request. Not timed — the figures themselves live in docs/performance.md."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCENARIO_KEYS = {"requests", "rps", "p50_ms", "p99_ms", "errors"}


@pytest.mark.slow
def test_bench_api_runs_both_scenarios_without_errors(db_url: str) -> None:
    done = subprocess.run([sys.executable, "-m", "krav", "bench", "api", "--claims", "50",
                           "--duration", "1", "--rate", "50", "--batch", "100", "--json",
                           "--db", db_url], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert {"claims", *SCENARIO_KEYS} <= result.keys()
    assert result["claims"] == 50
    assert result["requests"] == 50 and result["errors"] == 0, result
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    post = result["post"]
    assert {"batch", "claims", "claims_per_second", *SCENARIO_KEYS} <= post.keys()
    assert post["errors"] == 0 and post["requests"] >= 1, post
    assert post["claims"] == 100 * post["requests"] and post["claims_per_second"] > 0
    assert result["db"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert "bygger 50 krav" in done.stderr  # progress while building, on standard error
