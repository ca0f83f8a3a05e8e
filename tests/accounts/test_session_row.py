"""The session statement runs before there is an actor and outside the scope listener: a
per-request value that read a scoped table would be refused when the statement is built."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.accounts import session_row
from referral.accounts.models import User
from referral.cases.models import Case
from referral.notifications.models import Notification


def test_a_value_reading_a_scoped_table_is_refused(app):
    cases_owned = (select(func.count()).select_from(Case)
                   .where(Case.created_by_id == User.id).scalar_subquery().label("x"))
    with pytest.raises(RuntimeError, match="scoped tables"):
        session_row.statement((cases_owned,))


def test_a_value_reading_an_unscoped_table_is_taken(app):
    unread = (select(func.count()).select_from(Notification)
              .where(Notification.user_id == User.id).scalar_subquery().label("y"))
    assert "notifications" in str(session_row.statement((unread,)))
