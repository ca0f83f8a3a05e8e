"""No page answers while a write of its request is left uncommitted (it would be rolled back
and lost: an audit row of a page view, a last-seen stamp). Every page each demo user reaches is
opened; the app notes every request that ended with a write uncommitted (referral.web.read_commit).
"""

from __future__ import annotations

from typing import Any

import pytest

from referral.access.scope import acting_as, system_actor
from referral.audit.models import AuditEvent
from referral.demo import seed
from referral.extensions import db
from referral.web.read_commit import UNCOMMITTED
from tests.crawl import DEMO_USERS, crawl, log_in


@pytest.fixture
def demo(ctx: Any) -> None:
    with acting_as(system_actor("test: pages commit their writes")):
        seed()
        db.session.commit()
    db.session.remove()


@pytest.mark.parametrize("user", DEMO_USERS)
def test_no_page_leaves_a_write_uncommitted(demo: None, app: Any, user: str) -> None:
    client = app.test_client()
    log_in(client, user)
    visited = [path for path, _html in crawl(client)]
    assert len(visited) > 5
    assert app.extensions.get(UNCOMMITTED, set()) == set()


def test_the_coordinators_home_page_keeps_its_audit_row(demo: None, app: Any) -> None:
    """The home page's overdue-review panel audits the counts it shows: the row must stay."""
    client = app.test_client()
    log_in(client, "coordinator")
    assert client.get("/").status_code == 200
    db.session.remove()
    with acting_as(system_actor("test: read the audit")):
        actions = db.session.query(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(5)
        assert "coordination.overdue_review" in {a for (a,) in actions}


def test_a_lost_write_is_noted(app: Any, client: Any) -> None:
    """The check itself: a page that writes and answers without committing is noted."""
    from sqlalchemy import text

    @app.get("/_test/write-and-forget")
    def _write_and_forget() -> str:
        db.session.execute(text("UPDATE agencies SET name = name WHERE id = -1"))
        return "ok"

    assert client.get("/_test/write-and-forget").status_code == 200
    assert app.extensions[UNCOMMITTED] == {"_write_and_forget"}
