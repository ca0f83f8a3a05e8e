"""Agency performance's month rows (migrations 0019, 0022): kept by triggers through every kind
of change a referral goes through (its opening and an entry in error included), equal to the
figures counted from the referrals themselves, and used only where they answer exactly."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

from referral.access.scope import acting_as
from referral.cases.models import Case
from referral.coordination.local_time import display_zone
from referral.coordination.models import ReferralMonthFigures
from referral.coordination.stats import month_rows, numbers, sql
from referral.coordination.stats import performance as service
from referral.extensions import db
from referral.referrals.models import Referral
from tests.cases.factories import as_system
from tests.coordination.test_coordination_figures_sql import busy  # noqa: F401 - fixture
from tests.fixtures import actor, recorded_statements

pytestmark = pytest.mark.postgres

RANGES = [(date(2026, 1, 1), date(2026, 5, 31)), (date(2026, 2, 1), date(2026, 2, 28)),
          (date(2026, 4, 1), date(2026, 3, 31))]


def _both(coordinator, start: date, end: date, agency_id: int | None):
    first, last = service.local_bounds(start, end)
    periods = sql.periods(first, last, numbers.MONTH, display_zone())
    with acting_as(coordinator):
        counted = service.figures_in_database(service._where(["KZ-75"], first, last, agency_id),
                                              periods)
        kept = service.figures_from_months(["KZ-75"], start, end, agency_id, periods)
    return counted, kept


def _assert_same(world) -> None:
    coordinator = actor(world["coordinator"])
    for (start, end) in RANGES:
        for agency_id in (None, world["agencies"][1].id):
            counted, kept = _both(coordinator, start, end, agency_id)
            assert kept == counted, (start, end, agency_id)


def _rows() -> list[tuple]:
    return sorted((r.region_code, r.month, r.receiver_agency_id, r.received, r.accepted,
                   r.within_deadline, r.completed, r.opened, r.declines, r.outcomes,
                   sorted(r.accept_micros))
                  for r in db.session.execute(
                      select(ReferralMonthFigures).where(ReferralMonthFigures.received > 0)
                  ).scalars())


def test_month_rows_give_the_figures_counted_from_the_referrals(busy):  # noqa: F811
    counted, _kept = _both(actor(busy["coordinator"]), *RANGES[0], None)
    assert counted.total.received > 250 and len(counted.periods) == 5
    _assert_same(busy)


def test_the_triggers_follow_every_change_and_agree_with_a_recount(busy):  # noqa: F811
    with as_system():
        ids = db.session.execute(select(Referral.id).where(Referral.region_code == "KZ-75")
                                 .order_by(Referral.id)).scalars().all()

        def change(referral_id: int, **values) -> None:
            db.session.execute(update(Referral).where(Referral.id == referral_id)
                               .values(**values))

        sent = datetime(2026, 3, 10, 8, tzinfo=UTC)
        change(ids[0], status="accepted", accepted_at=sent + timedelta(hours=3), sent_at=sent)
        change(ids[1], status="declined", decline_reason="out_of_area", accepted_at=None)
        change(ids[2], status="completed", outcome="goals_met")
        change(ids[3], deadline_at=datetime(2027, 1, 1, tzinfo=UTC))  # within the deadline now
        change(ids[4], receiver_agency_id=busy["agencies"][2].id)  # reassigned
        change(ids[5], sent_at=datetime(2026, 4, 30, 19, 30, tzinfo=UTC))  # May in Almaty
        change(ids[6], status="expired")  # no change to any figure: no trigger
        change(ids[9], received_at=sent + timedelta(hours=1))  # opened
        change(ids[10], status="entered_in_error", received_at=sent)  # out of every figure
        change(ids[11], status="entered_in_error")
        change(ids[11], status="sent")  # back in (the trigger adds what it took out)
        db.session.execute(delete(Referral).where(Referral.id == ids[7]))
        flipped = db.session.get(Referral, ids[8]).case_id
        db.session.execute(update(Case).where(Case.id == flipped).values(restricted=True))
        db.session.flush()
        _assert_same(busy)
        db.session.execute(update(Case).where(Case.id == flipped).values(restricted=False))
        kept = _rows()
        _assert_same(busy)
        month_rows.rebuild(display_zone().key)
        assert _rows() == kept
        db.session.commit()


def test_a_duration_taken_out_is_one_occurrence_of_it(busy):  # noqa: F811
    """Two referrals of one month and agency accepted after the same time: undoing one leaves
    the other's."""
    with as_system():
        pair = db.session.execute(select(Referral).where(Referral.region_code == "KZ-75",
                                                         Referral.accepted_at.is_not(None))
                                  .order_by(Referral.id).limit(1)).scalar_one()
        twin = Referral(**{c.key: getattr(pair, c.key) for c in Referral.__table__.columns
                           if c.key not in ("id", "reference", "idempotency_key")},
                        reference="R-TWIN", idempotency_key="twin")
        db.session.add(twin)
        db.session.flush()
        db.session.execute(update(Referral).where(Referral.id == twin.id)
                           .values(accepted_at=None, status="sent"))
        _assert_same(busy)


def test_the_page_reads_month_rows_for_whole_months_only(busy):  # noqa: F811
    coordinator = actor(busy["coordinator"])

    def statements(**kw) -> str:
        with recorded_statements() as seen:
            service.agency_performance(coordinator, **kw)
        return " ".join(seen)

    def reads_referrals(sql: str) -> bool:
        return re.search(r"FROM referrals\b", sql) is not None

    whole = statements(start=date(2026, 1, 1), end=date(2026, 5, 31))
    assert "FROM referral_month_figures" in whole and not reads_referrals(whole)
    for kw in ({"start": date(2026, 1, 2), "end": date(2026, 5, 31)},
               {"start": date(2026, 1, 1), "end": date(2026, 5, 30)},
               {"start": date(2026, 1, 1), "end": date(2026, 5, 31), "granularity": numbers.WEEK}):
        found = statements(**kw)
        assert reads_referrals(found) and "referral_month_figures" not in found, kw


def test_rows_counted_in_another_zone_are_not_used(busy, app):  # noqa: F811
    assert month_rows.covers(date(2026, 1, 1), date(2026, 5, 31), numbers.MONTH)
    try:
        app.config["DISPLAY_TIMEZONE"] = "Europe/Berlin"
        assert not month_rows.covers(date(2026, 1, 1), date(2026, 5, 31), numbers.MONTH)
        month_rows.rebuild("Europe/Berlin")
        db.session.commit()
        assert month_rows.covers(date(2026, 1, 1), date(2026, 5, 31), numbers.MONTH)
        _assert_same(busy)
        with pytest.raises(ValueError):
            month_rows.rebuild("Asia/Almaty'; DROP TABLE referrals; --")
    finally:
        db.session.rollback()
        app.config["DISPLAY_TIMEZONE"] = "Asia/Almaty"
        month_rows.rebuild("Asia/Almaty")  # the function outlives the test's rows
        db.session.commit()


def test_the_migration_fills_the_rows_as_the_rebuild_does():
    """The latest migration to count the rows again (0022) and the rebuild command agree."""
    path = (Path(__file__).parents[2] / "migrations" / "versions"
            / "0022_referral_received_error.py")
    spec = importlib.util.spec_from_file_location("migration_0022", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert " ".join(module.FILL.split()) == " ".join(month_rows.FILL.split())


def test_the_command_recounts_the_rows(busy, app):  # noqa: F811
    with as_system():
        kept = _rows()
        db.session.execute(text("DELETE FROM referral_month_figures"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["coordination", "rebuild-figures"])
    assert result.exit_code == 0 and "counted in Asia/Almaty" in result.output
    db.session.remove()
    with as_system():
        assert _rows() == kept
