"""The home page that fits the role, and the health endpoint for monitoring."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required
from sqlalchemy import text
from werkzeug.wrappers import Response

from referral.access.scope import current_actor
from referral.extensions import db
from referral.home.panels import panels_for

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    panels = panels_for(current_actor())
    db.session.commit()  # the panels' audit rows (the coordinator's overdue review)
    return render_template("home/index.html", panels=panels, user=current_user)


@bp.get("/health")
def health() -> tuple[Response, int]:
    """Database and broker status for monitoring; no data about people."""
    checks = {"database": _database_ok()}
    from referral.home.health import broker_status

    checks["broker"] = broker_status()
    serving = all(v == "ok" for v in checks.values())
    # The beat's heartbeat and the outbox backlog (referral/ops/health.py): "degraded", still 200.
    from referral.ops.health import background_status

    background, ages = background_status()
    checks.update(background)
    healthy = all(v == "ok" for v in checks.values())
    return (jsonify(status="ok" if healthy else "degraded", checks=checks, **ages),
            200 if serving else 503)


def _database_ok() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        db.session.rollback()
        return "unavailable"
