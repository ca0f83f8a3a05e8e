"""``<file>.sha256`` beside each backup, in ``sha256sum`` format (``sha256sum -c`` reads it)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import BinaryIO

READ = 1 << 20
LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


class ChecksumError(RuntimeError):
    """The backup's checksum file is missing, unreadable or does not match."""


class HashingWriter:
    """Writes through to a file and hashes what it writes: the checksum of the file as stored
    (encrypted, when it is), without reading it back."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink, self.hash, self.size = sink, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.sink.write(data)


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_checksum(path: Path, digest: str) -> Path:
    target = checksum_path(path)
    target.write_text(f"{digest}  {path.name}\n", encoding="ascii")
    return target


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path) -> None:
    """Refuse a backup without its checksum file, or whose bytes no longer match it."""
    expected_file = checksum_path(path)
    if not expected_file.is_file():
        raise ChecksumError(f"no checksum file {expected_file.name} beside {path.name}: refusing "
                            f"to restore a backup whose integrity cannot be checked")
    match = LINE.match(expected_file.read_text(encoding="ascii", errors="replace").strip())
    if not match:
        raise ChecksumError(f"{expected_file.name} is not in sha256sum format "
                            f"('<64 hex digits>  <file name>')")
    if file_digest(path) != match.group(1):
        raise ChecksumError(f"checksum of {path.name} does not match {expected_file.name}: the "
                            f"file is damaged or was changed; refusing to restore it")
