"""The storage backend interface: what every store (SQLite files, PostgreSQL) offers the bot and its
plugins. :class:`~zoryx_core.storage.Storage` is the SQLite implementation and
:class:`~zoryx_core.storage.PostgresStorage` the PostgreSQL one; ``storage.backend`` chooses."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from .atomic_json import AtomicJsonFiles
from .lifecycle import DatabaseCheck
from .migrations import MigrationStep

if TYPE_CHECKING:
    from .base import StorageOptions
    from .plugin_storage import PluginStorage

__all__ = [
    "DIALECTS",
    "NO_DATA",
    "BackupsUnavailable",
    "Dialect",
    "MigrationSteps",
    "PoolFigures",
    "Row",
    "StorageBackend",
    "StorageUnavailable",
    "pick_dialect",
    "steps_for",
]

T = TypeVar("T")
Dialect = Literal["sqlite", "postgresql"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql")
Row = Any
"""A result row: index it by column name or position (``sqlite3.Row`` or ``asyncpg.Record``)."""
Params = Sequence[Any] | dict[str, Any]
MigrationSteps = Sequence[MigrationStep] | Mapping[str, Sequence[MigrationStep]]
"""Migration steps for every dialect, or ``{"sqlite": [...], "postgresql": [...]}``."""
Listener = Callable[[str | None], Awaitable[None] | None]
"""Called with a notification's payload, or None when notifications may have been missed."""
NO_DATA = "no data"
"""What :meth:`StorageBackend.scope_version` answers for a guild with nothing stored."""


class StorageUnavailable(RuntimeError):
    """The database could not be reached (within the retry bound), or the connection was lost while
    a change was in flight so that its outcome is unknown. Nothing was acknowledged."""


class BackupsUnavailable(RuntimeError):
    """This backend does not make backup sets itself (PostgreSQL: use ``pg_dump``)."""


class PoolFigures(Protocol):
    """The connection pool as the rest of the bot sees it: figures and idle-connection upkeep."""

    def stats(self) -> dict[str, int]: ...

    async def close_idle(self, idle_seconds: float) -> int: ...


def pick_dialect(variants: Mapping[str, T], dialect: Dialect, what: str) -> T:
    """``variants[dialect]``, or a ValueError naming what is missing and what is allowed."""
    unknown = sorted(set(variants) - set(DIALECTS))
    if unknown:
        raise ValueError(f"{what}: unknown dialect(s) {unknown}; allowed: {', '.join(DIALECTS)}")
    if dialect not in variants:
        raise ValueError(
            f"{what} is given for {', '.join(sorted(variants)) or 'no dialect'} only; "
            f"the active storage is {dialect}"
        )
    return variants[dialect]


def steps_for(steps: MigrationSteps, dialect: Dialect, what: str) -> tuple[MigrationStep, ...]:
    """The migration steps for ``dialect`` (``steps`` itself unless given per dialect)."""
    if isinstance(steps, Mapping):
        return tuple(pick_dialect(steps, dialect, what))
    return tuple(steps)


class StorageBackend(ABC):
    """Documents, raw SQL, migrations, upkeep and change notifications over one store.

    Documents are JSON values namespaced by plugin. Their scope follows the ids given: none ->
    global, ``user_id`` -> user, ``guild_id`` -> guild, both -> member. Raw SQL is written in the
    active :attr:`dialect`; :meth:`sql` picks one of several variants.
    """

    dialect: Dialect
    data_dir: Path
    options: StorageOptions
    json: AtomicJsonFiles
    """Atomic JSON files in the data folder (always local to this machine)."""
    pool: PoolFigures

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    @abstractmethod
    async def open(self) -> None:
        """Connect, create the core tables and record the start of this run."""

    @abstractmethod
    async def close(self) -> None:
        """Record a clean stop and release every connection. Idempotent."""

    def for_plugin(self, namespace: str) -> PluginStorage:
        """This storage seen by one plugin: the methods below without the ``namespace`` argument."""
        from .plugin_storage import PluginStorage

        return PluginStorage(self, namespace)

    def sql(self, **variants: str) -> str:
        """The variant for the active dialect: ``storage.sql(sqlite="... ?", postgresql="... $1")``."""
        return pick_dialect(variants, self.dialect, "SQL")

    # --- documents -----------------------------------------------------------------------------------

    @abstractmethod
    async def get(
        self,
        namespace: str,
        key: str,
        default: Any = None,
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> Any:
        """The document's value, or ``default`` when there is none."""

    @abstractmethod
    async def set(
        self, namespace: str, key: str, value: Any, *, guild_id: int | None = None, user_id: int | None = None
    ) -> None:
        """Store ``value`` (JSON-serializable; TypeError naming namespace and key otherwise)."""

    @abstractmethod
    async def set_many(
        self,
        namespace: str,
        values: Mapping[str, Any],
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        """Store several documents of one scope at once, atomically; a None value deletes the key."""

    @abstractmethod
    async def delete(
        self, namespace: str, key: str, *, guild_id: int | None = None, user_id: int | None = None
    ) -> bool:
        """Remove the document; False when there was none."""

    @abstractmethod
    async def increment(
        self,
        namespace: str,
        key: str,
        amount: int | float = 1,
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> int | float:
        """Add ``amount`` atomically (a missing document starts at 0) and return the new value."""

    @abstractmethod
    async def items(
        self, namespace: str, *, guild_id: int | None = None, user_id: int | None = None
    ) -> dict[str, Any]:
        """Every document of ``namespace`` in the scope, by key."""

    async def scope_version(self, guild_id: int) -> Hashable | None:
        """A marker of the guild's stored data, read without querying it: two equal markers mean
        nothing was written in between, :data:`NO_DATA` that the guild has nothing stored. ``None``
        when this backend cannot tell (read the data instead); the default."""
        return None

    # --- raw SQL in the active dialect -------------------------------------------------------------

    @abstractmethod
    async def execute(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> int:
        """One statement (autocommit); returns the row count."""

    @abstractmethod
    async def executemany(self, sql: str, seq: Iterable[Params], *, guild_id: int | None = None) -> int:
        """One statement over ``seq``, all in one transaction; returns the row count."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> list[Row]:
        """Every row of a query (rows index by name or position)."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> Row | None:
        """The first row of a query, or None."""

    @abstractmethod
    async def transaction(self, fn: Callable[[Any], T], *, guild_id: int | None = None) -> T:
        """``fn(conn)`` in a worker thread inside one transaction (rolled back if it raises). ``conn``
        has ``execute(sql, params)`` returning a cursor (``fetchone``, ``fetchall``, ``rowcount``) and
        ``executemany``; ``fn`` must not use the event loop or wait on this storage."""

    # --- migrations ----------------------------------------------------------------------------------

    @abstractmethod
    async def migrate(self, namespace: str, steps: MigrationSteps, *, guild_id: int | None = None) -> int:
        """Apply the steps of ``namespace`` not yet recorded there; returns the version reached."""

    @abstractmethod
    def register_guild_migrations(self, namespace: str, steps: MigrationSteps) -> None:
        """Migrations applied to every guild's tables the first time this process uses them."""

    # --- upkeep ----------------------------------------------------------------------------------------

    @abstractmethod
    async def backup(self, *, guild_ids: Iterable[int] | None = None) -> Path:
        """One backup set; :class:`BackupsUnavailable` where the backend leaves backups to other tools."""

    @abstractmethod
    def backup_sets(self) -> list[Path]:
        """Complete backup sets, oldest first (blocking)."""

    @abstractmethod
    async def guild_departed(self, guild_id: int) -> None:
        """Note that the bot left ``guild_id``; its data is deleted after the grace period."""

    @abstractmethod
    async def guild_returned(self, guild_id: int) -> None:
        """The bot is back in ``guild_id``: keep its data."""

    @abstractmethod
    async def cleanup_departed(self, *, now: float | None = None) -> list[int]:
        """Delete the data of guilds left longer than the grace period ago; returns their ids."""

    @abstractmethod
    async def guild_ids(self) -> list[int]:
        """Guilds that have data in the store (their own database or schema, or documents), sorted."""

    @abstractmethod
    async def purge_user(self, user_id: int) -> int:
        """Delete every user- and member-scoped document of ``user_id``; returns how many."""

    @abstractmethod
    async def integrity_check(self) -> list[DatabaseCheck]:
        """Check every database (or schema); never raises, failures are ``ok=False``."""

    @abstractmethod
    async def close_idle(self, idle_seconds: float) -> int:
        """Close connections unused for ``idle_seconds``; returns how many."""

    @abstractmethod
    def stats(self) -> dict[str, Any]:
        """Backend, pool and cache figures (may list folders: blocking)."""

    @abstractmethod
    async def describe(self) -> dict[str, Any]:
        """What ``zoryx storage info`` shows: backend, where (password masked), sizes, pool."""

    # --- change notifications between processes ----------------------------------------------------

    async def subscribe(self, channel: str, listener: Listener) -> None:
        """Call ``listener`` with the payload of every :meth:`notify` on ``channel`` made by any process
        sharing this store. A no-op where the store has no such channel (SQLite)."""
        return None

    async def notify(self, channel: str, payload: str) -> None:
        """Tell every process subscribed to ``channel`` (this one included)."""
        return None
