"""The documents' part of the purge: a due case's files go entirely, rows and stored objects.

A file cannot be cleared the way a text column is, and a scan or photo is personal data from
end to end, so documents are deleted (with their versions, shares and encrypted objects), not
anonymised. The stored objects are deleted once the transaction that deleted their rows has
committed: a rolled-back purge leaves every row with its file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, event, func, or_, select
from sqlalchemy.orm import Session

from referral.documents.models import Document, DocumentObject, DocumentShare
from referral.extensions import db

_docs = Document.__table__
_objects = DocumentObject.__table__
_shares = DocumentShare.__table__
_PURGED = "retention_purged_document_keys"


def counts(case_ids: Select[tuple[int]]) -> Select[Any]:
    """(case id, documents) per due case."""
    return (select(_docs.c.case_id, func.count()).where(_docs.c.case_id.in_(case_ids))
            .group_by(_docs.c.case_id))


def purge(case_ids: Select[tuple[int]]) -> int:
    """Delete the documents of ``case_ids``; their objects go after the commit."""
    of_cases = select(_docs.c.id).where(_docs.c.case_id.in_(case_ids))
    object_ids = select(_docs.c.object_id).where(_docs.c.case_id.in_(case_ids)).union(
        select(_docs.c.thumb_object_id).where(_docs.c.case_id.in_(case_ids),
                                              _docs.c.thumb_object_id.is_not(None)))
    keys = list(db.session.execute(select(_objects.c.id, _objects.c.storage_key).where(
        _objects.c.id.in_(object_ids))).all())
    if not keys:
        return 0
    db.session.execute(delete(_shares).where(_shares.c.document_id.in_(of_cases)))
    deleted = db.session.execute(delete(_docs).where(_docs.c.case_id.in_(case_ids))).rowcount
    db.session.execute(delete(_objects).where(or_(*(
        _objects.c.id.in_([row_id for row_id, _ in keys[i:i + 500]])
        for i in range(0, len(keys), 500)))))
    db.session.info.setdefault(_PURGED, []).extend(key for _, key in keys)
    return deleted or 0


@event.listens_for(Session, "after_commit")
def _delete_stored(session: Session) -> None:
    keys = session.info.pop(_PURGED, None)
    if not keys:
        return
    from referral.documents import storage

    store = storage.current_store()
    for key in keys:
        store.delete(storage.FINAL + key)
        store.delete(storage.PENDING + key)


@event.listens_for(Session, "after_rollback")
def _keep_stored(session: Session) -> None:
    session.info.pop(_PURGED, None)
