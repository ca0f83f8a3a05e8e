"""The caller's notifications: the list (newest first, a page at a time) and marking one read.

The same service as the notification page (referral.notifications.service): only the addressee
sees a notification; anyone else's id is a 404.
"""

from __future__ import annotations

from referral.access.scope import current_actor
from referral.api.paging import Page, decode_cursor, encode_cursor, invalid_cursor
from referral.api.schemas import notifications as s
from referral.api.spec import operation
from referral.notifications import service
from referral.notifications.kinds import detail_text, get_kind, title_text
from referral.notifications.models import Notification
from referral.web.transaction import run_action

TAG = "notifications"


def notification_out(note: Notification) -> s.Notification:
    kind = get_kind(note.kind)
    return s.Notification(
        id=note.id, kind=note.kind,
        title=title_text(kind, note.reference) if kind else note.kind,
        detail=detail_text(kind, note.event.data or {}) if kind else "",
        subject_type=note.subject_type, subject_id=note.subject_id,
        reference=note.reference or "", created_at=note.created_at, read_at=note.read_at)


def _before(cursor: str | None) -> int | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    before = position.get("i")
    if not isinstance(before, int):
        raise invalid_cursor()
    return before


@operation("GET", "/notifications", summary="The caller's notifications", tag=TAG,
           query=s.NotificationQuery, response=Page[s.Notification])
def list_notifications(query: s.NotificationQuery) -> Page[s.Notification]:
    """The notifications of the token's user, newest first (by id, so a new one never moves a
    page already read)."""
    before = _before(query.cursor)
    notes = service.list_notifications_for(current_actor(), before_id=before,
                                           limit=query.limit + 1, unread=query.unread)
    more, notes = len(notes) > query.limit, notes[:query.limit]
    cursor = encode_cursor({"i": notes[-1].id}) if more and notes else None
    return Page[s.Notification](items=[notification_out(n) for n in notes], next_cursor=cursor)


@operation("POST", "/notifications/<int:notification_id>/read", summary="Mark a notification read",
           tag=TAG, response=s.Notification)
def read_notification(notification_id: int) -> s.Notification:
    """Mark one of the caller's notifications read (again: no change)."""
    actor = current_actor()
    note = run_action(lambda: service.mark_read(actor, notification_id=notification_id))
    return notification_out(note)
