"""The administrators' audit viewer."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required

from referral.access.permissions import Permission, require
from referral.audit import service

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PAGE = 50


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


@bp.get("")
@login_required
@require(Permission.AUDIT_VIEW)
def index() -> str:
    """Filters travel in the query string: they hold codes and ids, never personal data."""
    args = request.args
    actor = args.get("actor", type=int)
    events = service.list_events(
        action=args.get("action") or None,
        actor_user_id=actor,
        object_type=args.get("object_type") or None,
        object_id=args.get("object_id") or None,
        outcome=args.get("outcome") or None,
        since=_date(args.get("since")),
        until=_date(args.get("until")),
        before_id=args.get("before", type=int),
        limit=PAGE + 1,
    )
    more = len(events) > PAGE
    events = events[:PAGE]
    older_url = None
    if more and events:
        older_url = url_for("audit.index", **{**args.to_dict(), "before": events[-1].id})
    return render_template("audit/index.html", events=events, args=args, more=more,
                           older_url=older_url)
