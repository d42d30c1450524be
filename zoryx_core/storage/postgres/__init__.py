"""The PostgreSQL storage backend (needs the ``postgresql`` extra: asyncpg)."""

from __future__ import annotations

from .dsn import DATABASE_URL_ENV, DsnError, mask_dsn
from .store import PostgresStorage

__all__ = ["DATABASE_URL_ENV", "DsnError", "PostgresStorage", "mask_dsn"]
