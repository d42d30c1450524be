"""One marketplace operation at a time per data folder, across processes (the bot and the CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

__all__ = ["LOCK_FILE", "exclusive"]

LOCK_FILE = "install.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the in-process lock is all there is
    fcntl = None  # type: ignore[assignment]


def _open(marketplace_dir: Path) -> int:
    marketplace_dir.mkdir(parents=True, exist_ok=True)
    return os.open(marketplace_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)


@contextlib.asynccontextmanager
async def exclusive(marketplace_dir: Path) -> AsyncIterator[None]:
    """Hold an exclusive ``flock`` on ``marketplace_dir/install.lock`` (waiting for it off the loop)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = await asyncio.to_thread(_open, marketplace_dir)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
