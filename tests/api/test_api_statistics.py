"""Statistics through the API: the export's rows with small counts suppressed, for coordinators
of the region only."""

from __future__ import annotations

from datetime import timedelta

from referral.extensions import db
from referral.models_base import utcnow
from tests.api.helpers import Api, token_for
from tests.coordination.factories import make_referral
from tests.referrals.factories import make_case


def test_small_counts_are_suppressed_and_the_call_is_audited(ctx, client, world):
    case = make_case(world["police"], world["officer"])
    sent = utcnow() - timedelta(days=1)
    for _ in range(3):
        make_referral(case, world["officer"], world["crisis_agency"], sent_at=sent)
    for _ in range(6):
        make_referral(case, world["officer"], world["crisis_agency"], service="psychological",
                      sent_at=sent)
    db.session.commit()
    coordinator, officer = (Api(client, token_for(world[who]))
                            for who in ("coordinator", "officer"))
    answer = coordinator.get("/statistics?region=KZ-75")
    assert answer.status_code == 200, answer.json
    assert answer.json["suppression_threshold"] == 5
    rows = {r["value"]: r for r in answer.json["rows"]
            if r["measure"] == "referrals" and r["dimension"] == "service"}
    assert rows["shelter"]["count"] is None and rows["shelter"]["suppressed"] is True
    assert rows["psychological"]["count"] == 6 and rows["psychological"]["suppressed"] is False
    assert "KZ-75" in answer.json["regions"]
    assert officer.get("/statistics").status_code == 404
    assert coordinator.get("/statistics?region=KZ-43").status_code == 404
    backwards = coordinator.get("/statistics?start=2026-03-01&end=2026-01-01")
    assert backwards.status_code == 422
    decade = coordinator.get("/statistics?start=2015-01-01&end=2025-01-01", headers={
        "Accept-Language": "ru"})
    assert decade.status_code == 422 and "трёх лет" in decade.json["detail"]
