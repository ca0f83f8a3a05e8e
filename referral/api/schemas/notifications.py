"""Notifications of the API: the caller's own list (ids, kinds and an opaque reference only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from referral.api.paging import PageQuery


class NotificationQuery(PageQuery):
    unread: bool | None = Field(None, description="Only unread (true) or only read (false).")


class Notification(BaseModel):
    """One line of the caller's notification list, as the page shows it (title and detail in
    the caller's language) with the subject it leads to."""

    id: int
    kind: str
    title: str
    detail: str
    subject_type: str
    subject_id: int
    reference: str
    created_at: datetime
    read_at: datetime | None
