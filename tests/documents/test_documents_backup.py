"""Backup and restore take the stored documents along (both stores, both databases): after a
restore into a new database and an empty store, every document opens with its row's key; the
archive holds ciphertext only; a changed archive is refused before anything is restored."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from referral import create_app
from referral.documents import crypto
from referral.documents.storage import FINAL, PENDING, current_store, new_key
from tests.conftest import ON_POSTGRES, base_config

DOCUMENTS_KEY = base64.b64encode(os.urandom(32)).decode()
BACKUP_KEY = base64.b64encode(os.urandom(32)).decode()
FILES = [f"protocol {n}: the officer's account of the incident".encode() * 40 for n in range(4)]


@pytest.fixture
def target_url(tmp_path: Path, database_url: str) -> Iterator[str]:
    """An empty database of the same kind to restore into."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    base = make_url(database_url)
    name = f"{base.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_store_settings(backend: str, request: pytest.FixtureRequest,
                          tmp_path: Path) -> dict[str, Any]:
    if backend == "s3":
        return request.getfixturevalue("s3_settings") | {
            "DOCUMENTS_S3_BUCKET": _new_bucket(request.getfixturevalue("s3_endpoint"))}
    return {"DOCUMENTS_DIR": str(tmp_path / f"documents-{uuid.uuid4().hex[:6]}")}


def _new_bucket(endpoint: str) -> str:
    from referral.documents.storage import S3Store

    name = f"restored-{uuid.uuid4().hex[:12]}"
    S3Store(endpoint, name, "testing", "testing-secret").ensure_bucket()
    return name


def _add_documents(app: Flask) -> dict[str, bytes]:
    """Three final documents and one whose upload stopped before it was finalised (in an app
    context of its own: the commands below must run in theirs)."""
    from referral.documents.models import DocumentObject
    from referral.extensions import db

    stored = {}
    with app.app_context():
        for n, data in enumerate(FILES):
            sealed, key = crypto.seal(data), new_key()
            final = n < 3
            current_store().put((FINAL if final else PENDING) + key, sealed.ciphertext)
            db.session.add(DocumentObject(storage_key=key, wrapped_key=sealed.wrapped_key,
                                          key_id=sealed.key_id, size=len(data), final=final))
            stored[key] = data
        db.session.commit()
        db.session.remove()
    return stored


def _read_back(app: Flask) -> dict[str, bytes]:
    """Every row's document, read as the app reads it (final name, else pending)."""
    from referral.documents.models import DocumentObject
    from referral.extensions import db

    out = {}
    with app.app_context():
        store = current_store()
        for row in db.session.execute(select(DocumentObject)).scalars():
            try:
                blob = store.get(FINAL + row.storage_key)
            except KeyError:
                blob = store.get(PENDING + row.storage_key)
            out[row.storage_key] = crypto.unseal(blob, row.wrapped_key, row.key_id)
        db.session.remove()
        db.engine.dispose()
    return out


def _archive(folder: Path) -> Path:
    [archive] = [p for p in folder.iterdir() if ".documents.tar" in p.name
                 and not p.name.endswith(".sha256")]
    return archive


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "encrypted"])
@pytest.mark.parametrize("backend", ["file", "s3"])
def test_a_restore_brings_every_document_back_readable(
        app: Flask, backend: str, encrypt: bool, target_url: str, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    app.config.update(DOCUMENTS_KEY=DOCUMENTS_KEY, BACKUP_KEY=BACKUP_KEY,
                      **_empty_store_settings(backend, request, tmp_path))
    stored = _add_documents(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", "--out", str(tmp_path / "backups"),
                                 *(["--encrypt"] if encrypt else [])])
    assert result.exit_code == 0, result.output
    assert "(4 files; they open only with REFERRAL_DOCUMENTS_KEY" in result.output
    archive = _archive(tmp_path / "backups")
    assert archive.name.endswith(".documents.tar.enc" if encrypt else ".documents.tar")
    assert (archive.parent / f"{archive.name}.sha256").is_file()
    assert archive.stat().st_mode & 0o077 == 0
    content = archive.read_bytes()
    assert not any(data[:40] in content for data in FILES)  # ciphertext, never the files
    [database_backup] = [p for p in (tmp_path / "backups").iterdir()
                         if p.name.split(".", 1)[1] in ("sqlite", "pgdump", "sqlite.enc",
                                                        "pgdump.enc")]

    # A new machine: an empty store, an empty database, the same documents key.
    restoring = create_app(base_config(
        app.config["SQLALCHEMY_DATABASE_URI"], DOCUMENTS_KEY=DOCUMENTS_KEY,
        BACKUP_KEY=BACKUP_KEY, **_empty_store_settings(backend, request, tmp_path)))
    with restoring.app_context():
        assert list(current_store().keys("")) == []
    result = restoring.test_cli_runner().invoke(
        args=["restore", str(database_backup), "--into", target_url])
    assert result.exit_code == 0, result.output
    assert "restored 4 document files" in result.output and "audit chain intact" in result.output
    restored = create_app(base_config(target_url, **{
        k: v for k, v in restoring.config.items() if k.startswith("DOCUMENTS_")}))
    assert _read_back(restored) == stored
    with restoring.app_context():  # the unfinished upload is back where it was
        assert [k for k, _ in current_store().keys(PENDING)] == [
            PENDING + k for k in list(stored)[3:]]


def test_a_changed_archive_is_refused_before_anything_is_restored(
        app: Flask, target_url: str, tmp_path: Path) -> None:
    app.config["DOCUMENTS_KEY"] = DOCUMENTS_KEY
    _add_documents(app)
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    archive = _archive(tmp_path / "b")
    data = bytearray(archive.read_bytes())
    data[600] ^= 1
    archive.write_bytes(bytes(data))
    [database_backup] = [p for p in (tmp_path / "b").iterdir()
                         if p.suffix in (".sqlite", ".pgdump")]
    result = app.test_cli_runner().invoke(
        args=["restore", str(database_backup), "--into", target_url])
    assert result.exit_code != 0 and "does not match" in result.output
    from referral.backup.service import is_empty

    assert is_empty(target_url)  # the database was not touched either


def test_a_backup_without_stored_documents_has_no_archive(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "documents:" not in result.output
    assert [p for p in (tmp_path / "b").iterdir() if ".documents." in p.name] == []
