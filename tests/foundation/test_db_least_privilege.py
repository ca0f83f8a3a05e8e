"""Least privilege in PostgreSQL: migrations as the owner role, the app as a role that owns
nothing (no DDL, no TRUNCATE, no UPDATE/DELETE of audit rows) yet does its normal work; and
the audit tables refuse TRUNCATE even to their owner (migration 0028).

The test makes a throw-away database and two throw-away roles on the PostgreSQL server of
TEST_DATABASE_URL (as its superuser) and removes them afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from referral import create_app
from tests.conftest import TEST_DATABASE_URL, _migrate, base_config

pytestmark = pytest.mark.postgres
PASSWORD = "throw-away-" + uuid.uuid4().hex  # noqa: S105 - test-only roles, dropped after


@pytest.fixture(scope="module")
def roles() -> Iterator[dict[str, Any]]:
    suffix = uuid.uuid4().hex[:8]
    owner, app_role, name = f"lp_owner_{suffix}", f"lp_app_{suffix}", f"lp_db_{suffix}"
    server = make_url(TEST_DATABASE_URL)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {owner} LOGIN PASSWORD '{PASSWORD}'"))
        conn.execute(text(f"CREATE ROLE {app_role} LOGIN PASSWORD '{PASSWORD}'"))
        conn.execute(text(f"CREATE DATABASE {name} OWNER {owner}"))
        conn.execute(text(f"REVOKE ALL ON DATABASE {name} FROM PUBLIC"))
        conn.execute(text(f"GRANT CONNECT ON DATABASE {name} TO {app_role}"))
    urls = {who: server.set(username=role, password=PASSWORD, database=name)
            .render_as_string(hide_password=False) for who, role in
            (("owner", owner), ("app", app_role))}
    try:
        _migrate(create_app(base_config(urls["owner"])))  # as the owner, as compose's migrate
        owner_app = create_app(base_config(urls["owner"]))
        runner = owner_app.test_cli_runner()
        result = runner.invoke(args=["db-grant-app-role", app_role])
        assert result.exit_code == 0, result.output
        with owner_app.app_context():
            from referral.extensions import db

            db.engine.dispose()
        yield {"owner": urls["owner"], "app": urls["app"], "app_role": app_role}
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {app_role}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()


def _refused(url: str, statement: str, *needles: str) -> None:
    """``statement`` fails with one of ``needles`` in the message (default: no privilege)."""
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
            conn.execute(text(statement))
        message = str(refused.value).lower()
        assert any(n in message for n in needles or ("permission denied",)), (statement, message)
    finally:
        engine.dispose()


NOT_OWNER = ("must be owner", "permission denied")


def test_the_app_role_can_do_no_ddl_no_truncate_and_not_rewrite_the_audit(roles):
    app = roles["app"]
    for statement in ("TRUNCATE audit_events", "TRUNCATE cases CASCADE",
                      "CREATE TABLE mine (id int)",
                      "UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events",
                      "DELETE FROM audit_chain_head"):
        _refused(app, statement)
    for statement in ("DROP TABLE cases", "ALTER TABLE cases ADD COLUMN x integer",
                      "CREATE INDEX ix_mine ON cases (id)",
                      "DROP TRIGGER audit_events_no_truncate ON audit_events",
                      "ALTER TABLE audit_events DISABLE TRIGGER ALL"):
        _refused(app, statement, *NOT_OWNER)


def test_the_truncate_trigger_refuses_even_the_owner(roles):
    for table in ("audit_events", "audit_chain_head"):
        _refused(roles["owner"], f"TRUNCATE {table} CASCADE", "append-only")


def test_the_app_role_does_the_apps_normal_work(roles):
    """A user, a case and its people opened by services through the app role, each action
    audited and the chain head moved on; the chain verifies."""
    from referral.audit import service as audit
    from referral.audit.models import AuditEvent
    from referral.extensions import db
    from tests.cases import factories as cf
    from tests.fixtures import actor, make_agency, make_user

    app = create_app(base_config(roles["app"]))
    with app.app_context():
        police = make_agency("police", "KZ-75", name="Police LP")
        officer = make_user(police, "officer")
        db.session.commit()
        case, _members = cf.family_case(actor(officer))
        db.session.commit()
        actions = set(db.session.execute(db.select(AuditEvent.action)).scalars())
        assert "case.create" in actions
        assert case.reference.startswith("KZ-75-")
        assert audit.verify_chain().ok
        db.session.remove()
        db.engine.dispose()


def test_a_table_a_later_migration_creates_is_usable_by_the_app(roles):
    owner = create_engine(roles["owner"])
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE later_table (id serial PRIMARY KEY, v int)"))
    owner.dispose()
    app = create_engine(roles["app"])
    with app.begin() as conn:
        conn.execute(text("INSERT INTO later_table (v) VALUES (1)"))
        assert conn.execute(text("SELECT count(*) FROM later_table")).scalar() == 1
    app.dispose()
    _refused(roles["app"], "TRUNCATE later_table")
    _refused(roles["app"], "DROP TABLE later_table", *NOT_OWNER)
