"""Lists read from an index of what they filter and order on (migration 0037), on PostgreSQL:
the statements the pages really send are explained, with sequential scans priced out so that a
small test database plans as the national one does."""

from __future__ import annotations

from typing import Any

import pytest

from referral.extensions import db
from tests.fixtures import login, recorded_statements
from tests.foundation.factories import make_case

pytestmark = pytest.mark.postgres


def _sent(client: Any, url: str, *words: str) -> tuple[str, Any]:
    """The first statement the page sends that contains every one of ``words``."""
    with recorded_statements(parameters=True) as sent:
        assert client.get(url).status_code == 200
    found = [(sql, params) for sql, params in sent if all(word in sql for word in words)]
    assert found, f"{url} sent no statement with {words}"
    return found[0]


def _plan(app: Any, statement: str, parameters: Any) -> str:
    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    return "\n".join(row[0] for row in rows)


def test_the_notification_list_reads_a_users_newest_from_one_index(app, world, client):
    login(client, world["officer"])
    plan = _plan(app, *_sent(client, "/notifications", "FROM notifications",
                             "ORDER BY notifications.id DESC"))
    assert "ix_notifications_user_newest" in plan, plan


def test_the_high_risk_panel_reads_the_agencys_open_high_risk_cases(app, world, client):
    for _ in range(3):
        make_case(world["police"], world["officer"]).risk_level = "high"
    db.session.commit()
    login(client, world["officer"])
    plan = _plan(app, *_sent(client, "/", "FROM cases", "count(*) OVER",
                             "cases.risk_level ="))
    assert "ix_cases_owner_high_risk_open" in plan, plan
