"""Snapshot files: one canonical JSON file per backup, written atomically, read and hashed in a
worker thread.

A file holds ``{"checksum": {"algorithm": "sha256", "value": HEX}, "format": FILE_FORMAT,
"snapshot": {...}}`` (itself canonical JSON); ``value`` is the SHA-256 of the canonical form of
``snapshot``. Files live at ``<plugin data folder>/snapshots/<guild id>/<name>.json``; a write goes
to a temporary file in the same folder, is flushed and fsynced, renamed over the target and the
folder is fsynced, so a crash leaves either the old state or the whole new file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from zoryx_core.disk_full import raise_named
from zoryx_core.private_files import PRIVATE_FILE_MODE, private_dir

from .canonical import canonical_chunks, canonical_sha256
from .errors import SnapshotFormatError

__all__ = ["FILE_FORMAT", "SnapshotFile", "SnapshotFiles", "WrittenFile", "envelope_bytes", "parse_envelope"]

FILE_FORMAT = "zoryx-backup/file"


@dataclass(frozen=True, slots=True)
class WrittenFile:
    relative_path: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class SnapshotFile:
    """A file as read back: the snapshot document, the SHA-256 computed now over its canonical
    form, and the one the file itself records."""

    document: dict[str, Any]
    computed_sha256: str
    recorded_sha256: str | None
    size: int


class SnapshotFiles:
    """The snapshot files under ``root`` (the plugin's data folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def new_relative_path(guild_id: int, created_ts: float) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(created_ts))
        return f"snapshots/{guild_id}/{stamp}-{secrets.token_hex(4)}.json"

    def path(self, relative_path: str) -> Path:
        relative = PurePosixPath(relative_path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"a snapshot path must stay inside the plugin folder, got {relative_path!r}")
        return self.root / relative

    # --- async API (each call runs in a worker thread) ----------------------------------------

    async def write(self, relative_path: str, document: dict[str, Any]) -> WrittenFile:
        """Serialise, hash and write ``document`` atomically; the SHA-256 is of its canonical form."""
        return await asyncio.to_thread(self.write_sync, relative_path, document)

    async def read(self, relative_path: str) -> SnapshotFile:
        """Read and parse the file and hash its snapshot (``FileNotFoundError`` when missing)."""
        return await asyncio.to_thread(self.read_sync, relative_path)

    async def read_bytes(self, relative_path: str) -> bytes:
        return await asyncio.to_thread(self.path(relative_path).read_bytes)

    async def delete(self, relative_paths: list[str]) -> int:
        """Remove files (missing ones are ignored); returns how many were removed."""
        if not relative_paths:
            return 0
        return await asyncio.to_thread(self._delete_sync, relative_paths)

    async def listing(self) -> dict[str, float]:
        """Every snapshot file as ``{relative path: modification time}``."""
        return await asyncio.to_thread(self._listing_sync)

    # --- worker-side -----------------------------------------------------------------------------

    def write_sync(self, relative_path: str, document: dict[str, Any]) -> WrittenFile:
        target = self.path(relative_path)
        data, sha = envelope_bytes(document)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            private_dir(target.parent)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException as error:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise_named(error, target)  # a full disk is named with the snapshot's path
        _fsync_directory(target.parent)
        return WrittenFile(relative_path, sha, len(data))

    def read_sync(self, relative_path: str) -> SnapshotFile:
        return parse_envelope(self.path(relative_path).read_bytes())

    def _delete_sync(self, relative_paths: list[str]) -> int:
        removed = 0
        folders = set()
        for relative_path in relative_paths:
            path = self.path(relative_path)
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
            folders.add(path.parent)
        for folder in folders:
            _fsync_directory(folder)
        return removed

    def _listing_sync(self) -> dict[str, float]:
        base = self.root / "snapshots"
        found: dict[str, float] = {}
        if not base.is_dir():
            return found
        for path in base.glob("*/*.json"):
            with contextlib.suppress(FileNotFoundError):
                found[path.relative_to(self.root).as_posix()] = path.stat().st_mtime
        return found


def envelope_bytes(document: dict[str, Any]) -> tuple[bytes, str]:
    """The whole file for ``document`` and the SHA-256 of its canonical form (what
    :meth:`SnapshotFiles.write_sync` streams to disk)."""
    digest = hashlib.sha256()
    body: list[bytes] = []
    for chunk in canonical_chunks(document):
        digest.update(chunk)
        body.append(chunk)
    sha = digest.hexdigest()
    head = json.dumps({"algorithm": "sha256", "value": sha}, sort_keys=True, separators=(",", ":")).encode()
    prefix = b'{"checksum":' + head + b',"format":' + json.dumps(FILE_FORMAT).encode() + b',"snapshot":'
    return b"".join((prefix, *body, b"}")), sha


def parse_envelope(raw: bytes) -> SnapshotFile:
    """A file's bytes read back: the snapshot, its checksum computed now and the recorded one."""
    try:
        envelope = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise SnapshotFormatError("the file", f"it is not valid JSON ({exc})") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("snapshot"), dict):
        raise SnapshotFormatError("the file", "it holds no snapshot object")
    checksum = envelope.get("checksum")
    recorded = checksum.get("value") if isinstance(checksum, dict) else None
    document: dict[str, Any] = envelope["snapshot"]
    return SnapshotFile(
        document=document,
        computed_sha256=canonical_sha256(document),
        recorded_sha256=recorded if isinstance(recorded, str) else None,
        size=len(raw),
    )


def _fsync_directory(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
