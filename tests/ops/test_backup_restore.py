"""Backup and restore (issue 22): a database of some 30,000 rows backed up, restored into a new
database with every table's rows and an intact audit chain; a changed byte, a missing checksum
and a wrong key refused; encryption round trip; and the upgrade check's refusal to start."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.generate import generate
from referral import create_app
from referral.backup import crypto
from referral.backup.checksum import LINE
from referral.backup.upgrade import MigrationsBehind
from referral.paths import MIGRATIONS_DIR, PROJECT_ROOT
from tests.conftest import TEST_DATABASE_URL, base_config

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()
DOCUMENTS_KEY = base64.b64encode(os.urandom(32)).decode()  # production requires one
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def _counts(url: str) -> dict[str, int]:
    from referral.backup.service import table_counts

    return table_counts(url)


def _app(url: str, **extra: Any) -> Flask:
    # An empty documents store: these tests' backups are the database alone.
    extra.setdefault("DOCUMENTS_DIR", tempfile.mkdtemp())
    return create_app(base_config(url, **extra))


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _backup_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.endswith(".sha256"))


def _restored(source_counts: dict) -> dict:
    """The source's rows as backed up, and the restore's own audit row."""
    return {**source_counts, "audit_events": source_counts["audit_events"] + 1}


def _restore_and_check(app: Flask, backup: Path, target: str, source_counts: dict,
                       *extra: str) -> str:
    """``source_counts``: the source's rows when the backup was made."""
    result = _cli(app, "restore", str(backup), "--into", target, *extra)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"audit chain intact: {source_counts['audit_events']} rows" in result.output
    assert _counts(target) == _restored(source_counts)
    _assert_chain_intact(target)
    return result.output


def _assert_chain_intact(url: str) -> None:
    """The restore's own audit row kept the chain: verified again on its own."""
    from referral.audit.verify import verify_chain
    from referral.extensions import db

    app = _app(url)
    with app.app_context():
        report = verify_chain()
        assert report.ok, report
        actions = db.session.execute(text(
            "SELECT action FROM audit_events ORDER BY id DESC LIMIT 1")).scalar_one()
        db.engine.dispose()
    assert actions == "database.restore"


# --- SQLite ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's generator at its smallest scale: ~32,000 rows in every domain's tables,
    5,000 of them a valid audit chain."""
    path = tmp_path_factory.mktemp("seeded") / "source.sqlite"
    generate(f"sqlite:///{path}", scale=0.0005, quiet=True)
    return path


@pytest.fixture
def source(seeded: Path, tmp_path: Path) -> str:
    copy = tmp_path / "source.sqlite"
    shutil.copyfile(seeded, copy)
    return f"sqlite:///{copy}"


def test_sqlite_backup_restores_every_row_into_a_new_database(source: str,
                                                              tmp_path: Path) -> None:
    app = _app(source)
    result = _cli(app, "backup", "--out", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output + result.stderr
    [backup] = _backup_files(tmp_path / "backups")
    assert backup.name.startswith("referral-") and backup.name.endswith("Z.sqlite")
    assert backup.stat().st_mode & 0o077 == 0  # every case in it: its owner's only
    # The checksum file is sha256sum's own format.
    line = (tmp_path / "backups" / f"{backup.name}.sha256").read_text().strip()
    assert LINE.match(line) and line.endswith(f"  {backup.name}")
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "-c", f"{backup.name}.sha256"], cwd=backup.parent,
                       check=True, capture_output=True)

    counts = _counts(source)  # the generator's 5,000 and the backup's own row
    assert counts["audit_events"] == 5001 and sum(counts.values()) > 30_000
    target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    output = _restore_and_check(app, backup, target, counts)
    assert "cases" in output and "referrals" in output  # the rows per table are printed

    # A second restore into the now non-empty database needs --yes.
    again = _cli(app, "restore", str(backup), "--into", target)
    assert again.exit_code != 0 and "not empty" in again.stderr and "--yes" in again.stderr
    assert _cli(app, "restore", str(backup), "--into", target, "--yes").exit_code == 0


def test_sqlite_backup_is_consistent_while_the_app_writes(source: str, tmp_path: Path) -> None:
    """Audit rows written during the backup (each moving the chain head) never leave a copy
    whose chain and head disagree."""
    import threading

    from referral.access.scope import acting_as, system_actor
    from referral.audit import service as audit
    from referral.backup.service import make_backup
    from referral.extensions import db

    app = _app(source)
    stop, written = threading.Event(), []

    def write() -> None:
        with app.app_context(), acting_as(system_actor("backup test")):
            while not stop.is_set():
                audit.record("case.view", object_type="case", object_id=1, outcome="success")
                db.session.commit()
                written.append(1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 3:  # the writer is busy before the copy starts
            time.sleep(0.01)
        made = make_backup(source, tmp_path / "backups")
        during = len(written)
        while len(written) < during + 3:  # and still after it
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
    target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    result = _cli(app, "restore", str(made.path), "--into", target)
    assert result.exit_code == 0, result.output + result.stderr
    assert "audit chain intact" in result.output


def test_a_changed_byte_or_a_missing_checksum_is_refused(source: str, tmp_path: Path) -> None:
    app = _app(source)
    assert _cli(app, "backup", "--out", str(tmp_path / "b")).exit_code == 0
    [backup] = _backup_files(tmp_path / "b")
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.write_bytes(bytes(data))
    target = tmp_path / "restored.sqlite"
    result = _cli(app, "restore", str(backup), "--into", f"sqlite:///{target}")
    assert result.exit_code != 0
    assert "checksum" in result.stderr and "does not match" in result.stderr
    assert not target.exists()  # nothing was restored

    (backup.parent / f"{backup.name}.sha256").unlink()
    result = _cli(app, "restore", str(backup), "--into", f"sqlite:///{target}")
    assert result.exit_code != 0 and "no checksum file" in result.stderr
    assert not target.exists()


def test_encrypted_backup_round_trip_and_wrong_key(source: str, tmp_path: Path) -> None:
    app = _app(source, BACKUP_KEY=KEY)
    result = _cli(app, "backup", "--out", str(tmp_path / "b"), "--encrypt")
    assert result.exit_code == 0, result.output + result.stderr
    [backup] = _backup_files(tmp_path / "b")
    assert backup.name.endswith(".sqlite.enc")
    head = backup.read_bytes()[:64]
    assert head.startswith(crypto.MAGIC) and b"SQLite format" not in head
    counts = _counts(source)
    _restore_and_check(app, backup, f"sqlite:///{tmp_path / 'restored.sqlite'}", counts)

    target = tmp_path / "other.sqlite"
    wrong = _cli(_app(source, BACKUP_KEY=OTHER_KEY), "restore", str(backup), "--into",
                 f"sqlite:///{target}")
    assert wrong.exit_code != 0 and "does not open with this BACKUP_KEY" in wrong.stderr
    assert not target.exists()
    keyless = _cli(_app(source), "restore", str(backup), "--into", f"sqlite:///{target}")
    assert keyless.exit_code != 0 and "is encrypted: set BACKUP_KEY" in keyless.stderr
    no_key = _cli(_app(source), "backup", "--out", str(tmp_path / "c"), "--encrypt")
    assert no_key.exit_code != 0 and "REFERRAL_BACKUP_KEY" in no_key.stderr


def test_the_chunked_format_refuses_reordered_cut_and_changed_chunks() -> None:
    key = crypto.parse_key(KEY)
    plain = os.urandom(10_000)
    sealed = io.BytesIO()
    crypto.encrypt_stream(key, io.BytesIO(plain), sealed, chunk=1000)
    data = sealed.getvalue()
    assert b"".join(crypto.decrypt_stream(key, io.BytesIO(data))) == plain
    frame = crypto.FRAME.size + 1000 + crypto.TAG
    body, header = data[crypto.HEADER.size:], data[:crypto.HEADER.size]
    swapped = header + body[frame:2 * frame] + body[:frame] + body[2 * frame:]
    cut = data[:crypto.HEADER.size + 3 * frame]
    changed = bytearray(data)
    changed[-5] ^= 0x80
    for damaged in (swapped, cut, bytes(changed)):
        with pytest.raises(crypto.BackupKeyError):
            b"".join(crypto.decrypt_stream(key, io.BytesIO(damaged)))
    # An empty input is one final, empty chunk.
    empty = io.BytesIO()
    crypto.encrypt_stream(key, io.BytesIO(b""), empty)
    assert b"".join(crypto.decrypt_stream(key, io.BytesIO(empty.getvalue()))) == b""
    with pytest.raises(crypto.BackupKeyError, match="32 bytes"):
        crypto.parse_key(base64.b64encode(b"short").decode())


def test_pg_dump_missing_names_the_package(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    from referral.backup.engines import BackupError
    from referral.backup.service import make_backup

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump not found.*postgresql-client"):
        make_backup("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path / "out")
    assert not list((tmp_path / "out").iterdir())  # no half-written file left


# --- the upgrade check -------------------------------------------------------------------------


def _production(url: str, **extra: Any) -> dict[str, Any]:
    return {"ENV_NAME": "production", "SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": url,
            "DOCUMENTS_KEY": DOCUMENTS_KEY, **extra}


def _migrate_to(url: str, revision: str) -> None:
    from flask_migrate import upgrade

    from referral.extensions import db

    app = _app(url)
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


def test_web_refuses_a_database_behind_the_code_and_db_upgrade_still_runs(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    _migrate_to(url, "0027")
    with pytest.raises(MigrationsBehind) as refused:
        create_app(_production(url))
    assert str(refused.value) == (f"database at 0027, code expects {HEAD}: "
                                  f"run `flask db upgrade`")
    # Development and tests do not check (the dev server migrates first); a setting turns the
    # check off in production.
    create_app(base_config(url))
    create_app(_production(url, CHECK_MIGRATIONS=False))

    # `flask db upgrade` builds the same production app, and is not refused.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "REFERRAL_ENV": "production",
           "DATABASE_URL": url, "SECRET_KEY": "s" * 40, "REFERRAL_DOCUMENTS_KEY": DOCUMENTS_KEY,
           "REFERRAL_INSTANCE_PATH": str(tmp_path / "instance")}
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "--app", "referral", "db", "upgrade"], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    create_app(_production(url))  # now at the head: starts


def test_upgrade_check_names_an_empty_or_unknown_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    with pytest.raises(MigrationsBehind, match="no migrations applied.*flask db upgrade"):
        create_app(_production(url))
    _migrate_to(url, "0027")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(MigrationsBehind, match="at 9999, which this code does not know"):
        create_app(_production(url))


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture
def pg_databases() -> Iterator[Any]:
    """Throw-away databases beside the test database, dropped after the test."""
    made: list[str] = []
    base = make_url(TEST_DATABASE_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")

    def new(label: str) -> str:
        name = f"{base.database}_{label}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield new
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_postgres_backup_restores_into_a_new_database(pg_databases: Any,
                                                      tmp_path: Path) -> None:
    source = pg_databases("src")
    generate(source, scale=0.0005, quiet=True, workers=1)

    app = _app(source, BACKUP_KEY=KEY)
    result = _cli(app, "backup", "--out", str(tmp_path / "plain"))
    assert result.exit_code == 0, result.output + result.stderr
    counts = _counts(source)  # the generator's 5,000 and the backup's own row
    assert counts["audit_events"] == 5001 and sum(counts.values()) > 30_000
    [backup] = _backup_files(tmp_path / "plain")
    assert backup.name.endswith("Z.pgdump") and backup.read_bytes()[:5] == b"PGDMP"
    target = pg_databases("dst")
    _restore_and_check(app, backup, target, counts)

    # Encrypted, over the now non-empty database (--yes): the same rows again.
    assert _cli(app, "backup", "--out", str(tmp_path / "enc"), "--encrypt").exit_code == 0
    [sealed] = _backup_files(tmp_path / "enc")
    counts = _counts(source)
    refused = _cli(app, "restore", str(sealed), "--into", target)
    assert refused.exit_code != 0 and "not empty" in refused.stderr
    _restore_and_check(app, sealed, target, counts, "--yes")

    # One changed byte: refused before pg_restore touches the database.
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.write_bytes(bytes(data))
    result = _cli(app, "restore", str(backup), "--into", target, "--yes")
    assert result.exit_code != 0 and "does not match" in result.stderr
    assert _counts(target) == _restored(counts)


@pytest.mark.postgres
def test_postgres_upgrade_check(pg_databases: Any) -> None:
    url = pg_databases("old")
    _migrate_to(url, "0027")
    with pytest.raises(MigrationsBehind, match=f"database at 0027, code expects {HEAD}"):
        create_app(_production(url))
    _migrate_to(url, "head")
    create_app(_production(url))
