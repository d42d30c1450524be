"""Choosing the backend from ``storage.backend``."""

from __future__ import annotations

from pathlib import Path

from .backend import DIALECTS, StorageBackend
from .base import StorageOptions
from .handle import Storage

__all__ = ["create_storage"]


def create_storage(
    data_dir: Path, options: StorageOptions | None = None, *, dsn: str | None = None
) -> StorageBackend:
    """The store ``options.backend`` names: :class:`Storage` (SQLite files in ``data_dir``) or
    :class:`~zoryx_core.storage.postgres.PostgresStorage` (``dsn``, else ``ZORYX_DATABASE_URL``).
    Nothing is opened yet."""
    options = options or StorageOptions()
    if options.backend == "sqlite":
        return Storage(data_dir, options)
    if options.backend == "postgresql":
        from .postgres import PostgresStorage

        return PostgresStorage(data_dir, options, dsn=dsn)
    raise ValueError(f"storage.backend must be one of {', '.join(DIALECTS)}, got {options.backend!r}")
