"""Races with real, separate database connections (two threads), on SQLite and PostgreSQL:
one acceptance wins, the last shelter place is taken once, a double submit sends one referral."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.errors import DomainError, IllegalTransition
from referral.extensions import db
from referral.referrals import capacity, service
from referral.referrals.models import Referral
from referral.web.transaction import run_action
from tests.fixtures import actor, fresh, make_agency, make_user
from tests.referrals.factories import consent, make_case, send


def race(app: Any, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread, app context, session and connection, all at once."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = run_action(call)
            except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def setup(world):
    case = make_case(world["police"], world["officer"], risk="high")
    second = make_user(world["crisis_agency"], name="Second Worker")
    db.session.commit()
    return {"case": case, "second": second, **world}


def _accepts(referral_id: int, *users: Any) -> list[Callable[[], Any]]:
    def call(user_actor: Any) -> Callable[[], Any]:
        return lambda: service.accept_referral(user_actor, referral_id=referral_id).id
    return [call(actor(u)) for u in users]


def test_two_staff_accept_one_referral_exactly_one_wins(app, setup):
    referral = send(setup["officer"], setup["case"], setup["crisis_agency"])
    db.session.commit()
    results = race(app, _accepts(referral.id, setup["crisis"], setup["second"]))
    wins = [r for r in results if r == referral.id]
    losses = [r for r in results if isinstance(r, IllegalTransition)]
    assert len(wins) == 1 and len(losses) == 1, results
    fresh()
    with acting_as(system_actor("test")):
        row = db.session.execute(select(Referral).where(Referral.id == referral.id)).scalar_one()
        winner = row.accepted_by.full_name
        assert capacity.places_in_use(setup["crisis_agency"].id) == 1
    assert winner in losses[0].message and "already accepted" in losses[0].message


def test_last_shelter_place_cannot_be_taken_twice(app, setup):
    small = make_agency("crisis_center", "KZ-75", name="Small shelter", services=("shelter",),
                        shelter_places=1)
    staff = [make_user(small), make_user(small)]
    first = send(setup["officer"], setup["case"], small)
    second = send(setup["officer"], setup["case"], small)
    db.session.commit()
    results = race(app, [_accepts(first.id, staff[0])[0], _accepts(second.id, staff[1])[0]])
    wins = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(wins) == 1 and len(refused) == 1, results
    assert refused[0].field == "overflow_reason"
    fresh()
    with acting_as(system_actor("test")):
        assert capacity.places_in_use(small.id) == 1
        statuses = sorted(db.session.execute(
            select(Referral.status).where(Referral.receiver_agency_id == small.id)).scalars())
    assert statuses == ["accepted", "sent"]


def test_double_submitted_form_sends_one_referral(app, setup):
    officer = actor(setup["officer"])
    data = service.ReferralInput(
        case_id=setup["case"].id, receiver_agency_id=setup["crisis_agency"].id,
        service_code="shelter", consent=consent(), idempotency_key="double-click",
        reason="Needs shelter.")
    results = race(app, [lambda: service.send_referral(officer, data=data).id] * 2)
    assert results[0] == results[1] and isinstance(results[0], int), results
    fresh()
    with acting_as(system_actor("test")):
        count = db.session.execute(select(func.count()).select_from(Referral)).scalar_one()
    assert count == 1
