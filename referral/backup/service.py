"""Make a backup file and restore one: the steps ``flask backup`` / ``flask restore`` run.

What a backup holds: the whole database (every table: cases, people, referrals, the audit
trail and its head, the outbox, users and their second factors, sessions). Nothing else in the
instance folder is data: ``broker.sqlite`` holds task messages only (the work they stand for is
in the database's outbox and is swept again), ``celerybeat-schedule`` the scheduler's last run
times, ``dev-mailbox/`` development e-mail. There are no uploaded files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table

from referral.backup import checksum, crypto, engines
from referral.backup.engines import BackupError

PREFIX = "referral-"


@dataclass(frozen=True)
class Backup:
    path: Path
    checksum_path: Path
    size: int
    encrypted: bool


def backup_name(kind: str, now: datetime, *, encrypted: bool) -> str:
    """``referral-20261205T154600Z.pgdump`` (or ``.sqlite``; ``.enc`` when encrypted): names
    sort by time."""
    suffix = ".pgdump" if kind == "postgresql" else ".sqlite"
    return f"{PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{suffix}{'.enc' if encrypted else ''}"


def _private_file(path: Path):  # noqa: ANN202 - a binary file object
    """A new file only its owner reads (a backup holds every case)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def make_backup(database_url: str, out_dir: Path, *, key: bytes | None = None,
                now: datetime | None = None) -> Backup:
    """Back the database up into ``out_dir``; written under a ``.partial`` name and renamed
    when complete, so a file with the final name is always whole."""
    kind = "postgresql" if engines.is_postgres(database_url) else "sqlite"
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / backup_name(kind, now or datetime.now(UTC), encrypted=key is not None)
    if final.exists():
        raise BackupError(f"{final} already exists")
    partial = final.with_name(final.name + ".partial")
    try:
        with _private_file(partial) as handle:
            writer = checksum.HashingWriter(handle)
            with _plain_dump(kind, database_url, out_dir) as plain:
                if key is None:
                    shutil.copyfileobj(plain, writer, crypto.CHUNK)
                else:
                    crypto.encrypt_stream(key, plain, writer)
            handle.flush()
            os.fsync(handle.fileno())
        partial.rename(final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    sums = checksum.write_checksum(final, writer.hash.hexdigest())
    return Backup(final, sums, writer.size, key is not None)


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
        with path.open("rb") as source, _private_file(plain) as sink:
            for block in crypto.decrypt_stream(key, source):
                sink.write(block)
        with plain.open("rb") as handle:
            kind = engines.kind_of(handle.read(16))
        yield kind, plain


def is_empty(database_url: str) -> bool:
    if engines.is_postgres(database_url):
        return engines.pg_is_empty(database_url)
    return engines.sqlite_is_empty(engines.sqlite_path(database_url))


def restore(path: Path, target_url: str, *, key: bytes | None = None,
            replace: bool = False) -> None:
    """Restore the backup at ``path`` into ``target_url``: refused into a database that has
    tables unless ``replace``; PostgreSQL into PostgreSQL, SQLite into SQLite."""
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
