"""Region-wide figures kept for a few minutes: reused within the setting's time, recomputed
after it or when off, never shared across regions, locales or parameters, always audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale, get_locale
from sqlalchemy import func, select

from referral.access.permissions import Role
from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.coordination.stats import cache, coverage, export, performance
from referral.coordination.stats.cache import FiguresCache
from referral.extensions import db
from tests.coordination.factories import NOW, make_case, make_referral
from tests.fixtures import actor, make_user

START, END = date(2025, 12, 1), NOW.date()
H = timedelta(hours=1)


def _audits(action: str) -> int:
    with acting_as(system_actor("test")):
        return db.session.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action)).scalar_one()


def _send_one(w, when=None):
    case = make_case(w["police"], w["officer"])
    crisis = db.session.get(type(w["police"]), w["crisis"].agency_id)
    make_referral(case, w["officer"], crisis, status="sent", sent_at=when or NOW - 2 * H)
    db.session.commit()


def _received(w, who="coordinator", **kw):
    perf = performance.agency_performance(actor(w[who]), start=START, end=END, **kw)
    return perf.total.received, perf.computed_at


def test_the_store_reuses_within_max_age_and_evicts_the_oldest(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    store, calls = FiguresCache(max_entries=2), []

    def compute(value):
        def run():
            calls.append(value)
            return value
        return run

    assert store.get("a", 60, compute(1))[0] == 1
    clock[0] += 59
    assert store.get("a", 60, compute(2))[0] == 1  # still fresh
    clock[0] += 2
    assert store.get("a", 60, compute(3))[0] == 3  # too old: computed again
    store.get("b", 60, compute(4))
    store.get("c", 60, compute(5))  # over the bound: "a" (least recently used) goes
    assert store.get("a", 60, compute(6))[0] == 6
    assert calls == [1, 3, 4, 5, 6]


@pytest.mark.app_config(COORDINATION_FIGURES_CACHE_SECONDS=300)
def test_performance_is_reused_for_the_time_set_and_each_read_is_audited(world):
    w = dict(world)
    _send_one(w)
    first, computed_at = _received(w)
    _send_one(w)  # a new referral in the period
    again, again_at = _received(w)
    assert (again, again_at) == (first, computed_at)  # the kept figures, and their time
    assert _audits("coordination.performance") == 2
    # Another parameter is another entry: computed now, with the new referral.
    assert performance.agency_performance(actor(w["coordinator"]), start=START, end=END,
                                          granularity="week").total.received == first + 1


@pytest.mark.app_config(COORDINATION_FIGURES_CACHE_SECONDS=0)
def test_zero_turns_the_cache_off(world):
    w = dict(world)
    _send_one(w)
    first, _ = _received(w)
    _send_one(w)
    assert _received(w)[0] == first + 1


@pytest.mark.app_config(COORDINATION_FIGURES_CACHE_SECONDS=300)
def test_figures_are_shared_by_region_only(world, app):
    """A second coordinator of the same region reads the kept figures; a coordinator of another
    region never does (their own region's, computed for them), and the locale is in the key."""
    w = dict(world)
    _send_one(w)
    first, computed_at = _received(w)
    colleague = make_user(w["akimat"], Role.COORDINATOR, email="coord2@test.example.org",
                          regions=("KZ-75",))
    elsewhere = make_user(w["akimat"], Role.COORDINATOR, email="coord3@test.example.org",
                          regions=("KZ-43",))
    db.session.commit()
    w.update(colleague=colleague, elsewhere=elsewhere)
    assert _received(w, "colleague") == (first, computed_at)
    other, other_at = _received(w, "elsewhere")
    assert other == 0 and other_at != computed_at
    with app.test_request_context(), force_locale("ru"):  # names are localised
        assert str(get_locale()) == "ru"
        assert _received(w)[1] != computed_at


@pytest.mark.app_config(COORDINATION_FIGURES_CACHE_SECONDS=300)
def test_coverage_and_export_are_kept_too(world):
    w = dict(world)
    _send_one(w)
    coordinator = actor(w["coordinator"])
    cov = coverage.district_coverage(coordinator, region_code=None, start=START, end=END)
    rows = export.statistics_rows(coordinator, start=START, end=END)
    _send_one(w)
    assert coverage.district_coverage(coordinator, region_code=None, start=START,
                                      end=END).computed_at == cov.computed_at
    assert export.statistics_rows(coordinator, start=START, end=END) is rows
    assert _audits("coordination.coverage") == 2 and _audits("statistics.export") == 2


@pytest.mark.app_config(COORDINATION_FIGURES_CACHE_SECONDS=300)
def test_the_pages_say_when_the_figures_were_computed(world, client):
    from tests.fixtures import login

    login(client, world["coordinator"])
    for url in ("/coordination/performance", "/coordination/coverage"):
        page = client.get(url).get_data(as_text=True)
        assert 'data-testid="computed-at"' in page and "Figures as of" in page, url


def test_the_store_does_not_keep_what_keep_refuses():
    store, calls = FiguresCache(), []

    def compute():
        calls.append(1)
        return list(range(5))

    store.get("big", 60, compute, keep=lambda rows: len(rows) <= 3)
    store.get("big", 60, compute, keep=lambda rows: len(rows) <= 3)
    assert len(calls) == 2  # computed each time
    store.get("small", 60, compute, keep=lambda rows: len(rows) <= 10)
    store.get("small", 60, compute, keep=lambda rows: len(rows) <= 10)
    assert len(calls) == 3
