"""The role's guide, shown once: the first time a user is through the login (and any forced
password change), they land on it instead of their home page; never again after that."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import url_for
from sqlalchemy import update

from referral.accounts.models import User
from referral.extensions import db
from referral.models_base import utcnow
from referral.web.transaction import run_action


def mark_guide_seen(user_id: int) -> bool:
    """Record that the user was shown the guide; False when that was recorded before.

    A conditional UPDATE, so that two logins at once send only one of them to the guide. The
    user's ``version`` is left alone: this is no edit of the account that an administrator's
    open form should be told about. The caller commits.
    """
    result = db.session.execute(
        update(User).where(User.id == user_id, User.guide_seen_at.is_(None))
        .values(guide_seen_at=utcnow()).execution_options(synchronize_session=False))
    return bool(result.rowcount)


def next_after_login(user: User, default: str) -> str:
    """Where the login sends ``user``: the guide the first time, else ``default``.

    The guide offers a link on to ``default`` (the page the user asked for, or home). Called
    after the login's transaction committed; the write runs in its own (run_action: the
    project's one commit per action, queued for SQLite's write lock).
    """
    if user.guide_seen_at is not None:
        return default
    if not run_action(lambda: mark_guide_seen(user.id)):
        return default
    query = {"first": "1"}
    if default != url_for("home.index"):
        query["next"] = default
    return f"{url_for('help.index')}?{urlencode(query)}"
