"""Helpers of the documents domain tests: attach files through the service as a view does."""

from __future__ import annotations

from typing import Any

from referral.documents import service
from referral.documents.models import Document
from referral.extensions import db
from tests.fixtures import actor


def attach(user: Any, case_id: int, files: list[tuple[str, bytes]], *,
           category: str = "forensic_report", title: str = "", note: str = "",
           attach_to: str | None = None) -> list[Document]:
    """Prepare, write the rows, commit, finalise: the upload view's steps."""
    prepared = service.prepare(files)
    docs = service.add_documents(actor(user), case_id, prepared, category=category,
                                 title=title, note=note, attach=attach_to)
    db.session.commit()
    service.finalise(prepared)
    db.session.commit()
    return docs
