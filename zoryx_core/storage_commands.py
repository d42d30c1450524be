"""What ``zoryx storage info`` and ``zoryx storage migrate`` do, apart from parsing arguments:
each function takes plain values and returns the lines to print and an exit code."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .storage import StorageOptions, create_storage
from .storage.postgres.dsn import DATABASE_URL_ENV, DsnError, database_url, mask_dsn
from .ui.text import plural

__all__ = ["StorageCommandError", "describe_storage", "migrate_to_postgresql"]


class StorageCommandError(Exception):
    """The command cannot run; the message is one line saying what to fix."""


def describe_storage(data_dir: Path, options: StorageOptions, environ: Mapping[str, str]) -> list[str]:
    """Backend, where (password masked), sizes and pool figures of the configured store."""
    quiet = dataclasses.replace(options, backup_on_shutdown=False)
    dsn = None
    if options.backend == "postgresql":
        try:
            dsn = database_url(dict(environ))
        except DsnError as error:
            raise StorageCommandError(str(error)) from None
    elif not (data_dir / "main.db").exists():
        return ["backend   sqlite", f"location  {data_dir} (no data yet)"]

    async def read() -> dict[str, Any]:
        store = create_storage(data_dir, quiet, dsn=dsn)
        await store.open()
        try:
            return await store.describe()
        finally:
            await store.close()

    try:
        info = asyncio.run(read())
    except DsnError as error:
        raise StorageCommandError(str(error)) from None
    lines = []
    for key, value in info.items():
        shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        lines.append(f"{key:<17} {shown}")
    return lines


def migrate_to_postgresql(
    data_dir: Path,
    schema: str,
    environ: Mapping[str, str],
    progress: Callable[[str], None],
) -> tuple[list[str], int]:
    """Copy the SQLite data folder into the PostgreSQL store named by ``ZORYX_DATABASE_URL``."""
    from .storage.transfer import migrate_sqlite_to_postgresql

    try:
        dsn = database_url(dict(environ))
    except DsnError as error:
        raise StorageCommandError(str(error).replace('storage.backend is "postgresql" but ', "")) from None
    progress(f"copying {data_dir} into {mask_dsn(dsn)} (schema {schema}); the source is only read")
    try:
        report = asyncio.run(migrate_sqlite_to_postgresql(data_dir, dsn, schema=schema, progress=progress))
    except (DsnError, FileNotFoundError) as error:
        raise StorageCommandError(str(error)) from None
    lines = []
    for unit in report.units:
        if unit.mismatches:
            lines.append(f"MISMATCH {unit.name}: {'; '.join(unit.mismatches)}")
    skipped = sum(1 for unit in report.units if unit.skipped)
    documents = sum(v for unit in report.units for k, v in unit.counts.items() if k.startswith("documents:"))
    rows = sum(v for unit in report.units for k, v in unit.counts.items() if k.startswith("table:"))
    lines.append(
        f"{plural(report.copied, 'database')} copied and verified ({plural(documents, 'document')}, "
        f"{plural(rows, 'table row')}; counts and SHA-256 per table and namespace), "
        f"{skipped:,} unchanged since an earlier verified run, in {report.seconds:.1f} s"
    )
    if report.ok:
        lines.append(f'next: set "storage.backend": "postgresql" and {DATABASE_URL_ENV} for the bot')
    return lines, 0 if report.ok else 1
