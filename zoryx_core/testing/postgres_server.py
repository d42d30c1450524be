"""Finding a PostgreSQL server for tests, and a database of their own on it.

Order: ``ZORYX_TEST_POSTGRES_DSN``; else the local default (127.0.0.1:5432, user postgres); else a
throwaway cluster started with ``initdb``/``pg_ctl`` from PATH in a temporary folder (initdb
refuses to run as root: there this step finds nothing); else None (the caller skips, or fails
under ``CI=true``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

__all__ = ["HOW_TO_RUN", "ScratchDatabase", "find_postgres", "scratch_database"]

DSN_ENV = "ZORYX_TEST_POSTGRES_DSN"
LOCAL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
T = TypeVar("T")
HOW_TO_RUN = (
    f"no PostgreSQL found: install zoryx-core[postgresql] (asyncpg) and set "
    f"{DSN_ENV}=postgresql://user@host:5432/db, run one on 127.0.0.1:5432, or put initdb and pg_ctl on PATH"
)


@dataclass(frozen=True)
class ScratchDatabase:
    """A database created for one test run (``dsn``) on a server (``admin_dsn``)."""

    dsn: str
    admin_dsn: str
    name: str


def _run(work: Coroutine[Any, Any, T]) -> T:
    """``work`` to completion on a fresh event loop in its own thread (callers may be inside a loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def _can_connect(dsn: str) -> bool:
    try:
        import asyncpg
    except ImportError:
        return False
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _throwaway_cluster() -> Iterator[str | None]:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="zoryx-pg-"))
    data, port = folder / "data", _free_port()
    try:
        subprocess.run(
            [initdb, "-D", str(data), "-U", "postgres", "--auth=trust"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(folder / "log"), "start"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def find_postgres() -> Iterator[str | None]:
    """The DSN of a server to test against (see the module's docstring), or None (also when
    asyncpg, the driver, is not installed)."""
    if importlib.util.find_spec("asyncpg") is None:
        yield None
        return
    given = os.environ.get(DSN_ENV)
    if given:
        yield given
        return
    if _run(_can_connect(LOCAL_DEFAULT)):
        yield LOCAL_DEFAULT
        return
    with _throwaway_cluster() as started:
        yield started


async def _admin(dsn: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def scratch_database(server_dsn: str) -> Iterator[ScratchDatabase]:
    """A new, empty database on the server for the duration of the block, dropped afterwards."""
    name = f"zoryx_test_{uuid.uuid4().hex[:12]}"
    _run(_admin(server_dsn, f'CREATE DATABASE "{name}"'))
    try:
        yield ScratchDatabase(_with_database(server_dsn, name), server_dsn, name)
    finally:
        _run(_admin(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
