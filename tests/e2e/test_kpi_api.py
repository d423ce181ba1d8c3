"""``GET /api/v1/kpi`` on SQLite and PostgreSQL: the object ``krav kpi --json`` prints, a
creditor's key and user confined to their own creditor, agency staff any or all."""

from __future__ import annotations

from tests.e2e.test_api import bearer, client, krav, staff  # noqa: F401 - fixtures
from tests.e2e.test_web import PROBLEM
from tests.factories import FJORDNETT, NORDLYS


def test_the_api_answers_what_the_command_prints(krav, client, engine) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nordlys = bearer(krav)
    query = "period=2026-01&as_of=2026-02-15"
    own = client.get(f"/api/v1/kpi?{query}", headers=nordlys)
    assert own.status_code == 200
    assert own.json() == krav.json("kpi", "--creditor", NORDLYS.orgnr, "--period", "2026-01",
                                   "--as-of", "2026-02-15")
    assert own.json()["creditor"] == NORDLYS.orgnr and own.json()["cohort"]["handed_over"] == 3
    named = client.get(f"/api/v1/kpi?{query}&orgnr={NORDLYS.orgnr}", headers=nordlys)
    assert named.json() == own.json()
    theirs = client.get(f"/api/v1/kpi?{query}&orgnr={FJORDNETT.orgnr}", headers=nordlys)
    unknown = client.get(f"/api/v1/kpi?{query}&orgnr=999999999", headers=nordlys)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.headers["content-type"] == PROBLEM
    assert FJORDNETT.name not in theirs.text
    # agency staff: every creditor without orgnr, any one with it
    person = staff(krav, engine)
    everyone = person.get(f"/api/v1/kpi?{query}").json()
    assert everyone["creditor"] is None and everyone["cohort"]["handed_over"] == 4
    assert everyone == krav.json("kpi", "--period", "2026-01", "--as-of", "2026-02-15")
    assert person.get(f"/api/v1/kpi?{query}&orgnr={FJORDNETT.orgnr}").json()[
        "cohort"]["handed_over"] == 1
    for bad, field in (("period=2026-13", "period"), ("period=x", "period"),
                       ("as_of=2026-02-30", "as_of")):
        refused = client.get(f"/api/v1/kpi?{bad}", headers=nordlys)
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"] == field
    assert client.get("/api/v1/kpi").status_code == 401
