"""The administrators' audit viewer."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from referral.access.permissions import Permission, require
from referral.audit import labels, service
from referral.audit.models import AuditEvent

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
    events = _filtered(args)
    more = len(events) > PAGE
    events = events[:PAGE]
    older_url = None
    if more and events:
        older_url = url_for("audit.index", **{**args.to_dict(), "before": events[-1].id})
    return render_template(
        "audit/index.html", events=events, args=args, more=more, older_url=older_url,
        action_label=labels.action_label, object_label=labels.object_label,
        outcome_label=labels.outcome_label,
        action_choices=_choices(labels.ACTION_LABELS, args.get("action")),
        object_choices=_choices(labels.OBJECT_LABELS, args.get("object_type")))


def _filtered(args: MultiDict[str, str]) -> list[AuditEvent]:
    """One page of events (and one more, to tell whether there are older ones)."""
    return service.list_events(
        action=args.get("action") or None,
        actor_user_id=args.get("actor", type=int),
        object_type=args.get("object_type") or None,
        object_id=args.get("object_id") or None,
        outcome=args.get("outcome") or None,
        since=_date(args.get("since")),
        until=_date(args.get("until")),
        before_id=args.get("before", type=int),
        limit=PAGE + 1,
    )


def _choices(table: dict[str, object], current: str | None) -> list[tuple[str, str]]:
    """The filter's options by label; a code typed into the URL that has no label stays
    selectable, so the filter never silently drops it."""
    options = sorted(((code, str(label)) for code, label in table.items()),
                     key=lambda pair: pair[1].casefold())
    if current and current not in table:
        options.append((current, labels.action_label(current)))
    return options
