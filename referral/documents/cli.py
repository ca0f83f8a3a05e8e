"""flask documents rotate-key / sweep-pending (docs/operations.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import update

from referral.documents import crypto, service, storage
from referral.documents.models import DocumentObject
from referral.extensions import db

documents_cli = AppGroup("documents", help="Stored documents: master key rotation, the sweep "
                                           "of unfinished uploads.")
PENDING_MAX_AGE = timedelta(days=1)
FINALISE_AFTER = timedelta(minutes=10)  # an upload's own request finalises it well before


def rotate_keys() -> tuple[int, int]:
    """Re-wrap every stored object's key with the current master key; the files are not
    touched. Returns (re-wrapped, already current). The caller commits."""

    current = crypto.key_id_of(crypto.current_key())
    rows = list(service.iter_wrapped_keys())
    done = 0
    for row_id, wrapped, key_id in rows:
        if key_id == current:
            continue
        new_wrapped, new_id = crypto.rewrap(wrapped, key_id)
        service.set_wrapped_key(row_id, new_wrapped, new_id)
        done += 1
    return done, len(rows) - done


def finalise_claimed(store: storage.BlobStore, *, before: datetime) -> int:
    """Objects whose rows were committed but not marked final (the request stopped between the
    commit and the move): moved to their final names and marked. The caller commits."""

    keys = service.unfinished_before(before)
    moved = []
    for key in keys:
        try:
            store.move(storage.PENDING + key, storage.FINAL + key)
        except KeyError:
            try:
                store.get(storage.FINAL + key)  # moved already, not yet marked
            except KeyError:
                continue  # neither: nothing to mark (reported by the row's own read)
        moved.append(key)
    if moved:


        db.session.execute(update(DocumentObject).where(DocumentObject.storage_key.in_(moved))
                           .values(final=True))
    return len(moved)


@documents_cli.command("rotate-key")
@with_appcontext
def rotate_key_command() -> None:
    """Re-wrap every document key with REFERRAL_DOCUMENTS_KEY. Before: the old key moved into
    REFERRAL_DOCUMENTS_OLD_KEYS; after: it may be dropped from there."""
    from referral.access.scope import acting_as, system_actor
    from referral.extensions import db

    with acting_as(system_actor("flask documents rotate-key")):
        try:
            done, current = rotate_keys()
        except crypto.DocumentKeyError as err:
            db.session.rollback()
            raise click.ClickException(str(err)) from None
        db.session.commit()
    click.echo(f"re-wrapped {done} document keys with key "
               f"{crypto.key_id_of(crypto.current_key())}; {current} already used it")


@documents_cli.command("sweep-pending")
@with_appcontext
def sweep_pending_command() -> None:
    """Finish uploads whose rows were committed, and delete pending objects older than a day
    that no row claims (an upload that failed before its row was written)."""
    from referral.access.scope import acting_as, system_actor
    from referral.documents import service
    from referral.extensions import db

    store = storage.current_store()
    now = datetime.now(UTC)
    with acting_as(system_actor("flask documents sweep-pending")):
        finished = finalise_claimed(store, before=now - FINALISE_AFTER)
        db.session.commit()
        deleted = storage.sweep_pending(store, older_than=now - PENDING_MAX_AGE,
                                        referenced=service.stored_keys_claimed)
        db.session.commit()
    click.echo(f"finished {finished} uploads; deleted {deleted} unclaimed pending objects")


def register(app: Flask) -> None:
    app.cli.add_command(documents_cli)
