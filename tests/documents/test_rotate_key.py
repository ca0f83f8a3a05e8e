"""`flask documents rotate-key`: after the master key changes (the old one kept in OLD_KEYS)
every stored file stays readable; after rotation the old key can be dropped and still every file
opens; the files themselves are never rewritten. And `flask documents sweep-pending`."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from referral.documents import crypto
from referral.documents.storage import FINAL, PENDING, current_store, new_key

KEY_A = base64.b64encode(os.urandom(32)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()
FILES = [f"document {n}: statement of the survivor".encode() * (n + 1) for n in range(5)]


@pytest.fixture(params=["file", "s3"])
def backend(request: pytest.FixtureRequest, app: Flask) -> str:
    if request.param == "s3":
        app.config.update(request.getfixturevalue("s3_settings"))
    return request.param


def _store_files(files: list[bytes]) -> list[str]:
    """Sealed, stored and recorded as the upload does (final objects with their rows)."""
    from referral.documents.models import DocumentObject
    from referral.extensions import db

    keys = []
    for data in files:
        sealed, key = crypto.seal(data), new_key()
        current_store().put(FINAL + key, sealed.ciphertext)
        db.session.add(DocumentObject(storage_key=key, wrapped_key=sealed.wrapped_key,
                                      key_id=sealed.key_id, size=len(data), final=True))
        keys.append(key)
    db.session.commit()
    return keys


def _read_all() -> dict[str, bytes]:
    from referral.documents.models import DocumentObject
    from referral.extensions import db

    db.session.expire_all()
    rows = db.session.execute(select(DocumentObject).order_by(DocumentObject.id)).scalars()
    return {row.storage_key: crypto.unseal(current_store().get(FINAL + row.storage_key),
                                           row.wrapped_key, row.key_id) for row in rows}


def _key_ids() -> set[str]:
    from referral.documents.models import DocumentObject
    from referral.extensions import db

    db.session.expire_all()
    return set(db.session.execute(select(DocumentObject.key_id)).scalars())


def _cli(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["documents", *args])
    return result


def test_rotation_keeps_every_file_readable_and_the_files_untouched(
        ctx: Flask, backend: str) -> None:
    ctx.config["DOCUMENTS_KEY"] = KEY_A
    keys = _store_files(FILES)
    stored_before = {k: current_store().get(FINAL + k) for k in keys}
    id_a = crypto.key_id_of(base64.b64decode(KEY_A))
    id_b = crypto.key_id_of(base64.b64decode(KEY_B))
    assert _key_ids() == {id_a}

    # The new key in place, the old one kept for reading: every file still opens.
    ctx.config.update(DOCUMENTS_KEY=KEY_B, DOCUMENTS_OLD_KEYS=KEY_A)
    assert list(_read_all().values()) == FILES
    _store_files([b"added after the change"])  # new files already use the new key

    result = _cli(ctx, "rotate-key")
    assert result.exit_code == 0, result.output
    assert f"re-wrapped 5 document keys with key {id_b}; 1 already used it" in result.output
    assert _key_ids() == {id_b}
    # The old key dropped: every file opens, and none was rewritten.
    ctx.config["DOCUMENTS_OLD_KEYS"] = ""
    assert list(_read_all().values()) == [*FILES, b"added after the change"]
    assert {k: current_store().get(FINAL + k) for k in keys} == stored_before
    # Run again: nothing left to do.
    assert "re-wrapped 0 document keys" in _cli(ctx, "rotate-key").output


def test_rotation_without_the_old_key_fails_and_changes_nothing(ctx: Flask) -> None:
    ctx.config["DOCUMENTS_KEY"] = KEY_A
    _store_files(FILES[:2])
    ctx.config.update(DOCUMENTS_KEY=KEY_B, DOCUMENTS_OLD_KEYS="")
    result = _cli(ctx, "rotate-key")
    assert result.exit_code != 0 and "REFERRAL_DOCUMENTS_OLD_KEYS" in result.output
    assert _key_ids() == {crypto.key_id_of(base64.b64decode(KEY_A))}
    assert KEY_A not in result.output and KEY_B not in result.output


def test_sweep_pending_finishes_claimed_uploads_and_deletes_orphans(
        ctx: Flask, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from referral.documents.models import DocumentObject
    from referral.extensions import db

    store = current_store()
    unfinished, orphan = new_key(), new_key()
    sealed = crypto.seal(b"scan of the protective order")
    store.put(PENDING + unfinished, sealed.ciphertext)
    store.put(PENDING + orphan, b"a failed upload")
    db.session.add(DocumentObject(storage_key=unfinished, wrapped_key=sealed.wrapped_key,
                                  key_id=sealed.key_id, size=1, final=False,
                                  created_at=datetime.now(UTC) - timedelta(hours=2)))
    db.session.commit()

    result = _cli(ctx, "sweep-pending")
    assert result.exit_code == 0, result.output
    assert "finished 1 uploads; deleted 0" in result.output  # the orphan is not a day old
    assert store.get(FINAL + unfinished) == sealed.ciphertext
    db.session.expire_all()
    assert db.session.execute(select(DocumentObject.final)).scalar_one() is True

    # As if a day had passed.
    monkeypatch.setattr("referral.documents.cli.PENDING_MAX_AGE", timedelta(seconds=-60))
    result = _cli(ctx, "sweep-pending")
    assert "finished 0 uploads; deleted 1" in result.output
    assert [k for k, _ in store.keys(PENDING)] == []
    assert store.get(FINAL + unfinished) == sealed.ciphertext
