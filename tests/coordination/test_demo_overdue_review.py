"""The demo seeds referrals that fell between agencies: the overdue review has rows at once."""

from __future__ import annotations

from sqlalchemy import func, select

from referral.access.scope import acting_as, system_actor
from referral.accounts.models import User
from referral.coordination.service import review
from referral.demo import DEMO_PASSWORD, demo_email
from referral.extensions import db
from referral.referrals.models import Referral
from tests.fixtures import actor, fresh, login


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _coordinator() -> User:
    return db.session.execute(select(User).where(
        User.email == demo_email("coordinator"))).scalar_one()


def test_the_demo_review_has_overdue_expired_and_stalled_rows(app, ctx):
    assert _run(app, "seed-demo").exit_code == 0
    fresh()
    result = review.overdue_review(actor(_coordinator()))
    overdue = result.sections[review.OVERDUE]
    assert len(overdue) >= 3
    assert {r.status for r in overdue} == {"sent", "expired"}
    assert sum(r.status == "expired" for r in overdue) >= 1
    assert len(result.sections[review.NO_PROGRESS]) >= 1
    db.session.rollback()
    # Seeding again adds nothing (the fixed idempotency keys).
    with acting_as(system_actor("test")):
        before = db.session.execute(select(func.count()).select_from(Referral)).scalar_one()
    assert _run(app, "seed-demo").exit_code == 0
    fresh()
    with acting_as(system_actor("test")):
        assert db.session.execute(
            select(func.count()).select_from(Referral)).scalar_one() == before


def test_the_demo_coordinator_sees_the_rows_on_the_page(app, ctx, client):
    assert _run(app, "seed-demo").exit_code == 0
    fresh()
    coordinator = _coordinator()
    login(client, coordinator, DEMO_PASSWORD)
    html = client.get("/coordination/").get_data(as_text=True)
    counts = {name: int(html.split(f'data-testid="count-{name}">')[1].split("<")[0])
              for name in (review.OVERDUE, review.NO_PROGRESS)}
    assert counts[review.OVERDUE] >= 3 and counts[review.NO_PROGRESS] >= 1
