"""The storage contract on every backend (one suite, parametrised): SQLite files and a real
PostgreSQL server. Documents and scopes, exact increments (tasks and processes), raw SQL per
dialect, migrations, departed guilds, user data deletion, integrity checks, change notifications."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from storage_helpers.hammer import run_together

from zoryx_core.storage import (
    MigrationError,
    StorageBackend,
    StorageOptions,
    StorageUnavailable,
    create_storage,
)
from zoryx_core.storage.postgres import DsnError, PostgresStorage, mask_dsn

MakeStore = Callable[..., StorageBackend]


@pytest.fixture(params=["sqlite", "postgresql"])
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeStore]:
    """Builds unopened stores of the backend under test; on PostgreSQL every store of one test shares
    a schema of that test's own (dropped afterwards)."""
    backend = str(request.param)
    dsn = request.getfixturevalue("postgres_dsn") if backend == "postgresql" else None
    schema = f"t_{uuid.uuid4().hex[:10]}"
    made: list[StorageBackend] = []

    def make(**options: Any) -> StorageBackend:
        settings: dict[str, Any] = {"backup_on_shutdown": False, "backend": backend, "pg_schema": schema}
        settings.update(options)
        store = create_storage(tmp_path / "data", StorageOptions(**settings), dsn=dsn)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()
    if dsn is not None:
        await _drop_schemas(dsn, schema)


async def _drop_schemas(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        names = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2", schema, schema + "\\_g%"
        )
        for row in names:
            await conn.execute(f'DROP SCHEMA "{row[0]}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
async def storage(make_store: MakeStore) -> StorageBackend:
    store = make_store()
    await store.open()
    return store


# --- documents -----------------------------------------------------------------------------------


async def test_scopes_are_separate(storage: StorageBackend) -> None:
    await storage.set("ns", "k", "global")
    await storage.set("ns", "k", "user", user_id=7)
    await storage.set("ns", "k", "guild", guild_id=1)
    await storage.set("ns", "k", "member", guild_id=1, user_id=7)
    await storage.set("other", "k", "other namespace")
    assert await storage.get("ns", "k") == "global"
    assert await storage.get("ns", "k", user_id=7) == "user"
    assert await storage.get("ns", "k", guild_id=1) == "guild"
    assert await storage.get("ns", "k", guild_id=1, user_id=7) == "member"
    assert await storage.get("ns", "k", guild_id=2, user_id=7, default="none") == "none"
    assert await storage.get("ns", "k", user_id=8) is None
    assert await storage.delete("ns", "k", guild_id=1) is True
    assert await storage.delete("ns", "k", guild_id=1) is False
    assert await storage.get("ns", "k", guild_id=1, user_id=7) == "member"


async def test_values_round_trip_items_and_set_many(storage: StorageBackend) -> None:
    values = {"dict": {"a": [1, 2.5, None, True]}, "int": 2**62, "float": 0.1, "str": "é", "big": 2**70}
    for key, value in values.items():
        await storage.set("types", key, value, guild_id=3)
    assert await storage.items("types", guild_id=3) == values
    assert await storage.items("types") == {}
    first = await storage.get("types", "dict", guild_id=3)
    first["a"].append("changed")  # results are fresh objects
    assert await storage.get("types", "dict", guild_id=3) == values["dict"]
    await storage.set_many("types", {"int": 5, "str": None, "new": [1]}, guild_id=3)
    expected = {key: value for key, value in values.items() if key != "str"} | {"int": 5, "new": [1]}
    assert await storage.items("types", guild_id=3) == expected
    with pytest.raises(TypeError, match="types/bad"):
        await storage.set_many("types", {"ok": 1, "bad": object()}, guild_id=3)
    assert "ok" not in await storage.items("types", guild_id=3)


async def test_bad_values_and_ids_are_clear_errors(storage: StorageBackend) -> None:
    with pytest.raises(TypeError, match="plug/when"):
        await storage.set("plug", "when", object())
    with pytest.raises(TypeError, match="plug/nan"):
        await storage.set("plug", "nan", float("nan"), guild_id=1)
    for bad in (0, -5, "12", True, 1.5, 2**63):
        with pytest.raises(ValueError, match="guild_id"):
            await storage.get("plug", "k", guild_id=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="user_id"):
            await storage.set("plug", "k", 1, user_id=bad)  # type: ignore[arg-type]
    await storage.set("plug", "text", "abc")
    with pytest.raises(TypeError, match="plug/text"):
        await storage.increment("plug", "text")
    assert await storage.get("plug", "text") == "abc"


async def test_increment_ints_and_floats(storage: StorageBackend) -> None:
    assert await storage.increment("c", "n", guild_id=9) == 1
    assert await storage.increment("c", "n", 41, guild_id=9) == 42
    assert await storage.increment("c", "f", 0.1, user_id=9) == pytest.approx(0.1)
    assert await storage.increment("c", "f", 0.2, user_id=9) == 0.1 + 0.2
    await storage.set("c", "set-int", 10)
    assert await storage.increment("c", "set-int", -3) == 7
    assert await storage.get("c", "n", guild_id=9) == 42
    assert isinstance(await storage.get("c", "n", guild_id=9), int)


async def test_eight_tasks_increment_exactly(storage: StorageBackend) -> None:
    async def bump() -> None:
        for _ in range(1000):
            await storage.increment("race", "hits", guild_id=77)

    await asyncio.gather(*(bump() for _ in range(8)))
    assert await storage.get("race", "hits", guild_id=77) == 8000


async def test_two_processes_increment_exactly(make_store: MakeStore, tmp_path: Path) -> None:
    store = make_store()
    await store.open()
    extra = [] if not isinstance(store, PostgresStorage) else [store._dsn or "", store.schema]
    command = ["counter", str(tmp_path / "data"), "555", "500", str(tmp_path / "go"), *extra]
    await asyncio.to_thread(run_together, tmp_path / "go", command, command)
    assert await store.get("hammer", "hits", guild_id=555) == 1000


async def test_plugin_view_and_dialect(storage: StorageBackend) -> None:
    plugin = storage.for_plugin("zoryx-hello")
    assert plugin.dialect == storage.dialect
    await plugin.set("greeting", "hi", guild_id=5)
    assert await storage.get("zoryx-hello", "greeting", guild_id=5) == "hi"
    assert await plugin.increment("count", 2, user_id=3) == 2
    assert await plugin.items(user_id=3) == {"count": 2}
    assert await plugin.delete("count", user_id=3) is True
    assert await plugin.migrate(["CREATE TABLE hello_log (line TEXT)"]) == 1
    assert plugin.sql(sqlite="S", postgresql="P") == ("S" if storage.dialect == "sqlite" else "P")
    other = "postgresql" if storage.dialect == "sqlite" else "sqlite"
    with pytest.raises(ValueError, match=f"given for {other} only; the active storage is {storage.dialect}"):
        plugin.sql(**{other: "X"})
    for bad in ("../x.json", "/etc/passwd", ""):
        with pytest.raises(ValueError):
            plugin.json_path(bad)


# --- raw SQL, in each dialect ----------------------------------------------------------------------


async def test_raw_sql_and_transactions(storage: StorageBackend) -> None:
    sql = storage.sql
    await storage.execute("CREATE TABLE scores (member BIGINT PRIMARY KEY, points INTEGER)", guild_id=4)
    insert = sql(sqlite="INSERT INTO scores VALUES (?, ?)", postgresql="INSERT INTO scores VALUES ($1, $2)")
    assert await storage.executemany(insert, [(1, 10), (2, 20)], guild_id=4) == 2
    assert await storage.execute("UPDATE scores SET points = points + 1", guild_id=4) == 2
    rows = await storage.fetchall("SELECT member, points FROM scores ORDER BY member", guild_id=4)
    assert [(row["member"], row["points"]) for row in rows] == [(1, 11), (2, 21)]
    one = sql(
        sqlite="SELECT * FROM scores WHERE member = ?", postgresql="SELECT * FROM scores WHERE member = $1"
    )
    assert await storage.fetchone(one, (9,), guild_id=4) is None
    with pytest.raises(Exception, match="scores"):  # the guild's tables are not in the global store
        await storage.fetchall("SELECT * FROM scores")

    def move(conn: Any) -> int:
        conn.execute("UPDATE scores SET points = points - 5 WHERE member = 1")
        conn.execute("UPDATE scores SET points = points + 5 WHERE member = 2")
        return int(conn.execute("SELECT SUM(points) FROM scores").fetchone()[0])

    assert await storage.transaction(move, guild_id=4) == 32

    def broken(conn: Any) -> None:
        assert conn.execute("DELETE FROM scores").rowcount == 2
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        await storage.transaction(broken, guild_id=4)
    row = await storage.fetchone("SELECT COUNT(*) AS n FROM scores", guild_id=4)
    assert row is not None and row["n"] == 2
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await storage.executemany(insert, [(3, 1), (1, 1)], guild_id=4)
    three = sql(
        sqlite="SELECT * FROM scores WHERE member = 3", postgresql="SELECT * FROM scores WHERE member = 3"
    )
    assert await storage.fetchone(three, guild_id=4) is None


# --- migrations ----------------------------------------------------------------------------------

NOTES_STEPS = {
    "sqlite": [
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        "ALTER TABLE notes ADD COLUMN created REAL; CREATE INDEX notes_created ON notes (created);",
        "INSERT INTO notes (body, created) VALUES ('first', 0)",
    ],
    "postgresql": [
        "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)",
        "ALTER TABLE notes ADD COLUMN created DOUBLE PRECISION;"
        " CREATE INDEX notes_created ON notes (created);",
        "INSERT INTO notes (body, created) VALUES ('first', 0)",
    ],
}


async def test_migrations_apply_once_and_record_versions(storage: StorageBackend) -> None:
    assert await storage.migrate("notes", NOTES_STEPS) == 3
    assert await storage.migrate("notes", NOTES_STEPS) == 3
    rows = await storage.fetchall(
        "SELECT version FROM zoryx_migrations WHERE namespace = 'notes' ORDER BY version"
    )
    assert [row["version"] for row in rows] == [1, 2, 3]
    count = await storage.fetchone("SELECT COUNT(*) AS n FROM notes")
    assert count is not None and count["n"] == 1

    def fourth(conn: Any) -> None:  # a step written as a function, in the dialect of the store
        conn.execute("INSERT INTO notes (body, created) VALUES ('from a function', 1)")

    steps = {dialect: [*NOTES_STEPS[dialect], fourth] for dialect in NOTES_STEPS}
    assert await storage.migrate("notes", steps) == 4
    count = await storage.fetchone("SELECT COUNT(*) AS n FROM notes")
    assert count is not None and count["n"] == 2
    with pytest.raises(ValueError, match=r"given for (sqlite|postgresql) only"):
        other = "postgresql" if storage.dialect == "sqlite" else "sqlite"
        await storage.migrate("only-one", {other: ["SELECT 1"]})


async def test_failing_migration_rolls_back_and_names_the_step(storage: StorageBackend) -> None:
    bad = "INSERT INTO notes (body) VALUES ('half'); INSERT INTO missing_table VALUES (1)"
    steps = {dialect: [*NOTES_STEPS[dialect], bad] for dialect in NOTES_STEPS}
    with pytest.raises(MigrationError) as caught:
        await storage.migrate("notes", steps, guild_id=8)
    error = caught.value
    assert error.namespace == "notes" and error.step == 4
    assert "step 4" in str(error) and "missing_table" in str(error)
    count = await storage.fetchone("SELECT COUNT(*) AS n FROM notes", guild_id=8)
    assert count is not None and count["n"] == 1  # the step's first insert was rolled back
    version = await storage.fetchone(
        "SELECT MAX(version) AS v FROM zoryx_migrations WHERE namespace = 'notes'", guild_id=8
    )
    assert version is not None and version["v"] == 3


async def test_guild_migrations_run_when_a_guild_is_first_used(storage: StorageBackend) -> None:
    await storage.set("early", "k", 1, guild_id=20)  # used before the registration
    storage.register_guild_migrations(
        "levels", ["CREATE TABLE levels (member BIGINT PRIMARY KEY, xp INTEGER)"]
    )
    await storage.execute("INSERT INTO levels VALUES (1, 50)", guild_id=21)
    await storage.execute("INSERT INTO levels VALUES (1, 60)", guild_id=20)
    row = await storage.fetchone("SELECT xp FROM levels", guild_id=21)
    assert row is not None and row["xp"] == 50
    with pytest.raises(Exception, match="levels"):
        await storage.fetchall("SELECT * FROM levels")  # not in the global store
    storage.for_plugin("broken").register_guild_migrations(["CREATE TABLE oops (x"])
    assert await storage.get("any", "k", "absent", guild_id=22) == "absent"  # a read prepares nothing
    with pytest.raises(MigrationError, match="broken"):
        await storage.set("any", "k", 1, guild_id=22)


# --- departed guilds, users, integrity -----------------------------------------------------------


async def test_departed_guilds_are_cleaned_after_the_grace_period(make_store: MakeStore) -> None:
    store = make_store(departed_grace_seconds=100)
    await store.open()
    store.register_guild_migrations("own", ["CREATE TABLE own_rows (n INTEGER)"])
    for guild_id in (1, 2, 3):
        await store.set("g", "k", guild_id, guild_id=guild_id)
        await store.execute("INSERT INTO own_rows VALUES (1)", guild_id=guild_id)
    await store.guild_departed(1)
    await store.guild_departed(2)
    await store.guild_returned(2)
    now = time.time()
    assert await store.cleanup_departed(now=now + 50) == []
    assert await store.cleanup_departed(now=now + 200) == [1]
    assert await store.get("g", "k", guild_id=2) == 2
    assert await store.cleanup_departed(now=now + 500) == []  # the record is forgotten
    assert await store.get("g", "k", guild_id=1) is None  # a returning guild starts afresh
    row = await store.fetchone("SELECT COUNT(*) AS n FROM own_rows", guild_id=1)
    assert row is not None and row["n"] == 0  # its own tables were recreated empty
    row = await store.fetchone("SELECT COUNT(*) AS n FROM own_rows", guild_id=3)
    assert row is not None and row["n"] == 1


async def test_purge_user_removes_only_that_users_documents(storage: StorageBackend) -> None:
    for namespace in ("a", "b"):
        await storage.set(namespace, "profile", 1, user_id=7)
        await storage.set(namespace, "profile", 1, user_id=8)
    for guild_id in (1, 2):
        await storage.set("a", "xp", 10, guild_id=guild_id, user_id=7)
        await storage.set("a", "xp", 10, guild_id=guild_id, user_id=8)
        await storage.set("a", "xp", 10, guild_id=guild_id)
    await storage.set("a", "global", 7)
    assert await storage.purge_user(7) == 4
    assert await storage.get("a", "profile", user_id=7) is None
    assert await storage.get("b", "profile", user_id=8) == 1
    for guild_id in (1, 2):
        assert await storage.get("a", "xp", guild_id=guild_id, user_id=7) is None
        assert await storage.get("a", "xp", guild_id=guild_id, user_id=8) == 10
        assert await storage.get("a", "xp", guild_id=guild_id) == 10
    assert await storage.get("a", "global") == 7
    assert await storage.purge_user(7) == 0


async def test_integrity_check_reads_every_store(storage: StorageBackend) -> None:
    await storage.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT)", guild_id=1)
    await storage.set("g", "k", 1)
    checks = await storage.integrity_check()
    assert len(checks) == 2 and all(check.ok for check in checks), checks
    info = await storage.describe()
    assert info["backend"] == storage.dialect and info["pool"]["max_open"] > 0


# --- change notifications ------------------------------------------------------------------------


async def test_notifications_reach_every_process_on_postgresql(make_store: MakeStore) -> None:
    first, second = make_store(), make_store()
    await first.open()
    await second.open()
    heard: asyncio.Queue[str | None] = asyncio.Queue()
    await second.subscribe("changes", heard.put)
    await first.notify("changes", "guild 5")
    if first.dialect == "sqlite":
        assert heard.empty()  # SQLite has no channel between processes: caches rely on their TTL
        return
    assert await asyncio.wait_for(heard.get(), timeout=30) == "guild 5"


# --- PostgreSQL: start-up errors and lost connections -------------------------------------------


async def test_unreachable_or_wrong_dsn_is_one_clear_line(tmp_path: Path, postgres_dsn: str) -> None:
    options = StorageOptions(backend="postgresql", backup_on_shutdown=False)
    secret = "postgresql://zoryx:s3cret-pass@127.0.0.1:1/zoryx"
    with pytest.raises(DsnError) as caught:
        await create_storage(tmp_path, options, dsn=secret).open()
    text = str(caught.value)
    assert "127.0.0.1:1/zoryx" in text and "s3cret" not in text and "\n" not in text
    assert "listening" in text or "reachable" in text or "network" in text
    missing = postgres_dsn.rsplit("/", 1)[0] + "/no_such_database_here"
    with pytest.raises(DsnError, match=r"no_such_database_here.*does not exist"):
        await create_storage(tmp_path, options, dsn=missing).open()
    assert mask_dsn(secret) == "postgresql://zoryx:***@127.0.0.1:1/zoryx"


async def test_lost_connections_are_retried_and_nothing_acknowledged_is_lost(
    make_store: MakeStore, postgres_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store(pg_retry_seconds=60)
    if not isinstance(store, PostgresStorage):
        pytest.skip("a PostgreSQL matter: SQLite has no connection to lose")
    await store.open()
    import asyncpg

    admin = await asyncpg.connect(postgres_dsn)
    acknowledged = 0
    unacknowledged = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal acknowledged, unacknowledged
        while not stop.is_set():
            try:
                await store.increment("lost", "n", guild_id=3)
            except StorageUnavailable:
                unacknowledged += 1
                continue
            acknowledged += 1

    async def killer() -> None:
        for _ in range(5):
            while acknowledged < 50:
                await asyncio.sleep(0.01)
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'zoryx' AND datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            await asyncio.sleep(0.05)
        stop.set()

    try:
        await asyncio.wait_for(asyncio.gather(writer(), writer(), killer()), timeout=120)
    finally:
        stop.set()
        await admin.close()
    value = await store.get("lost", "n", guild_id=3)
    print(f"acknowledged {acknowledged}, unacknowledged {unacknowledged}, stored {value}", store.pool.stats())
    # every acknowledged increment is there; one whose connection dropped in flight may or may not be
    assert acknowledged <= value <= acknowledged + unacknowledged
    assert store.pool.stats()["retries"] + store.pool.stats()["lost_in_flight"] > 0
    with contextlib.suppress(Exception):
        await store.close()


def test_zoryx_run_with_an_unusable_store_is_one_line_before_discord(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    (tmp_path / "config.json").write_text('{"storage": {"backend": "postgresql"}}')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "DISCORD_"))}
    env.update(DISCORD_TOKEN="x", BOT_OWNER_ID="1", COLUMNS="300")
    cases = {
        "": "ZORYX_DATABASE_URL is not set",
        "postgresql://zoryx:s3cret-pass@127.0.0.1:1/zoryx": "cannot use PostgreSQL at 127.0.0.1:1/zoryx",
        "mysql://zoryx:s3cret-pass@127.0.0.1/zoryx": "must start with postgresql://",
    }
    for url, expected in cases.items():
        result = subprocess.run(
            [sys.executable, "-m", "zoryx_core.cli", "run", "--no-plugins", "--quiet"],
            cwd=tmp_path, env={**env, "ZORYX_DATABASE_URL": url}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and expected in lines[0], result.stderr
        assert "s3cret" not in result.stderr + result.stdout and "discord.com" not in result.stderr


@pytest.mark.long_running
async def test_sigkilled_processes_lose_no_acknowledged_increment(
    make_store: MakeStore, tmp_path: Path
) -> None:
    """A process incrementing is killed with SIGKILL again and again (``ZORYX_TEST_KILLS`` times,
    10 by default): every increment it acknowledged is in the store; at most the one in flight
    at each kill may have landed unacknowledged."""
    import os
    import signal
    import subprocess
    import sys

    store = make_store()
    if not isinstance(store, PostgresStorage):
        pytest.skip("SQLite's counters across processes are covered by the two-process test")
    await store.open()
    hammer = Path(__file__).parent / "storage_helpers" / "hammer.py"
    kills = int(os.environ.get("ZORYX_TEST_KILLS", "10"))
    acknowledged = 0
    for round_number in range(kills):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(hammer), "acked", str(tmp_path / "data"), store._dsn or "", store.schema,
            stdout=subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), timeout=60)).strip() == b"ready"
        last = 0
        wanted = 20 + 7 * round_number  # kill at a different moment each round
        while last < wanted:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
            last = int(line)
        proc.send_signal(signal.SIGKILL)
        rest = await proc.stdout.read()  # acknowledgements printed before the kill took effect
        numbers = [int(x) for x in rest.split()]
        acknowledged += max([last, *numbers])
        await proc.wait()
    value = await store.get("killed", "hits", guild_id=9)
    print(f"{kills} kills: {acknowledged} acknowledged, {value} stored")
    assert acknowledged <= value <= acknowledged + kills


async def test_notifications_come_back_after_the_listening_connection_is_lost(
    make_store: MakeStore, postgres_dsn: str
) -> None:
    first, second = make_store(), make_store()
    if not isinstance(second, PostgresStorage):
        pytest.skip("a PostgreSQL matter: SQLite has no notification connection")
    await first.open()
    await second.open()
    heard: asyncio.Queue[str | None] = asyncio.Queue()
    await second.subscribe("changes", heard.put)
    import asyncpg

    admin = await asyncpg.connect(postgres_dsn)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'zoryx-listen' AND datname = current_database()"
        )
    finally:
        await admin.close()
    # back: every listener is told that it may have missed notifications (caches are dropped)
    assert await asyncio.wait_for(heard.get(), timeout=60) is None
    await first.notify("changes", "after the loss")
    assert await asyncio.wait_for(heard.get(), timeout=30) == "after the loss"
