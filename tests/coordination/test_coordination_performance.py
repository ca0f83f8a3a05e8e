"""Agency performance: every figure checked against a dataset computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from referral.access.permissions import Role
from referral.coordination.stats import numbers
from referral.coordination.stats import performance as service
from referral.errors import NotVisible
from referral.extensions import db
from tests.coordination.factories import make_case, make_referral
from tests.fixtures import actor, make_agency, make_user

H = timedelta(hours=1)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=UTC)


@pytest.fixture
def data(world):
    w = dict(world)
    officer, police = w["officer"], w["police"]
    x = db.session.get(type(police), w["crisis"].agency_id)
    y = make_agency("crisis_center", "KZ-75", name="Crisis Y", services=("shelter",))
    case = make_case(police, officer)
    sealed = make_case(police, officer, restricted=True)

    def ref(receiver, sent, status, accepted_h=None, **kw):
        return make_referral(case, officer, receiver, sent_at=sent, status=status,
                             deadline=24 * H,
                             accepted_after=None if accepted_h is None else accepted_h * H, **kw)

    ref(x, at(3, 2), "accepted", 2, received_at=at(3, 2) + H)
    ref(x, at(3, 3), "completed", 30, outcome="service_provided", received_at=at(3, 3) + H)
    ref(x, at(3, 4), "declined", decline_reason="no_capacity", received_at=at(3, 4) + H)
    ref(x, at(3, 5), "declined", decline_reason="no_capacity")
    ref(x, at(2, 10), "completed", 4, outcome="goals_met")
    ref(x, at(2, 11), "expired")
    ref(y, at(3, 6), "in_progress", 10)
    ref(y, at(3, 7), "declined", decline_reason="out_of_area")
    ref(x, at(1, 10), "accepted", 1)  # before the period
    # Sent by mistake (one opened and accepted first): counted in no figure.
    ref(x, at(3, 9), "entered_in_error", 1, received_at=at(3, 9) + H)
    ref(y, at(2, 12), "entered_in_error")
    make_referral(sealed, officer, x, sent_at=at(3, 8), status="accepted", accepted_after=H)
    other = make_case(w["other_agency"], w["other"])
    make_referral(other, w["other"], w["other_agency"], sent_at=at(3, 8), status="sent")
    db.session.commit()
    w.update(x=x, y=y)
    return w


def test_figures_per_agency_and_total(data):
    w = data
    perf = service.agency_performance(actor(w["coordinator"]), start=date(2026, 2, 1),
                                      end=date(2026, 3, 15))
    by_name = {a.name: a.figures for a in perf.agencies}
    assert list(by_name) == ["Crisis A", "Crisis Y"]
    x, y = by_name["Crisis A"], by_name["Crisis Y"]
    assert (x.received, x.accepted, x.acceptance_rate) == (6, 3, 0.5)
    assert (x.median_hours, x.p90_hours) == (4, 30)
    assert (x.within_deadline, x.within_deadline_share) == (2, pytest.approx(2 / 3))
    assert x.declines == {"no_capacity": 2}
    assert (x.completed, x.outcomes) == (2, {"service_provided": 1, "goals_met": 1})
    assert (y.received, y.accepted, y.median_hours, y.p90_hours) == (2, 1, 10, 10)
    assert (y.within_deadline_share, y.declines, y.completed) == (1, {"out_of_area": 1}, 0)
    t = perf.total
    assert (t.received, t.accepted, t.median_hours, t.p90_hours) == (8, 4, 7, 30)
    assert t.within_deadline_share == 0.75
    assert perf.decline_codes == ["no_capacity", "out_of_area"]
    assert (x.opened, x.unopened, y.opened, y.unopened, t.unopened) == (3, 3, 0, 2, 5)


@pytest.mark.parametrize("end", [date(2026, 3, 15), date(2026, 3, 31)])
def test_opened_and_entered_in_error_for_any_range(data, end):
    """Part of a month (counted from the referrals) and whole months (on PostgreSQL, the month
    rows the triggers keep): the same opened counts, and no referral entered in error."""
    w = data
    perf = service.agency_performance(actor(w["coordinator"]), start=date(2026, 2, 1), end=end)
    by_name = {a.name: a.figures for a in perf.agencies}
    assert [(f.received, f.opened) for f in by_name.values()] == [(6, 3), (2, 0)]
    assert [(p.label, p.figures.received, p.figures.opened) for p in perf.trend] == [
        ("2026-02", 2, 0), ("2026-03", 6, 3)]


def test_monthly_and_weekly_trend(data):
    w = data
    coord = actor(w["coordinator"])
    monthly = service.agency_performance(coord, start=date(2026, 2, 1), end=date(2026, 3, 15))
    assert [(p.label, p.figures.received, p.figures.accepted, p.figures.median_hours)
            for p in monthly.trend] == [("2026-02", 2, 1, 4), ("2026-03", 6, 3, 10)]
    weekly = service.agency_performance(coord, start=date(2026, 2, 1), end=date(2026, 3, 15),
                                        granularity=numbers.WEEK)
    got = [(p.label, p.figures.received) for p in weekly.trend]
    assert got == [("2026-W05", 0), ("2026-W06", 0), ("2026-W07", 2), ("2026-W08", 0),
                   ("2026-W09", 0), ("2026-W10", 6), ("2026-W11", 0)]


def test_agency_filter_and_scope(data):
    w = data
    perf = service.agency_performance(actor(w["coordinator"]), start=date(2026, 2, 1),
                                      end=date(2026, 3, 15), agency_id=w["y"].id)
    assert [a.name for a in perf.agencies] == ["Crisis Y"] and perf.total.received == 2
    kz43 = make_user(w["other_agency"], Role.COORDINATOR, regions=("KZ-43",))
    db.session.commit()
    other = service.agency_performance(actor(kz43), start=date(2026, 2, 1),
                                       end=date(2026, 3, 15))
    assert other.total.received == 1
    with pytest.raises(NotVisible):
        service.agency_performance(actor(kz43), start=date(2026, 2, 1), end=date(2026, 3, 15),
                                   region_code="KZ-75")
    with pytest.raises(NotVisible):
        service.agency_performance(actor(w["admin"]), start=date(2026, 2, 1),
                                   end=date(2026, 3, 15))


def test_stat_helpers_by_hand():
    assert numbers.median([4, 1, 3, 2]) == 2.5
    assert numbers.percentile_nearest_rank(list(range(1, 11)), 90) == 9
    assert numbers.percentile_nearest_rank([5], 90) == 5
    assert numbers.percentile_nearest_rank([], 90) is None
    assert numbers.rate(1, 0) is None
    assert [numbers.suppress(n) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    assert service.default_range(date(2026, 3, 18), numbers.MONTH) == (date(2025, 4, 1),
                                                                       date(2026, 3, 18))
