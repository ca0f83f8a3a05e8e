"""The stored documents in a backup: an archive beside the database's backup file.

``referral-<time>.documents.tar`` (``.enc`` when the backup is encrypted; a ``.sha256`` beside
it as for the database) holds every object of the documents store under its storage key, as
stored: ciphertext, whose keys are wrapped in the database's rows. A restore therefore needs the
database of the same backup and the documents master key (REFERRAL_DOCUMENTS_KEY, and any old
key not yet rotated away), which is never in a backup: keep it apart, as BACKUP_KEY.

The database is dumped first and the files copied after it: an object is written before its row
and never rewritten, so every row of the dump has its file in the archive. A pending object
moved to its final name meanwhile is taken from there.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from referral.backup import checksum, files
from referral.backup.engines import BackupError

if TYPE_CHECKING:
    from referral.documents.storage import BlobStore

SUFFIX = ".documents.tar"


def archive_path(backup: Path) -> Path:
    """Where the documents of the database backup ``backup`` are (named by the same time)."""
    stem = backup.name.split(".", 1)[0]
    encrypted = backup.name.endswith(".enc")
    return backup.with_name(f"{stem}{SUFFIX}{'.enc' if encrypted else ''}")


def _object(store: BlobStore, key: str) -> bytes | None:
    from referral.documents.storage import FINAL, PENDING

    try:
        return store.get(key)
    except KeyError:
        if key.startswith(PENDING):  # finalised since it was listed
            try:
                return store.get(FINAL + key[len(PENDING):])
            except KeyError:
                return None
        return None  # deleted since it was listed (retention): nothing to keep


def _write_tar(store: BlobStore, target: Path) -> int:
    count = 0
    with files.private_file(target) as handle, tarfile.open(fileobj=handle, mode="w|") as tar:
        for key, _modified in store.keys(""):
            data = _object(store, key)
            if data is None:
                continue
            info = tarfile.TarInfo(key)
            info.size, info.mode, info.mtime = len(data), 0o600, 0
            tar.addfile(info, io.BytesIO(data))
            count += 1
    return count


def write_archive(store: BlobStore, backup: Path, *, key: bytes | None) -> tuple[Path, int]:
    """Every stored object into the archive beside ``backup``; (its path, how many files).
    Written under a ``.partial`` name and renamed when complete, as the database's file."""
    final = archive_path(backup)
    with tempfile.TemporaryDirectory(dir=backup.parent) as scratch:
        plain = Path(scratch) / "documents.tar"
        count = _write_tar(store, plain)
        with plain.open("rb") as source:
            files.sealed_copy(source, final, key=key)
    return final, count


def check_archive(backup: Path) -> Path | None:
    """The backup's documents archive, its checksum verified (before anything is restored), or
    None when the backup has none (no documents were stored when it was made)."""
    path = archive_path(backup)
    if not path.is_file():
        return None
    checksum.verify(path)
    return path


def restore_archive(path: Path, store: BlobStore, *, key: bytes | None) -> int:
    """Every file of the archive put back into ``store`` under its key; how many."""
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        plain = path
        if path.name.endswith(".enc"):
            if key is None:
                raise BackupError(f"{path.name} is encrypted: set BACKUP_KEY "
                                  f"(REFERRAL_BACKUP_KEY) to the key it was made with")
            plain = Path(scratch) / "documents.tar"
            files.decrypted_copy(path, key, plain)
        count = 0
        with tarfile.open(plain, mode="r:") as tar:
            for member in tar:
                if not member.isfile():
                    raise BackupError(f"{path.name} holds something other than files")
                extracted = tar.extractfile(member)
                assert extracted is not None
                try:
                    store.put(member.name, extracted.read())
                except ValueError:  # not a name the store makes
                    raise BackupError(f"{path.name} holds a file named {member.name!r}, which "
                                      f"is no document's") from None
                count += 1
    return count
