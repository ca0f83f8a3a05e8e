"""Where the encrypted documents live: a folder under instance/, or S3-compatible object storage.

Both hold opaque ciphertext under generated names (``new_key``); the user's file name is only a
label on the row. A file is written under ``PENDING`` first, the row committed, then moved to
``FINAL``: a crash in between leaves a pending object that ``sweep_pending`` removes once it is
older than a day and no row claims it, never a row without its file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

PENDING = "pending/"
FINAL = "objects/"
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_/.")


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def move(self, src: str, dst: str) -> None: ...
    def keys(self, prefix: str) -> Iterator[tuple[str, datetime]]: ...


def new_key() -> str:
    """A random, unguessable object name (160 bits), safe as a file name and an S3 key."""
    return secrets.token_hex(20)


def _checked(key: str) -> str:
    """Keys are ours (prefix + new_key): anything else is refused before it reaches a path."""
    if not key or not set(key) <= _SAFE or ".." in key or key.startswith("/"):
        raise ValueError("not a document storage key")
    return key


class FileStore:
    """Objects as files under ``root`` (readable by the app's user only)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written beside its final name and renamed, so a file with that name is always whole.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def move(self, src: str, dst: str) -> None:
        target = self._path(dst)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.replace(self._path(src), target)
        except FileNotFoundError:
            raise KeyError(src) from None

    def keys(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        base = self.root / prefix if prefix.endswith("/") else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.startswith(".partial-"):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                yield key, datetime.fromtimestamp(path.stat().st_mtime, UTC)


class S3Store:
    """Objects in an S3-compatible bucket (MinIO in docker-compose.yml), path-style addressing."""

    def __init__(self, endpoint_url: str, bucket: str, access_key: str, secret_key: str,
                 region: str = "us-east-1") -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None, region_name=region or "us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3},
                          signature_version="s3v4"))

    def ensure_bucket(self) -> None:
        """Create the bucket when it is missing (a first start against an empty MinIO)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=_checked(key), Body=data)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=_checked(key))
        except ClientError as err:
            if _missing(err):
                raise KeyError(key) from None
            raise
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_checked(key))

    def move(self, src: str, dst: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.copy_object(Bucket=self.bucket, Key=_checked(dst),
                                    CopySource={"Bucket": self.bucket, "Key": _checked(src)})
        except ClientError as err:
            if _missing(err):
                raise KeyError(src) from None
            raise
        self.client.delete_object(Bucket=self.bucket, Key=src)

    def keys(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            for item in page.get("Contents", ()):
                yield item["Key"], item["LastModified"].astimezone(UTC)


def _missing(err: Any) -> bool:
    return err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


def store_from_config(config: Any, instance_path: str) -> BlobStore:
    """The store a configuration names (``DOCUMENTS_STORE``: "file" or "s3")."""
    if (config.get("DOCUMENTS_STORE") or "file") == "s3":
        return S3Store(config.get("DOCUMENTS_S3_ENDPOINT") or "",
                       config.get("DOCUMENTS_S3_BUCKET") or "referral-documents",
                       config.get("DOCUMENTS_S3_ACCESS_KEY") or "",
                       config.get("DOCUMENTS_S3_SECRET_KEY") or "",
                       config.get("DOCUMENTS_S3_REGION") or "us-east-1")
    root = config.get("DOCUMENTS_DIR") or Path(instance_path) / "documents"
    return FileStore(Path(root))


def current_store() -> BlobStore:
    """The app's store, made once per app (a boto3 client is costly to build)."""
    store = current_app.extensions.get("documents_store")
    if store is None:
        store = store_from_config(current_app.config, current_app.instance_path)
        if isinstance(store, S3Store):
            store.ensure_bucket()
        current_app.extensions["documents_store"] = store
    return store


def sweep_pending(store: BlobStore, *, older_than: datetime,
                  referenced: Callable[[list[str]], set[str]]) -> int:
    """Delete pending objects last written before ``older_than`` that no row claims (a crash
    between writing the object and committing its row). ``referenced`` gets the candidates' keys
    as rows hold them (``new_key``'s value, without the prefix) and answers those a row still
    names. Returns how many were deleted."""
    stale = [key[len(PENDING):] for key, modified in store.keys(PENDING)
             if modified < older_than]
    deleted = 0
    for start in range(0, len(stale), 500):
        batch = stale[start:start + 500]
        claimed = referenced(batch)
        for key in batch:
            if key not in claimed:
                store.delete(PENDING + key)
                deleted += 1
    return deleted
