"""One plugin's view of the bot's storage: its namespace filled in, its JSON folder."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend import Dialect, MigrationSteps, StorageBackend

__all__ = ["PluginStorage"]

_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PluginStorage:
    """:class:`~zoryx_core.storage.Storage` methods bound to one ``namespace`` (the plugin's name).
    Raw SQL, backups and the rest are on ``.storage``; JSON files on ``.storage.json``."""

    def __init__(self, storage: StorageBackend, namespace: str) -> None:
        if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
            raise ValueError(f"a plugin namespace is letters, digits, '_', '.' and '-', got {namespace!r}")
        self.storage = storage
        self.namespace = namespace

    async def get(
        self, key: str, default: Any = None, *, guild_id: int | None = None, user_id: int | None = None
    ) -> Any:
        return await self.storage.get(self.namespace, key, default, guild_id=guild_id, user_id=user_id)

    async def set(
        self, key: str, value: Any, *, guild_id: int | None = None, user_id: int | None = None
    ) -> None:
        await self.storage.set(self.namespace, key, value, guild_id=guild_id, user_id=user_id)

    async def delete(self, key: str, *, guild_id: int | None = None, user_id: int | None = None) -> bool:
        return await self.storage.delete(self.namespace, key, guild_id=guild_id, user_id=user_id)

    async def increment(
        self, key: str, amount: int | float = 1, *, guild_id: int | None = None, user_id: int | None = None
    ) -> int | float:
        return await self.storage.increment(self.namespace, key, amount, guild_id=guild_id, user_id=user_id)

    async def items(self, *, guild_id: int | None = None, user_id: int | None = None) -> dict[str, Any]:
        return await self.storage.items(self.namespace, guild_id=guild_id, user_id=user_id)

    async def migrate(self, steps: MigrationSteps, *, guild_id: int | None = None) -> int:
        """Steps for every dialect, or ``{"sqlite": [...], "postgresql": [...]}``."""
        return await self.storage.migrate(self.namespace, steps, guild_id=guild_id)

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect of the active store: ``"sqlite"`` or ``"postgresql"``."""
        return self.storage.dialect

    def sql(self, **variants: str) -> str:
        """The variant for the active dialect: ``sql(sqlite="... ?", postgresql="... $1")``."""
        return self.storage.sql(**variants)

    def register_guild_migrations(self, steps: MigrationSteps) -> None:
        """Migrations applied to each guild database when it is first opened by this process."""
        self.storage.register_guild_migrations(self.namespace, steps)

    def json_path(self, name: str) -> Path:
        """``data_dir/plugins/<namespace>/<name>``: where this plugin keeps its JSON files."""
        relative = PurePosixPath(name)
        if not name or relative.is_absolute() or ".." in relative.parts or "\\" in name:
            raise ValueError(
                f"a JSON file name must be a relative path inside the plugin folder, got {name!r}"
            )
        return self.storage.data_dir / "plugins" / self.namespace / relative
