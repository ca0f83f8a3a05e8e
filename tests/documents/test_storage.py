"""The two stores, the folder and S3 (a real S3 API over HTTP): put, get, move, delete, list;
what lies on disk and in the bucket is ciphertext, never the file; the sweep deletes only
pending objects older than its limit that no row claims."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from referral.documents import crypto
from referral.documents.storage import (
    FINAL,
    PENDING,
    FileStore,
    S3Store,
    current_store,
    new_key,
    sweep_pending,
)

PHOTO = b"\xff\xd8\xff\xe0 injuries photographed on 4 March" * 50


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "file":
        return FileStore(tmp_path / "documents")
    return request.getfixturevalue("s3_store")


def test_put_get_move_delete_and_list(bare, store: Any) -> None:
    key = new_key()
    store.put(PENDING + key, b"one")
    assert store.get(PENDING + key) == b"one"
    store.move(PENDING + key, FINAL + key)
    with pytest.raises(KeyError):
        store.get(PENDING + key)
    assert store.get(FINAL + key) == b"one"
    listed = dict(store.keys(FINAL))
    assert list(listed) == [FINAL + key]
    assert abs(listed[FINAL + key] - datetime.now(UTC)) < timedelta(minutes=5)
    assert list(store.keys(PENDING)) == []
    store.put(FINAL + key, b"two")  # a put replaces, whole
    assert store.get(FINAL + key) == b"two"
    store.delete(FINAL + key)
    store.delete(FINAL + key)  # deleting what is gone is no error
    with pytest.raises(KeyError):
        store.get(FINAL + key)
    with pytest.raises(KeyError):
        store.move(PENDING + key, FINAL + key)
    for bad in ("../../etc/passwd", "/abs", "objects/Ä", ""):
        with pytest.raises(ValueError, match="not a document storage key"):
            store.put(bad, b"x")


def test_keys_are_random_and_unguessable() -> None:
    keys = {new_key() for _ in range(1000)}
    assert len(keys) == 1000 and all(len(k) == 40 and int(k, 16) >= 0 for k in keys)


def test_the_folder_holds_ciphertext_readable_by_its_owner_only(bare, tmp_path: Path) -> None:
    bare.config["DOCUMENTS_DIR"] = str(tmp_path / "docs")
    store = current_store()
    assert isinstance(store, FileStore) and store.root == tmp_path / "docs"
    sealed = crypto.seal(PHOTO)
    key = new_key()
    store.put(FINAL + key, sealed.ciphertext)
    on_disk = (tmp_path / "docs" / FINAL / key).read_bytes()
    assert on_disk == sealed.ciphertext and b"injuries" not in on_disk and PHOTO not in on_disk
    assert stat.S_IMODE((tmp_path / "docs" / FINAL / key).stat().st_mode) == 0o600
    assert crypto.unseal(store.get(FINAL + key), sealed.wrapped_key, sealed.key_id) == PHOTO
    assert not [p for p in (tmp_path / "docs").rglob(".partial-*")]


def test_the_bucket_holds_ciphertext(bare, s3_settings: dict) -> None:
    bare.config.update(s3_settings)
    store = current_store()
    assert isinstance(store, S3Store) and current_store() is store
    sealed = crypto.seal(PHOTO)
    key = new_key()
    store.put(FINAL + key, sealed.ciphertext)
    # Read past the store, straight from the S3 API: what the bucket's owner would see.
    raw = store.client.get_object(Bucket=s3_settings["DOCUMENTS_S3_BUCKET"],
                                  Key=FINAL + key)["Body"].read()
    assert raw == sealed.ciphertext and b"injuries" not in raw and PHOTO not in raw
    assert crypto.unseal(store.get(FINAL + key), sealed.wrapped_key, sealed.key_id) == PHOTO


def test_a_missing_bucket_is_created_on_first_use(bare, s3_endpoint: str) -> None:
    bare.config.update(DOCUMENTS_STORE="s3", DOCUMENTS_S3_ENDPOINT=s3_endpoint,
                       DOCUMENTS_S3_BUCKET="fresh-" + new_key()[:12],
                       DOCUMENTS_S3_ACCESS_KEY="a", DOCUMENTS_S3_SECRET_KEY="b")
    store = current_store()
    store.put(FINAL + "k1", b"x")
    assert store.get(FINAL + "k1") == b"x"


def test_sweep_deletes_only_old_unclaimed_pending_objects(bare, store: Any) -> None:
    claimed, orphan, final = new_key(), new_key(), new_key()
    for key in (claimed, orphan):
        store.put(PENDING + key, b"c")
    store.put(FINAL + final, b"c")
    asked: list[list[str]] = []

    def referenced(keys: list[str]) -> set[str]:
        asked.append(sorted(keys))
        return {k for k in keys if k == claimed}

    now = datetime.now(UTC)
    # Younger than the limit (the upload may still be running): nothing is touched.
    assert sweep_pending(store, older_than=now - timedelta(days=1), referenced=referenced) == 0
    assert asked == []
    # Older: the object no row claims goes, the claimed one and final objects stay.
    later = now + timedelta(minutes=5)
    assert sweep_pending(store, older_than=later, referenced=referenced) == 1
    assert asked == [sorted([claimed, orphan])]  # the row's own names, without the prefix
    assert store.get(PENDING + claimed) == b"c" and store.get(FINAL + final) == b"c"
    with pytest.raises(KeyError):
        store.get(PENDING + orphan)


def test_the_folder_sweep_goes_by_the_files_age(bare, tmp_path: Path) -> None:
    store = FileStore(tmp_path / "documents")
    old, young = new_key(), new_key()
    store.put(PENDING + old, b"o")
    store.put(PENDING + young, b"y")
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    os.utime(tmp_path / "documents" / PENDING / old, (two_days_ago, two_days_ago))
    day_ago = datetime.now(UTC) - timedelta(days=1)
    assert sweep_pending(store, older_than=day_ago, referenced=lambda keys: set()) == 1
    assert [k for k, _ in store.keys(PENDING)] == [PENDING + young]


def test_no_bytes_reach_the_log_even_at_debug(bare, s3_settings: dict,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """With every logger at DEBUG (botocore then logs each request's parameters), no stored
    byte appears in the log."""
    import logging

    bare.config.update(s3_settings)
    store = current_store()
    caplog.set_level(logging.DEBUG)
    marker = b"MARKER-" + new_key().encode()
    store.put(FINAL + "k", marker)
    assert store.get(FINAL + "k") == marker
    assert marker.decode() not in caplog.text and "MARKER-" not in caplog.text
