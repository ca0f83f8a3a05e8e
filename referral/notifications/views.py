"""The bell, the notification list, preferences and the administrators' system-health page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from referral.access.permissions import Permission, require
from referral.access.scope import current_actor
from referral.errors import DomainError
from referral.extensions import db
from referral.notifications import delivery, devmail, health, service
from referral.notifications.forms import ButtonForm, PreferencesForm
from referral.notifications.kinds import detail_text, get_kind, title_text
from referral.notifications.links import target_path
from referral.web.nav import add_nav

bp = Blueprint("notifications", __name__)
PAGE = 50

add_nav("notifications.system_health", _l("System health"), Permission.SYSTEM_HEALTH_VIEW, 88)
add_nav("notifications.dev_mailbox", _l("Development mailbox"), Permission.SYSTEM_HEALTH_VIEW, 89,
        when=lambda: devmail.enabled(current_app))


@bp.app_context_processor
def _bell() -> dict[str, object]:
    """The count read with the session (no statement of its own), only for a logged-in user."""
    if not current_user.is_authenticated:
        return {}
    return {"unread_notifications": service.bell_count(current_user.id)}


def _line(note: object) -> dict[str, object]:
    kind = get_kind(note.kind)
    title = title_text(kind, note.reference) if kind else note.kind
    return {"note": note, "title": title,
            "detail": detail_text(kind, note.event.data or {}) if kind else ""}


def _check_form() -> None:
    if not ButtonForm().validate_on_submit():
        abort(400)


@bp.get("/notifications")
@login_required
def index() -> str:
    notes = service.list_notifications_for(current_actor(), before_id=request.args.get(
        "before", type=int), limit=PAGE + 1)
    more = len(notes) > PAGE
    notes = notes[:PAGE]
    older = url_for("notifications.index", before=notes[-1].id) if more else None
    return render_template("notifications/index.html", lines=[_line(n) for n in notes],
                           older_url=older, form=ButtonForm())


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int) -> Response:
    """Mark read and go to the referral or case (which checks its own access)."""
    _check_form()
    note = service.mark_read(current_actor(), notification_id=notification_id)
    db.session.commit()
    return redirect(target_path(note.subject_type, note.subject_id))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int) -> Response:
    _check_form()
    service.mark_read(current_actor(), notification_id=notification_id)
    db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read() -> Response:
    _check_form()
    count = service.mark_all_read(current_actor())
    db.session.commit()
    flash(_("%(count)s notifications marked as read.", count=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> str | Response:
    form = PreferencesForm()
    if form.validate_on_submit():
        service.set_email_preference(current_actor(), enabled=bool(form.email.data))
        db.session.commit()
        flash(_("Notification settings saved."), "success")
        return redirect(url_for("notifications.preferences"))
    if not form.is_submitted():
        form.email.data = service.email_enabled(current_user.id)
    return render_template("notifications/preferences.html", form=form)


@bp.get("/admin/system")
@login_required
@require(Permission.SYSTEM_HEALTH_VIEW)
def system_health() -> str:
    return render_template("notifications/system.html", report=health.report(),
                           failed=health.failed_rows(), form=ButtonForm())


@bp.post("/admin/system/deliveries/<int:delivery_id>/retry")
@login_required
@require(Permission.SYSTEM_HEALTH_VIEW)
def retry_delivery(delivery_id: int) -> Response:
    _check_form()
    try:
        delivery.retry_delivery(current_actor(), delivery_id=delivery_id)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash(_("The delivery will be tried again within a minute."), "success")
    return redirect(url_for("notifications.system_health"))


# --- the development mailbox (make run's SMTP catcher; never in production) ----------------------


def _dev_only(view: Callable[..., str]) -> Callable[..., str]:
    """404 in production configuration and wherever no catcher's folder is configured, before
    anything else (even the login redirect): there, the page does not exist."""

    @wraps(view)
    def wrapped(*args: object, **kwargs: object) -> str:
        if not devmail.enabled(current_app):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _dev_mailbox_dir() -> Path:
    return Path(current_app.config["DEV_MAILBOX_DIR"])


@bp.get("/admin/dev-mailbox")
@_dev_only
@login_required
@require(Permission.SYSTEM_HEALTH_VIEW)
def dev_mailbox() -> str:
    mails, total = devmail.list_mail(_dev_mailbox_dir())
    return render_template("notifications/dev_mailbox.html", mails=mails, total=total)


@bp.get("/admin/dev-mailbox/<key>")
@_dev_only
@login_required
@require(Permission.SYSTEM_HEALTH_VIEW)
def dev_mail(key: str) -> str:
    mail = devmail.get_mail(_dev_mailbox_dir(), key)
    if mail is None:
        abort(404)
    return render_template("notifications/dev_mail.html", mail=mail)
