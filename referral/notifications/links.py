"""Where a notification leads: the referral or case page, built without a request (workers)."""

from __future__ import annotations

from flask import current_app
from werkzeug.routing import BuildError

# The first endpoint that exists wins, so the page's domain may name its view as it likes.
_TARGETS: dict[str, list[tuple[str, str]]] = {
    "referral": [("referrals.detail", "referral_id"), ("referrals.show", "referral_id"),
                 ("referrals.view", "referral_id")],
    "case": [("cases.detail", "case_id"), ("cases.show", "case_id"), ("cases.view", "case_id")],
    "delivery": [("notifications.system_health", "")],
    # The daily digest (subject: the coordinator) leads to the overdue review.
    "user": [("coordination.review", ""), ("referrals.region", "")],
    "notification_settings": [("notifications.preferences", "")],
}
_FALLBACK = "notifications.index"


def register_target(subject_type: str, endpoint: str, arg: str) -> None:
    """Let a domain say which page shows its subject (checked before the guesses above)."""
    _TARGETS.setdefault(subject_type, []).insert(0, (endpoint, arg))


def target_path(subject_type: str, subject_id: int) -> str:
    adapter = current_app.url_map.bind("localhost")
    for endpoint, arg in _TARGETS.get(subject_type, []):
        if endpoint not in current_app.view_functions:
            continue
        try:
            return adapter.build(endpoint, {arg: subject_id} if arg else {})
        except BuildError:
            continue
    return adapter.build(_FALLBACK, {})


def external(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
