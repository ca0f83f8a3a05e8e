"""Template helpers of the referral pages: labels of codes, time left, the link to a case."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from referral.accounts.models import User
from referral.agencies.catalogue import SERVICES
from referral.extensions import db
from referral.models_base import utcnow
from referral.referrals import codes
from referral.referrals.lifecycle import STATUS_LABELS, Status

_TABLES = {
    "service": SERVICES,
    "urgency": codes.URGENCIES,
    "subject": codes.SUBJECTS,
    "decline": codes.DECLINE_REASONS,
    "cancel": codes.CANCEL_REASONS,
    "fail": codes.FAIL_REASONS,
    "hold": codes.HOLD_REASONS,
    "outcome": codes.OUTCOMES,
    "legal_ground": codes.LEGAL_GROUNDS,
    "programme": codes.PROGRAMME_EVENTS,
    "category": codes.CATEGORY_LABELS,
    "status": {s.value: label for s, label in STATUS_LABELS.items()},
}

# Endpoints of the case page that the cases domain may provide, in order of preference.
_CASE_ENDPOINTS = ("cases.detail", "cases.show", "cases.view")


HISTORY_LABELS = {
    "send": _l("Sent"),
    "accept": _l("Accepted"),
    "decline": _l("Declined"),
    "cancel": _l("Cancelled"),
    "expire": _l("Expired (deadline passed)"),
    "start": _l("Work started"),
    "hold": _l("Placed on hold"),  # the button is "Put on hold": ru/kk tell them apart
    "complete": _l("Completed"),
    "fail": _l("Closed as failed"),
    "reassign": _l("Reassigned"),
    "reassigned_in": _l("Sent on reassignment by the coordinator"),
    "open": _l("Opened by the receiving agency"),
    "enter_in_error": _l("Marked as sent by mistake"),
    "extend_deadline": _l("Deadline extended"),
    "escalate": _l("Escalated"),
    "withdraw_consent": _l("Consent withdrawn"),
    "record_consent": _l("Consent recorded"),
    "programme": _l("Programme progress"),
}
_REASON_TABLES = {
    "decline": "decline", "cancel": "cancel", "fail": "fail", "hold": "hold",
    "complete": "outcome", "programme": "programme", "send": "legal_ground",
}


def history_label(entry: object) -> str:
    """'Declined: No capacity' and the like, for one history row."""
    action = entry.action  # type: ignore[attr-defined]
    text = str(HISTORY_LABELS.get(action, action))
    table = _REASON_TABLES.get(action)
    code = entry.reason_code  # type: ignore[attr-defined]
    if table and code:
        text += ": " + codes.label(_TABLES[table], code)
    return text


def history_actor(entry: object) -> str:
    user_id = entry.actor_user_id  # type: ignore[attr-defined]
    if user_id is None:
        return _("System")
    user = db.session.get(User, user_id)
    return f"{user.full_name} · {user.agency.name}" if user else "—"


def time_left(deadline: datetime | None, now: datetime | None = None) -> str:
    """'3 h 20 min left' or 'overdue by 40 min' (whole minutes)."""
    if deadline is None:
        return "—"
    seconds = int((deadline - (now or utcnow())).total_seconds())
    minutes = abs(seconds) // 60
    hours, mins = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        span = _("%(d)d d %(h)d h", d=days, h=hours)
    elif hours:
        span = _("%(h)d h %(m)d min", h=hours, m=mins)
    else:
        span = _("%(m)d min", m=mins)
    return _("%(span)s left", span=span) if seconds >= 0 else _("overdue by %(span)s", span=span)


TIMELINE_LABELS = {
    "referral.send": _l("Referral sent"),
    "referral.accept": _l("Referral accepted"),
    "referral.decline": _l("Referral declined"),
    "referral.cancel": _l("Referral cancelled"),
    "referral.expire": _l("Referral expired unanswered"),
    "referral.start": _l("Work on a referral started"),
    "referral.hold": _l("Referral put on hold"),
    "referral.complete": _l("Referral completed"),
    "referral.fail": _l("Referral closed as failed"),
    "referral.reassign": _l("Referral reassigned"),
    "referral.reassigned_in": _l("Referral sent on reassignment"),
    "referral.open": _l("Referral opened by the receiving agency"),
    "referral.enter_in_error": _l("Referral marked as sent by mistake"),
    "referral.extend_deadline": _l("Referral deadline extended"),
    "referral.escalate": _l("Referral escalated"),
    "referral.withdraw_consent": _l("Consent for a referral withdrawn"),
    "referral.record_consent": _l("Consent for a referral recorded"),
    "referral.programme": _l("Correctional programme progress"),
}


def register(bp: Blueprint) -> None:
    try:
        from referral.cases.timeline import register_timeline_labels
    except ImportError:  # the case timeline then shows the kind codes
        pass
    else:
        register_timeline_labels(TIMELINE_LABELS)
    @bp.app_template_filter("time_left")
    def _time_left(deadline: datetime | None) -> str:
        return time_left(deadline)

    @bp.app_template_filter("overdue")
    def _overdue(deadline: datetime | None) -> bool:
        return deadline is not None and deadline <= utcnow()

    @bp.app_template_global("referral_label")
    def _label(kind: str, code: str | None) -> str:
        # Translated once per request and code: a list repeats a handful of codes many times.
        memo = g.setdefault("referral_labels", {})
        key = (kind, code)
        if key not in memo:
            memo[key] = str(codes.label(_TABLES[kind], code))
        return memo[key]

    @bp.app_template_global("case_url")
    def _case_url(case_id: int) -> str | None:
        for endpoint in _CASE_ENDPOINTS:
            if endpoint in current_app.view_functions:
                return url_for(endpoint, case_id=case_id)
        return None

    bp.add_app_template_global(history_label, "history_label")
    bp.add_app_template_global(history_actor, "history_actor")

    @bp.app_template_global("referral_status")
    def _status() -> type[Status]:
        return Status
