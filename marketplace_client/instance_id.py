"""The bot's marketplace instance id: 16 random characters made once and kept in the data folder."""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from .errors import MarketplaceError

__all__ = ["INSTANCE_ID_FILE", "INSTANCE_ID_HEADER", "load_or_create_instance_id"]

INSTANCE_ID_HEADER = "X-Zoryx-Instance-Id"
INSTANCE_ID_FILE = "instance_id"
"""File name under ``data_dir/marketplace``."""
_VALID = re.compile(r"^[0-9a-f]{16}$")


def load_or_create_instance_id(marketplace_dir: Path) -> str:
    """Read the id from ``marketplace_dir/instance_id``, creating it (``secrets.token_hex(8)``,
    mode 0600) the first time. Two processes creating it at once agree on one id. Blocking: call it
    through ``asyncio.to_thread`` from async code."""
    path = marketplace_dir / INSTANCE_ID_FILE
    marketplace_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    new_id = secrets.token_hex(8)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(new_id + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return new_id


def _read(path: Path) -> str:
    text = ""
    for _ in range(50):  # another process may be between creating and writing the file
        text = path.read_text(encoding="ascii", errors="replace").strip()
        if text:
            break
        time.sleep(0.01)
    if not _VALID.match(text):
        raise MarketplaceError(
            f"{path} does not hold a marketplace instance id (16 hexadecimal characters); "
            "delete the file to have a new id made"
        )
    return text
