"""The inbox and the outbox through the API: filters, and cursor pages that neither repeat nor
skip a referral while new ones arrive."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from referral.extensions import db
from referral.models_base import utcnow
from tests.api.helpers import Api, token_for
from tests.coordination.factories import make_referral
from tests.fixtures import make_agency
from tests.referrals.factories import make_case


def _walk(api: Api, path: str, limit: int, between: Any = None) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        query = f"{path}{'&' if '?' in path else '?'}limit={limit}"
        answer = api.get(query + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status_code == 200, answer.json
        seen += [item["id"] for item in answer.json["items"]]
        cursor = answer.json["next_cursor"]
        if between is not None:
            between()
            between = None
        if cursor is None:
            return seen


def test_pages_neither_repeat_nor_skip_while_a_referral_arrives(ctx, client, world):
    case = make_case(world["police"], world["officer"])
    now = utcnow()
    made = [make_referral(case, world["officer"], world["crisis_agency"],
                          sent_at=now - timedelta(hours=i)) for i in range(7)]
    # two sent at the same moment: the id breaks the tie
    made.append(make_referral(case, world["officer"], world["crisis_agency"],
                              sent_at=now - timedelta(hours=3)))
    db.session.commit()
    api = Api(client, token_for(world["crisis"]))

    def arrives() -> None:
        make_referral(case, world["officer"], world["crisis_agency"], sent_at=utcnow())
        db.session.commit()

    seen = _walk(api, "/referrals/inbox", 3, between=arrives)
    assert sorted(seen) == sorted(r.id for r in made)
    assert len(seen) == len(set(seen))
    outbox = _walk(Api(client, token_for(world["officer"])), "/referrals/outbox", 2)
    assert len(outbox) == len(made) + 1 == len(set(outbox))


def test_filters_of_the_inbox_and_the_outbox(ctx, client, world):
    case = make_case(world["police"], world["officer"])
    health = make_agency("health", "KZ-75", services=("medical",))
    now = utcnow()
    overdue = make_referral(case, world["officer"], world["crisis_agency"],
                            sent_at=now - timedelta(days=3), deadline=timedelta(hours=1))
    fresh_one = make_referral(case, world["officer"], world["crisis_agency"], urgency="routine",
                              sent_at=now - timedelta(minutes=5), deadline=timedelta(days=2))
    accepted = make_referral(case, world["officer"], world["crisis_agency"], status="accepted",
                             service="psychological", sent_at=now - timedelta(days=1))
    closed = make_referral(case, world["officer"], world["crisis_agency"], status="declined",
                           sent_at=now - timedelta(days=1))
    medical = make_referral(case, world["officer"], health, service="medical")
    db.session.commit()
    crisis, police, other, coordinator = (Api(client, token_for(world[who])) for who in (
        "crisis", "officer", "other", "coordinator"))

    def ids(api: Api, path: str) -> set[int]:
        answer = api.get(path)
        assert answer.status_code == 200, answer.json
        return {item["id"] for item in answer.json["items"]}

    assert ids(crisis, "/referrals/inbox") == {overdue.id, fresh_one.id, accepted.id}
    assert ids(crisis, "/referrals/inbox?overdue=true") == {overdue.id}
    assert ids(crisis, "/referrals/inbox?status=declined&status=accepted") == {
        closed.id, accepted.id}
    assert ids(crisis, "/referrals/inbox?service=psychological") == {accepted.id}
    assert ids(crisis, "/referrals/inbox?urgency=routine") == {fresh_one.id}
    assert ids(police, f"/referrals/outbox?agency_id={medical.receiver_agency_id}") == {medical.id}
    assert ids(police, "/referrals/outbox?status=declined") == {closed.id}
    assert police.get("/referrals/inbox?status=nonsense").status_code == 422
    assert police.get("/referrals/inbox?cursor=not-a-cursor").status_code == 422
    assert ids(other, "/referrals/outbox") == set()
    assert coordinator.get("/referrals/inbox").status_code == 404
