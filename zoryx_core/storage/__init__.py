"""Storage owned by the bot: main.db, one SQLite database per guild behind a bounded connection
pool, atomic JSON files, migrations, backups and upkeep. Nothing here runs on the event loop."""

from __future__ import annotations

from .atomic_json import AtomicJsonFiles, CorruptJsonError
from .base import StorageOptions
from .handle import Storage
from .lifecycle import DatabaseCheck
from .migrations import MigrationError, MigrationStep
from .plugin_storage import PluginStorage
from .pool import ConnectionPool

__all__ = [
    "AtomicJsonFiles",
    "ConnectionPool",
    "CorruptJsonError",
    "DatabaseCheck",
    "MigrationError",
    "MigrationStep",
    "PluginStorage",
    "Storage",
    "StorageOptions",
]
