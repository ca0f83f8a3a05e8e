"""How a backup file is written and read back: only its owner may read it, it appears under its
final name only when whole, sealed with the backup key when one is given, with its checksum."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO

from referral.backup import checksum, crypto


def private_file(path: Path) -> BinaryIO:
    """A new file only its owner reads (a backup holds every case)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def sealed_copy(source: BinaryIO, final: Path, *, key: bytes | None) -> tuple[Path, int]:
    """Copy ``source`` to ``final`` (encrypted when ``key`` is given) through a ``.partial``
    name renamed when complete, then write its checksum; (the checksum file, bytes written)."""
    partial = final.with_name(final.name + ".partial")
    try:
        with private_file(partial) as handle:
            writer = checksum.HashingWriter(handle)
            if key is None:
                shutil.copyfileobj(source, writer, crypto.CHUNK)
            else:
                crypto.encrypt_stream(key, source, writer)
            handle.flush()
            os.fsync(handle.fileno())
        partial.rename(final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return checksum.write_checksum(final, writer.hash.hexdigest()), writer.size


def decrypted_copy(path: Path, key: bytes, plain: Path) -> None:
    """``path`` decrypted into the new private file ``plain`` (every chunk authenticated)."""
    with path.open("rb") as source, private_file(plain) as sink:
        for block in crypto.decrypt_stream(key, source):
            sink.write(block)
