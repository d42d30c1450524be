"""Storage owned by the bot behind one backend interface (:class:`StorageBackend`): SQLite (main.db
and one database per guild behind a bounded connection pool, the embedded default) or PostgreSQL
(one database several processes and machines share); atomic JSON files, migrations, backups and
upkeep. Nothing here blocks the event loop."""

from __future__ import annotations

from .atomic_json import AtomicJsonFiles, CorruptJsonError
from .backend import (
    NO_DATA,
    BackupsUnavailable,
    Dialect,
    MigrationSteps,
    Row,
    StorageBackend,
    StorageUnavailable,
)
from .base import StorageOptions
from .factory import create_storage
from .handle import Storage
from .lifecycle import DatabaseCheck
from .migrations import MigrationError, MigrationStep
from .plugin_storage import PluginStorage
from .pool import ConnectionPool, NoDatabase

__all__ = [
    "NO_DATA",
    "AtomicJsonFiles",
    "BackupsUnavailable",
    "ConnectionPool",
    "CorruptJsonError",
    "DatabaseCheck",
    "Dialect",
    "MigrationError",
    "MigrationStep",
    "MigrationSteps",
    "NoDatabase",
    "PluginStorage",
    "Row",
    "Storage",
    "StorageBackend",
    "StorageOptions",
    "StorageUnavailable",
    "create_storage",
]
