"""A request that only read ends its transaction with COMMIT on PostgreSQL, so psycopg keeps the
statements it prepared (a ROLLBACK makes it forget them all); anything else still rolls back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from referral.agencies.models import Agency
from referral.extensions import db
from tests.fixtures import login
from tests.foundation.factories import make_case

pytestmark = pytest.mark.postgres


@pytest.fixture
def routes(app: Any) -> Any:
    """Test-only pages that read, write without committing, or fail after reading."""

    @app.get("/_test/read")
    def _read() -> str:
        db.session.execute(text("SELECT 1")).scalar()
        return "ok"

    @app.get("/_test/rename-pending/<int:agency_id>")
    def _rename_pending(agency_id: int) -> str:
        db.session.get(Agency, agency_id).name = "Renamed without commit"
        return "ok"

    @app.get("/_test/update-uncommitted/<int:agency_id>")
    def _update_uncommitted(agency_id: int) -> str:
        db.session.execute(text("UPDATE agencies SET name = 'Updated without commit' "
                                "WHERE id = :id"), {"id": agency_id})
        return "ok"

    @app.get("/_test/read-then-fail")
    def _read_then_fail() -> str:
        db.session.execute(text("SELECT 1")).scalar()
        raise RuntimeError("boom")

    @app.get("/_test/prepared")
    def _prepared() -> str:
        return str(db.session.execute(text("SELECT count(*) FROM pg_prepared_statements"))
                   .scalar())

    return app


@pytest.fixture
def endings(app: Any) -> Any:
    """How each transaction on the engine ended, in order."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_commit(_conn: Any) -> None:
        seen.append("commit")

    def on_rollback(_conn: Any) -> None:
        seen.append("rollback")

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield seen
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


def test_a_reading_request_ends_with_commit(routes, endings, client):
    assert client.get("/_test/read").status_code == 200
    assert endings == ["commit"]


def test_a_case_page_keeps_its_statements_prepared(routes, endings, client, world):
    """The case page commits its audit row, then its panels read while it renders: that last
    transaction must end with COMMIT too, or psycopg forgets what it prepared."""
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    login(client, world["officer"])
    endings.clear()
    for _ in range(8):  # psycopg prepares a statement on its fifth run on a connection
        assert client.get(f"/cases/{case.id}").status_code == 200
    assert "rollback" not in endings
    assert int(client.get("/_test/prepared").get_data(as_text=True)) > 0


@pytest.mark.parametrize("page", ["rename-pending", "update-uncommitted"])
def test_a_write_left_uncommitted_is_rolled_back(routes, endings, client, world, page):
    """A change pending in the ORM, or a statement that wrote: never committed at the end."""
    agency_id = world["police"].id
    assert client.get(f"/_test/{page}/{agency_id}").status_code == 200
    assert endings[-1] == "rollback"
    db.session.expire_all()
    assert db.session.get(Agency, agency_id).name == "Police A"


def test_a_failed_request_is_rolled_back(routes, endings, app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.test_client().get("/_test/read-then-fail").status_code == 500
    assert "commit" not in endings
