"""DATABASE_REPLICA_URL: the coordinators' statistics read from the replica's engine, scoped as
on the primary; the audit entry and every other statement stay on the primary."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import TextClause, event, select

from referral import create_app, replica
from referral.access.criteria import ScopeCriteria
from referral.access.scope import ScopeMissing
from referral.config import ConfigurationError
from referral.coordination.stats import coverage, performance
from referral.extensions import db
from referral.referrals.models import Referral
from referral.settings import SettingError
from tests.conftest import base_config
from tests.coordination.factories import make_case, make_referral
from tests.fixtures import actor, login

REPLICA = os.environ.get("TEST_DATABASE_URL", "")
WRITES = re.compile(r"\b(INSERT INTO|UPDATE \w+ SET|DELETE FROM|FOR UPDATE|FOR SHARE)\b", re.I)
SENT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def recorded(world):
    """Statements per engine, and per ORM execution whether it went to the replica scoped."""
    engine = replica.replica_engine()
    assert engine is not None and engine is not db.engine
    seen = {"replica": [], "primary": [], "scoped_on_replica": []}

    def on(name):
        def record(conn, cursor, statement, *args):
            seen[name].append(statement)
        return record

    on_replica, on_primary = on("replica"), on("primary")
    event.listen(engine, "before_cursor_execute", on_replica)
    event.listen(db.engine, "before_cursor_execute", on_primary)

    def orm(state):
        # The month rows' text statement names its regions itself (as on the primary).
        if state.bind_arguments.get("bind") is engine and not isinstance(state.statement,
                                                                          TextClause):
            seen["scoped_on_replica"].append(any(isinstance(o, ScopeCriteria)
                                                 for o in state.statement._with_options))
    event.listen(db.session, "do_orm_execute", orm)
    yield seen
    event.remove(engine, "before_cursor_execute", on_replica)
    event.remove(db.engine, "before_cursor_execute", on_primary)
    event.remove(db.session, "do_orm_execute", orm)
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.app_config(DATABASE_REPLICA_URL=REPLICA, COORDINATION_FIGURES_CACHE_SECONDS=0)
def test_statistics_read_from_the_replica_and_audit_on_the_primary(world, recorded):
    w = world
    case = make_case(w["police"], w["officer"])
    make_referral(case, w["officer"], w["crisis_agency"], sent_at=SENT, status="accepted",
                  accepted_after=timedelta(hours=2))
    make_referral(case, w["officer"], w["crisis_agency"], sent_at=SENT, status="sent")
    other = make_case(w["other_agency"], w["other"])  # KZ-43: not the coordinator's
    make_referral(other, w["other"], w["other_agency"], sent_at=SENT, status="sent")
    db.session.commit()
    for kind in ("replica", "primary"):
        recorded[kind].clear()

    coordinator = actor(w["coordinator"])
    weekly = performance.agency_performance(coordinator, start=date(2026, 3, 1),
                                            end=date(2026, 3, 31), granularity="week")
    monthly = performance.agency_performance(coordinator, start=date(2026, 3, 1),
                                             end=date(2026, 3, 31))
    cov = coverage.district_coverage(coordinator, region_code=None, start=date(2026, 3, 1),
                                     end=date(2026, 3, 31))
    db.session.commit()

    # The figures are right (the KZ-43 referral is out of the coordinator's scope).
    assert weekly.total.received == monthly.total.received == 2
    assert weekly.total.accepted == 1
    assert sum(sum(d.referrals.values()) for d in cov.districts) == 2
    # The aggregates ran on the replica, each through the scoped ORM session.
    on_replica = " ".join(recorded["replica"]).lower()
    assert "grouping sets" in on_replica  # performance, by week
    assert "referral_month_figures" in on_replica  # performance, whole months
    assert "union all" in on_replica  # coverage
    assert recorded["scoped_on_replica"] and all(recorded["scoped_on_replica"])
    assert not [s for s in recorded["replica"] if WRITES.search(s)], "nothing is written there"
    # The audit entries, and no aggregate, on the primary.
    on_primary = " ".join(recorded["primary"]).lower()
    assert on_primary.count("insert into audit") >= 3
    assert "grouping sets" not in on_primary and "union all" not in on_primary


@pytest.mark.postgres
@pytest.mark.app_config(DATABASE_REPLICA_URL=REPLICA, COORDINATION_FIGURES_CACHE_SECONDS=0)
def test_the_pages_read_from_a_read_only_replica(client, world):
    # The replica's transactions are read-only (as a standby's are): a request, which takes
    # the audit head at its first write, must never try that on the replica's connection.
    case = make_case(world["police"], world["officer"])
    make_referral(case, world["officer"], world["crisis_agency"], sent_at=SENT, status="sent")
    db.session.commit()
    login(client, world["coordinator"])
    for path in ("/coordination/performance?start=2026-03-01&end=2026-03-31&granularity=week",
                 "/coordination/performance?start=2026-03-01&end=2026-03-31",
                 "/coordination/coverage?start=2026-03-01&end=2026-03-31"):
        response = client.get(path)
        assert response.status_code == 200, path
    with replica.replica_engine().connect() as conn:  # the test's own app context (world)
        assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
    replica.replica_engine().dispose()


@pytest.mark.postgres
@pytest.mark.app_config(DATABASE_REPLICA_URL=REPLICA)
def test_a_query_with_no_actor_fails_on_the_replica_too(ctx):
    with pytest.raises(ScopeMissing):
        db.session.execute(select(Referral), bind_arguments=replica.reads())
    replica.replica_engine().dispose()


def test_unset_everything_reads_from_the_primary(ctx):
    assert ctx.config["DATABASE_REPLICA_URL"] == ""
    assert replica.reads() == {} and replica.replica_engine() is None


def test_refused_with_sqlite(tmp_path):
    with pytest.raises(ConfigurationError, match="needs a PostgreSQL primary"):
        create_app(base_config(f"sqlite:///{tmp_path / 'x.sqlite'}",
                               DATABASE_REPLICA_URL="postgresql://u@replica/referral"))


def test_the_variable_is_parsed_and_normalised(monkeypatch, tmp_path):
    monkeypatch.delenv("REFERRAL_ENV", raising=False)
    monkeypatch.setenv("REFERRAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/referral")
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://u:p@replica:5432/referral")
    app = create_app()
    assert app.config["DATABASE_REPLICA_URL"] == "postgresql+psycopg://u:p@replica:5432/referral"
    monkeypatch.setenv("DATABASE_REPLICA_URL", "mysql://u@replica/referral")
    with pytest.raises(SettingError, match="DATABASE_REPLICA_URL"):
        create_app()
