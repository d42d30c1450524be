"""``zoryx storage migrate --to postgresql`` and ``zoryx storage info`` as a user runs them: a SQLite
data folder (documents, server settings, a plugin's guild tables, usage counts) is copied into
PostgreSQL, verified, can be run again, and the source is never changed."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

from zoryx_core.guild_config import GuildConfigs
from zoryx_core.metrics import Metrics
from zoryx_core.storage import Storage, StorageOptions, create_storage

GUILDS = 30


def _tree_checksums(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


async def _make_sqlite_bot_data(data: Path) -> None:
    store = Storage(data, StorageOptions(backup_on_shutdown=False))
    await store.open()
    store.register_guild_migrations("levels", ["CREATE TABLE levels (member INTEGER PRIMARY KEY, xp REAL)"])
    configs = GuildConfigs(store)
    metrics = Metrics()
    await metrics.prepare(store)
    for guild_id in range(1, GUILDS + 1):
        await configs.set_prefix(guild_id, f"g{guild_id}!")
        await configs.grant(guild_id, "stats", 1000 + guild_id)
        await store.set("levels", "settings", {"rate": guild_id / 2, "on": True}, guild_id=guild_id)
        await store.increment("levels", "xp", guild_id, guild_id=guild_id, user_id=7)
        await store.executemany(
            "INSERT INTO levels VALUES (?, ?)", [(m, m * 1.5) for m in range(5)], guild_id=guild_id
        )
    await store.set("profile", "bio", "hé", user_id=7)
    await store.guild_departed(GUILDS)
    metrics.command_ran("stats")
    metrics.command_ran("stats")
    await metrics.flush(store)
    await store.close()


def _zoryx(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zoryx_core.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_migrate_a_sqlite_folder_to_postgresql(tmp_path: Path, postgres_dsn: str) -> None:
    data = tmp_path / "data"
    asyncio.run(_make_sqlite_bot_data(data))
    before = _tree_checksums(data)
    schema = f"t_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZORYX_")}
    # a password the trust-authenticated test server ignores, to see that it is never shown
    shown_dsn = (
        postgres_dsn
        if ":" in postgres_dsn.split("//", 1)[1].split("@")[0]
        else (postgres_dsn.replace("@", ":hunter2@", 1))
    )
    env.update(ZORYX_DATABASE_URL=shown_dsn, ZORYX_STORAGE__PG_SCHEMA=schema, COLUMNS="200")
    try:
        first = _zoryx("storage", "migrate", "--to", "postgresql", cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        assert f"{GUILDS + 1} databases copied and verified" in first.stdout
        assert "hunter2" not in first.stdout + first.stderr and ":***@" in first.stdout
        again = _zoryx("storage", "migrate", "--to", "postgresql", cwd=tmp_path, env=env)
        assert again.returncode == 0 and f"{GUILDS + 1} unchanged" in again.stdout, again.stdout
        assert _tree_checksums(data) == before  # the source is never changed

        info = _zoryx("storage", "info", cwd=tmp_path, env={**env, "ZORYX_STORAGE__BACKEND": "postgresql"})
        assert info.returncode == 0 and "postgresql" in info.stdout and f"{GUILDS}" in info.stdout, info
        assert "hunter2" not in info.stdout + info.stderr
        asyncio.run(_check_postgresql(tmp_path, postgres_dsn, schema))
        sqlite_info = _zoryx("storage", "info", cwd=tmp_path, env=env)
        assert "sqlite" in sqlite_info.stdout and f"guild_databases   {GUILDS}" in sqlite_info.stdout
    finally:
        asyncio.run(_drop(postgres_dsn, schema))


async def _check_postgresql(tmp_path: Path, dsn: str, schema: str) -> None:
    options = StorageOptions(backend="postgresql", pg_schema=schema, backup_on_shutdown=False)
    store = create_storage(tmp_path / "pg-data", options, dsn=dsn)
    await store.open()
    try:
        configs = GuildConfigs(store)
        for guild_id in (1, 17, GUILDS):
            config = await configs.get(guild_id)
            assert config.prefix == f"g{guild_id}!" and config.grants == {"stats": (1000 + guild_id,)}
        assert await store.get("levels", "settings", guild_id=3) == {"rate": 1.5, "on": True}
        assert await store.increment("levels", "xp", 1, guild_id=3, user_id=7) == 4
        assert await store.get("profile", "bio", user_id=7) == "hé"
        store.register_guild_migrations(
            "levels", ["CREATE TABLE levels (member BIGINT PRIMARY KEY, xp REAL)"]
        )
        row = await store.fetchone("SELECT COUNT(*) AS n, SUM(xp) AS xp FROM levels", guild_id=5)
        assert row is not None and (row["n"], row["xp"]) == (5, 15.0)  # the migration was not re-applied
        assert await Metrics().usage(store) == [("stats", 2)]
        assert await store.cleanup_departed(now=10**12) == [GUILDS]  # the departure came along
    finally:
        await store.close()


async def _drop(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for row in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2", schema, schema + "\\_g%"
        ):
            await conn.execute(f'DROP SCHEMA "{row[0]}" CASCADE')
    finally:
        await conn.close()
