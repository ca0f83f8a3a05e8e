"""Encryption at rest of a backup: streamed, chunked AES-256-GCM.

A dump can be larger than memory, and one GCM message of it would need the whole of it before
its tag could be checked; so the file is a sequence of chunks, each sealed on its own, and the
sequence is bound together (a chunk moved, removed, or the file cut short fails). The scheme is
the "STREAM" online AEAD construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015), as Tink's
streaming AEAD uses it:

    header  = MAGIC (8 bytes, b"RFBKENC1") || chunk size (4 bytes, big-endian) || salt (16)
    key     = HKDF-SHA256(BACKUP_KEY, salt, info=b"referral backup v1"), 32 bytes: a fresh
              key per file, so nonces never repeat under one key across files
    chunk i = flag (1 byte: 1 on the last chunk, else 0) || length of the sealed chunk
              (4 bytes, big-endian) || AES-GCM(key, nonce_i, plaintext_i, aad=header)
    nonce_i = i (11 bytes, big-endian) || flag (1 byte)

Every chunk's plaintext but the last is exactly ``chunk size`` bytes; the last may be empty.
A changed flag or length fails the chunk's tag (the flag is in the nonce, a wrong length
misaligns the tag); a file without a final chunk is refused as cut short.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"RFBKENC1"
CHUNK = 1 << 20  # 1 MiB of plaintext per chunk
SALT = 16
TAG = 16
HEADER = struct.Struct(">8sI16s")
FRAME = struct.Struct(">BI")
MAX_CHUNK = 64 << 20  # a header naming a larger chunk is not ours


class BackupKeyError(ValueError):
    """The configured key is unusable, or it does not open the file."""


def parse_key(text: str) -> bytes:
    """BACKUP_KEY: 32 random bytes in base64 (``openssl rand -base64 32``)."""
    value = text.strip().replace("-", "+").replace("_", "/")  # the URL-safe alphabet too
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BackupKeyError("BACKUP_KEY is not base64 text") from None
    if len(raw) != 32:
        raise BackupKeyError(f"BACKUP_KEY must be 32 bytes in base64 (this one is {len(raw)}): "
                             "make one with `openssl rand -base64 32`")
    return raw


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                   info=b"referral backup v1").derive(key)
    return AESGCM(derived)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def encrypt_stream(key: bytes, source: BinaryIO, sink: BinaryIO, *, chunk: int = CHUNK) -> None:
    """Read ``source`` to its end and write it sealed to ``sink``, one chunk in memory."""
    salt = os.urandom(SALT)
    header = HEADER.pack(MAGIC, chunk, salt)
    sink.write(header)
    aead = _file_key(key, salt)
    index = 0
    current = _read_full(source, chunk)
    while True:
        following = _read_full(source, chunk) if len(current) == chunk else b""
        last = not following
        sealed = aead.encrypt(_nonce(index, last), current, header)
        sink.write(FRAME.pack(1 if last else 0, len(sealed)))
        sink.write(sealed)
        if last:
            return
        current, index = following, index + 1


def decrypt_stream(key: bytes, source: BinaryIO) -> Iterator[bytes]:
    """The plaintext chunks of a sealed file, each checked before it is given out; raises
    BackupKeyError when a chunk does not open (wrong key or a changed file)."""
    header = source.read(HEADER.size)
    if len(header) != HEADER.size:
        raise BackupKeyError("not an encrypted backup (header too short)")
    magic, chunk, salt = HEADER.unpack(header)
    if magic != MAGIC or not 0 < chunk <= MAX_CHUNK:
        raise BackupKeyError("not an encrypted backup of this app")
    aead = _file_key(key, salt)
    index = 0
    while True:
        frame = source.read(FRAME.size)
        if len(frame) != FRAME.size:
            raise BackupKeyError("the encrypted backup is cut short (no final chunk)")
        flag, length = FRAME.unpack(frame)
        if flag > 1 or length > chunk + TAG:
            raise BackupKeyError("the encrypted backup is damaged")
        sealed = source.read(length)
        try:
            plain = aead.decrypt(_nonce(index, flag == 1), sealed, header)
        except InvalidTag:
            raise BackupKeyError("the backup does not open with this BACKUP_KEY (wrong key, or "
                                 "the file was changed)") from None
        yield plain
        if flag == 1:
            if source.read(1):
                raise BackupKeyError("the encrypted backup has data after its final chunk")
            return
        index += 1


def _read_full(source: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes: a pipe may give fewer per read before its end."""
    parts, need = [], size
    while need:
        part = source.read(need)
        if not part:
            break
        parts.append(part)
        need -= len(part)
    return b"".join(parts)
