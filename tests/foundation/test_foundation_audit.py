"""Audit trail: hash chain, `flask audit verify`, append-only triggers, same-transaction writes."""

from __future__ import annotations

import importlib.util
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from referral.access.scope import acting_as, system_actor
from referral.audit import service as audit
from referral.audit.models import AuditEvent
from referral.extensions import db
from referral.paths import PROJECT_ROOT
from tests.fixtures import actor, fresh, login, run_in_threads
from tests.foundation.factories import without_csrf_tokens


def _migration():
    path = PROJECT_ROOT / "migrations" / "versions" / "0001_foundation.py"
    spec = importlib.util.spec_from_file_location("migration_0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def triggers_dropped():
    """Let a test play the attacker with direct database access, then restore the guard."""
    db.session.rollback()  # release our own read locks: DROP TRIGGER waits for them on PostgreSQL
    dialect = db.engine.dialect.name
    migration = _migration()
    with db.engine.begin() as conn:
        for sql in migration.DROP_TRIGGERS[dialect]:
            if "FUNCTION" not in sql:
                conn.exec_driver_sql(sql)
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            for sql in migration.AUDIT_TRIGGERS[dialect]:
                if "CREATE FUNCTION" not in sql:
                    conn.exec_driver_sql(sql)


def _events(**where):
    query = select(AuditEvent).order_by(AuditEvent.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return db.session.execute(query).scalars().all()


def _record_some(n=3):
    with acting_as(system_actor("test")):
        for i in range(n):
            audit.record("test.event", object_type="thing", object_id=i, details={"n": i})
    db.session.commit()


def test_rows_are_hash_chained(ctx):
    _record_some(4)
    rows = _events()
    assert rows[0].prev_hash == audit.GENESIS
    for prev, row in zip(rows, rows[1:], strict=False):
        assert row.prev_hash == prev.row_hash
    for row in rows:
        assert row.row_hash == audit.compute_hash(row)
        assert row.created_at.tzinfo is not None


def test_verify_command_reports_an_intact_chain(app, ctx):
    _record_some(3)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 3 rows" in result.output


def test_verify_command_names_the_first_tampered_row(app, ctx):
    _record_some(5)
    target = _events()[2].id
    with triggers_dropped(), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET outcome = 'failure' WHERE id = :id"),
                     {"id": target})
    fresh()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at row id {target}" in result.output


def test_verify_names_a_deleted_link(app, ctx):
    _record_some(5)
    rows = _events()
    with triggers_dropped(), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": rows[1].id})
    fresh()
    report = audit.verify_chain()
    assert report.first_broken_id == rows[2].id
    assert "link" in report.reason


def test_triggers_restored_after_tampering_test(ctx):
    _record_some(1)
    with pytest.raises(DatabaseError), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET outcome = 'x'"))


def test_database_rejects_update_and_delete(ctx):
    _record_some(2)
    for sql in ("UPDATE audit_events SET outcome = 'failure'",
                "UPDATE audit_events SET details = NULL WHERE id = 1",
                "DELETE FROM audit_events", "DELETE FROM audit_events WHERE id = 1"):
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(sql))
    assert len(_events()) == 2


def test_orm_changes_to_audit_rows_are_rejected(ctx):
    _record_some(1)
    row = _events()[0]
    row.outcome = "failure"
    with pytest.raises(DatabaseError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(_events()[0])
    with pytest.raises(DatabaseError):
        db.session.commit()
    db.session.rollback()
    assert _events()[0].outcome == "success"


def test_an_action_that_rolls_back_leaves_no_audit_row(ctx, world):
    with acting_as(actor(world["admin"])):
        audit.record("user.create", object_type="user", object_id=1)
    db.session.rollback()
    assert _events(action="user.create") == []


def test_a_refused_user_creation_leaves_no_success_row(ctx, client, world):
    login(client, world["admin"])
    response = client.post("/admin/users/new", data={
        "full_name": "Clash", "email": world["officer"].email, "agency_id": world["police"].id,
        "role": "officer", "locale": "en", "setup": "password",
        "initial_password": "a fine long passphrase"})
    assert response.status_code == 200
    assert "already has this e-mail" in response.get_data(as_text=True)
    fresh()
    assert _events(action="user.create") == []
    assert audit.verify_chain().ok


def test_user_and_agency_changes_are_audited_with_actor_and_ip(ctx, client, world):
    admin = world["admin"]
    login(client, admin)
    client.post("/admin/users/new", data={
        "full_name": "New Person", "email": "new.person@test.example.org",
        "agency_id": world["police"].id, "role": "officer", "locale": "en", "setup": "invite"})
    client.post(f"/admin/users/{world['officer'].id}/active/0")
    client.post(f"/admin/users/{world['officer'].id}/reset-password")
    client.post("/admin/agencies/new", data={
        "name": "New Shelter", "type": "crisis_center", "region_code": "KZ-75",
        "district_id": "", "shelter_places": "4", "languages": "kk,ru"})
    fresh()
    actions = [e.action for e in _events() if e.action != "login"]
    assert actions == ["user.create", "user.deactivate", "user.password_reset", "agency.create"]
    for event in _events():
        assert event.actor_user_id == admin.id
        assert event.actor_agency_id == admin.agency_id
        assert event.source_ip == "127.0.0.1"
        assert event.created_at is not None
    assert audit.verify_chain().ok


def test_denied_access_is_audited_although_the_answer_is_404(ctx, client, world):
    manager = world["manager"]
    login(client, manager)
    foreign = world["other"].id
    response = client.get(f"/admin/users/{foreign}")
    assert response.status_code == 404
    fresh()
    denied = _events(outcome="denied")
    assert len(denied) == 1
    assert (denied[0].action, denied[0].object_type, denied[0].object_id) == (
        "user.access", "user", str(foreign))
    assert denied[0].actor_user_id == manager.id


def test_404_for_missing_and_forbidden_look_the_same(client, world):
    login(client, world["manager"])
    forbidden_path, missing_path = f"/admin/users/{world['other'].id}", "/admin/users/987654"
    forbidden, missing = client.get(forbidden_path), client.get(missing_path)
    assert forbidden.status_code == missing.status_code == 404
    assert (without_csrf_tokens(forbidden.get_data(as_text=True)).replace(forbidden_path, "PATH")
            == without_csrf_tokens(missing.get_data(as_text=True)).replace(missing_path, "PATH"))


@pytest.mark.parametrize("who", ["officer", "manager", "coordinator"])
def test_audit_viewer_is_for_administrators_only(client, world, who):
    login(client, world[who])
    assert client.get("/admin/audit").status_code == 404


def test_audit_viewer_filters(ctx, client, world):
    login(client, world["officer"], "wrong password here")
    login(client, world["manager"])
    client.post("/logout")
    login(client, world["admin"])

    def rows(query):
        html = client.get(f"/admin/audit?{query}").get_data(as_text=True)
        return html.count('<tr class="outcome-')

    assert rows("") == 4
    assert rows("action=login") == 3
    assert rows("action=login&outcome=failure") == 1
    assert rows(f"actor={world['manager'].id}") == 2  # login and logout
    assert rows("outcome=denied") == 0
    assert rows("since=2000-01-01&until=2000-01-02") == 0
    assert rows("object_type=user&object_id=" + str(world["admin"].id)) == 1


def test_audit_viewer_pages_through_older_events(ctx, client, world):
    with acting_as(system_actor("test")):
        for i in range(60):
            audit.record("test.event", object_id=i)
    db.session.commit()
    login(client, world["admin"])
    first = client.get("/admin/audit?action=test.event").get_data(as_text=True)
    assert first.count('<tr class="outcome-') == 50
    import re

    older = re.search(r'href="(/admin/audit\?[^"]*before=\d+[^"]*)"', first).group(1)
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('<tr class="outcome-') == 10
    assert "Older events" not in second


@pytest.mark.postgres
def test_concurrent_writers_keep_one_chain_on_postgres(app, ctx):
    def writer(n: int) -> None:
        with app.app_context(), acting_as(system_actor("test writer")):
            for i in range(15):
                audit.record("test.concurrent", object_id=f"{n}-{i}")
                db.session.commit()
            db.session.remove()

    assert run_in_threads(writer, 4) == []
    report = audit.verify_chain()
    assert report.ok and report.rows_checked == 60


def test_source_ip_is_the_direct_peer_without_trusted_proxies(ctx, client, world):
    client.post("/login", data={"email": world["officer"].email, "password": "wrong password"},
                headers={"X-Forwarded-For": "203.0.113.9"})
    fresh()
    assert _events(action="login")[0].source_ip == "127.0.0.1"


@pytest.mark.app_config(TRUSTED_PROXIES=1)
def test_source_ip_comes_from_a_trusted_proxy(ctx, client, world):
    client.post("/login", data={"email": world["officer"].email, "password": "wrong password"},
                headers={"X-Forwarded-For": "203.0.113.9"})
    fresh()
    assert _events(action="login")[0].source_ip == "203.0.113.9"
