"""A view whose transaction lost a lock race (a PostgreSQL deadlock, SQLite busy past its
timeout) runs again, unless it had committed: the user sees the page, not a 500."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from referral.extensions import db
from referral.web.transaction import REQUEST_ATTEMPTS


class _Deadlock(Exception):
    sqlstate = "40P01"  # as psycopg's DeadlockDetected carries it


def _deadlock() -> OperationalError:
    return OperationalError("UPDATE audit_chain_head …", {}, _Deadlock("deadlock detected"))


@pytest.fixture
def calls(app):
    seen: list[str] = []

    def flaky() -> str:
        seen.append("flaky")
        if len(seen) < 3:
            raise _deadlock()
        return "done"

    def commits_then_fails() -> str:
        seen.append("commits")
        db.session.commit()
        raise _deadlock()

    def always() -> str:
        seen.append("always")
        raise _deadlock()

    app.add_url_rule("/_test/flaky", view_func=flaky, methods=["POST"])
    app.add_url_rule("/_test/commits", view_func=commits_then_fails, methods=["POST"])
    app.add_url_rule("/_test/always", view_func=always)
    return seen


def test_a_view_that_lost_a_deadlock_runs_again(client, calls):
    response = client.post("/_test/flaky")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "done"
    assert calls == ["flaky"] * 3


@pytest.mark.app_config(PROPAGATE_UNEXPECTED=False)
def test_a_view_that_committed_is_not_run_twice(client, calls):
    response = client.post("/_test/commits")
    assert response.status_code == 500
    assert calls == ["commits"]
    assert "Your change was saved" in response.get_data(as_text=True)


@pytest.mark.app_config(PROPAGATE_UNEXPECTED=False)
def test_the_attempts_are_bounded(client, calls):
    assert client.get("/_test/always").status_code == 500
    assert calls == ["always"] * REQUEST_ATTEMPTS


def test_bookkeeping_committed_first_does_not_stop_the_rerun(app, client):
    """A token's last-used stamp or an idempotency key's claim is committed before the view's
    work (``commit_uncounted``): the view that then lost a race still runs again."""
    from referral.web.transaction import commit_uncounted

    seen: list[str] = []

    def stamps_then_flaky() -> str:
        seen.append("stamp")
        commit_uncounted()
        if len(seen) < 2:
            raise _deadlock()
        return "done"

    app.add_url_rule("/_test/stamps", view_func=stamps_then_flaky, methods=["POST"])
    response = client.post("/_test/stamps")
    assert response.status_code == 200 and seen == ["stamp", "stamp"]
