"""The two databases' own tools: ``pg_dump -Fc`` / ``pg_restore``, SQLite's backup API.

PostgreSQL's client programs get the connection as a URI without the password and the
password in ``PGPASSWORD`` (a command line is visible to every user of the machine in ``ps``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
READ = 1 << 20


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why and what to do."""


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        raise BackupError(f"not an SQLite database file: {parsed.render_as_string()}")
    return Path(parsed.database)


def _client(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise BackupError(f"{program} not found on PATH: install the PostgreSQL client programs "
                          f"(Debian/Ubuntu: apt-get install postgresql-client; the client's "
                          f"major version must be at least the server's)")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    parsed: URL = make_url(url)
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return dsn, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}")


@contextmanager
def pg_dump(url: str) -> Iterator[BinaryIO]:
    """``pg_dump -Fc``'s output as a stream, read while it is written (no plain copy on disk):
    one consistent snapshot (pg_dump reads in one repeatable-read transaction), the app may
    keep writing meanwhile. Leaving the block checks pg_dump's exit."""
    dsn, env = _libpq(url)
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603
            [_client("pg_dump"), "-Fc", "--no-password", "--dbname", dsn],
            stdout=subprocess.PIPE, stderr=errors, env=env)
        assert process.stdout is not None
        try:
            yield process.stdout
        except BaseException:
            process.kill()
            process.wait()
            raise
        process.stdout.close()
        code = process.wait()
        if code != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise BackupError(f"pg_dump failed (exit {code}): {message}")


def pg_is_empty(url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return not connection.execute(text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN "
                "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
            )).scalar_one()
    finally:
        engine.dispose()


def pg_restore(url: str, dump: Path) -> None:
    """Into the target database, in one transaction: a restore that fails changes nothing.
    Owners and privileges are left out: the restoring role owns what it creates, and
    ``flask db-grant-app-role`` gives the app role its rows again."""
    dsn, env = _libpq(url)
    _run([_client("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--no-password", "--dbname", dsn,
          str(dump)], env, "pg_restore")


def sqlite_backup(url: str, target: Path) -> None:
    """SQLite's online backup API: a consistent copy taken in one step under a read
    transaction, which in WAL mode (the app's) does not stop the app's writers."""
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"SQLite database {source_path} does not exist")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            # One self-contained file: the copy keeps no WAL beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        source.close()


def sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    connection = sqlite3.connect(path, timeout=30)
    try:
        return not connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    finally:
        connection.close()


def sqlite_restore(backup: Path, target: Path) -> None:
    """Copy the backup over the target through the backup API (the target's WAL and locks are
    respected; a file copy beside a live ``-wal`` file would be mixed with it)."""
    source = sqlite3.connect(backup)
    try:
        check = source.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the SQLite backup is damaged: {check}")
        target.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(target, timeout=30)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def kind_of(head: bytes) -> str:
    """``sqlite`` or ``postgresql`` from a plain backup's first bytes."""
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError("not a backup of this app: neither an SQLite file nor a pg_dump custom "
                      "archive")
