"""Uploads kept between the dry run and the commit: a random key, bound to the uploader.

The report page's URL carries only the key. Another user (another administrator too) asking for
the key gets 404: the file may hold people's names and addresses that its uploader brought, and
a key seen over a shoulder or in a shared link must not let anyone else commit or read it. A
batch lives a day (``purge_expired``, run by the reminder sweep) or until it is committed.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from referral.access.scope import Actor
from referral.errors import NotVisible
from referral.extensions import db
from referral.imports.models import ImportBatch
from referral.models_base import utcnow

LIFETIME = timedelta(days=1)


def keep(actor: Actor, content: bytes, *, filename: str, table: str = "") -> ImportBatch:
    """Store an upload for its uploader; the caller commits."""
    batch = ImportBatch(key=secrets.token_urlsafe(24), user_id=actor.user_id,
                        filename=(filename or "")[:200], table=table or "", content=content,
                        expires_at=utcnow() + LIFETIME)
    db.session.add(batch)
    db.session.flush()
    return batch


def find(actor: Actor, key: str) -> ImportBatch:
    """The actor's own unexpired batch of this key; NotVisible (404) for anything else."""
    batch = db.session.execute(
        select(ImportBatch).where(ImportBatch.key == key, ImportBatch.user_id == actor.user_id,
                                  ImportBatch.expires_at > utcnow())).scalar_one_or_none()
    if batch is None:
        raise NotVisible("import", None)
    return batch


def forget(batch: ImportBatch) -> None:
    db.session.delete(batch)


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete batches past their day; how many went."""
    result = db.session.execute(delete(ImportBatch).where(
        ImportBatch.expires_at <= (now or utcnow())).execution_options(
        synchronize_session=False))
    return int(result.rowcount or 0)
