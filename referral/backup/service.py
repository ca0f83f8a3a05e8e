"""Make a backup file and restore one: the steps ``flask backup`` / ``flask restore`` run.

What a backup holds: the whole database (every table: cases, people, referrals, the audit
trail and its head, the outbox, users and their second factors, sessions), and beside it the
stored documents (``referral/backup/documents.py``: the encrypted objects of the documents store,
the folder or S3). Nothing else in the instance folder is data: ``broker.sqlite`` holds task
messages only (the work they stand for is in the database's outbox and is swept again),
``celerybeat-schedule`` the scheduler's last run times, ``dev-mailbox/`` development e-mail.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, func, inspect, select, table

from referral.backup import checksum, crypto, engines, files
from referral.backup import documents as stored_documents
from referral.backup.engines import BackupError

if TYPE_CHECKING:
    from referral.documents.storage import BlobStore

PREFIX = "referral-"


@dataclass(frozen=True)
class Backup:
    path: Path
    checksum_path: Path
    size: int
    encrypted: bool
    documents: Path | None = None  # the stored documents' archive (None: none were stored)
    document_count: int = 0


def backup_name(kind: str, now: datetime, *, encrypted: bool) -> str:
    """``referral-20261205T154600Z.pgdump`` (or ``.sqlite``; ``.enc`` when encrypted): names
    sort by time."""
    suffix = ".pgdump" if kind == "postgresql" else ".sqlite"
    return f"{PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{suffix}{'.enc' if encrypted else ''}"


def make_backup(database_url: str, out_dir: Path, *, key: bytes | None = None,
                now: datetime | None = None, documents: BlobStore | None = None) -> Backup:
    """Back the database up into ``out_dir``, then the ``documents`` store's files when it
    holds any; written under a ``.partial`` name and renamed when complete, so a file with the
    final name is always whole."""
    kind = "postgresql" if engines.is_postgres(database_url) else "sqlite"
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / backup_name(kind, now or datetime.now(UTC), encrypted=key is not None)
    if final.exists():
        raise BackupError(f"{final} already exists")
    with _plain_dump(kind, database_url, out_dir) as plain:
        sums, size = files.sealed_copy(plain, final, key=key)
    archive, count = None, 0
    if documents is not None and next(iter(documents.keys("")), None) is not None:
        archive, count = stored_documents.write_archive(documents, final, key=key)
    return Backup(final, sums, size, key is not None, archive, count)


@contextmanager
def _plain_dump(kind: str, database_url: str, work_dir: Path) -> Iterator:
    """The unencrypted backup as a readable stream: pg_dump's output as it comes, or SQLite's
    backup-API copy (a private temporary file beside the backup, removed after)."""
    if kind == "postgresql":
        with engines.pg_dump(database_url) as stream:
            yield stream
        return
    with tempfile.TemporaryDirectory(dir=work_dir) as scratch:
        copy = Path(scratch) / "copy.sqlite"
        engines.sqlite_backup(database_url, copy)
        with copy.open("rb") as stream:
            yield stream


@contextmanager
def opened_backup(path: Path, key: bytes | None) -> Iterator[tuple[str, Path]]:
    """Checked (checksum), decrypted when sealed (every chunk authenticated before anything is
    restored): the backup's kind and a plain file to restore from."""
    if not path.is_file():
        raise BackupError(f"no such backup file: {path}")
    checksum.verify(path)
    with path.open("rb") as handle:
        head = handle.read(len(crypto.MAGIC))
    if not crypto.is_encrypted(head):
        with path.open("rb") as handle:
            yield engines.kind_of(handle.read(16)), path
        return
    if key is None:
        raise BackupError(f"{path.name} is encrypted: set BACKUP_KEY (REFERRAL_BACKUP_KEY) to "
                          f"the key it was made with")
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        plain = Path(scratch) / "plain"
        files.decrypted_copy(path, key, plain)
        with plain.open("rb") as handle:
            kind = engines.kind_of(handle.read(16))
        yield kind, plain


def is_empty(database_url: str) -> bool:
    if engines.is_postgres(database_url):
        return engines.pg_is_empty(database_url)
    return engines.sqlite_is_empty(engines.sqlite_path(database_url))


def restore(path: Path, target_url: str, *, key: bytes | None = None,
            replace: bool = False, documents: BlobStore | None = None) -> int:
    """Restore the backup at ``path`` into ``target_url``: refused into a database that has
    tables unless ``replace``; PostgreSQL into PostgreSQL, SQLite into SQLite. The backup's
    documents go back into ``documents``; returns how many."""
    archive = stored_documents.check_archive(path) if documents is not None else None
    with opened_backup(path, key) as (kind, plain):
        target_kind = "postgresql" if engines.is_postgres(target_url) else "sqlite"
        if kind != target_kind:
            raise BackupError(f"{path.name} is a {kind} backup: restore it into a {kind} "
                              f"database (--into)")
        if not replace and not is_empty(target_url):
            raise BackupError("the target database is not empty: restoring replaces what is in "
                              "it; give --yes to go on")
        if kind == "postgresql":
            engines.pg_restore(target_url, plain)
        else:
            engines.sqlite_restore(plain, engines.sqlite_path(target_url))
    if archive is None or documents is None:
        return 0
    return stored_documents.restore_archive(archive, documents, key=key)


def table_counts(database_url: str) -> dict[str, int]:
    """Rows per table, by name (the restore's summary, and what tests compare)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            names = sorted(inspect(connection).get_table_names())
            return {name: connection.execute(select(func.count()).select_from(table(name)))
                    .scalar_one() for name in names}
    finally:
        engine.dispose()
