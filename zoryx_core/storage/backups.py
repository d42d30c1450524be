"""Backup sets: ``backups/<UTC timestamp>/main.db`` and ``guilds/<id>.db``, made with SQLite's
online backup API (consistent while writers keep going), newest ``count`` sets kept.

A set is built in a hidden ``.partial-*`` folder and renamed when complete, so a listed set is
always whole. These functions block: call them from a worker thread.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ..disk_full import raise_named
from ..private_files import private_dir, private_file

__all__ = ["backup_sets"]

_SET_NAME = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?$")


def copy_database(source: sqlite3.Connection, target: Path) -> None:
    """Copy the database behind ``source`` to the new file ``target`` with ``Connection.backup``."""
    try:
        private_file(target)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination, sleep=0.01)  # all pages in one step; retry soon if busy
        finally:
            destination.close()
    except (OSError, sqlite3.Error) as error:
        raise_named(error, target)


def start_set(backups_dir: Path) -> Path:
    """A new, empty staging folder for one set."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    private_dir(backups_dir)
    staging = backups_dir / f".partial-{stamp}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(staging)
    return staging


def finish_set(staging: Path) -> Path:
    """Rename the staging folder to its final name; a set made in the same second as an earlier
    one gets a counter above all of that second's counters, so names sort oldest first."""
    stamp = staging.name.split("-")[1]
    taken = [_order(p)[1] for p in staging.parent.glob(f"{stamp}*") if _SET_NAME.match(p.name)]
    counter = max(taken, default=0) + 1
    while True:
        final = staging.parent / (stamp if counter == 1 else f"{stamp}-{counter}")
        try:
            staging.rename(final)  # fails if another process took the name meanwhile
        except OSError:
            if not final.exists():
                raise
            counter += 1
            continue
        return final


def _order(folder: Path) -> tuple[str, int]:
    match = _SET_NAME.match(folder.name)
    return (match[1], int(match[2] or 1)) if match else ("", 0)


def backup_sets(backups_dir: Path) -> list[Path]:
    """Complete sets, oldest first."""
    try:
        entries = list(backups_dir.iterdir())
    except FileNotFoundError:
        return []
    return sorted((e for e in entries if _SET_NAME.match(e.name) and e.is_dir()), key=_order)


def prune(backups_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` sets; returns the deleted folders."""
    sets = backup_sets(backups_dir)
    doomed = sets[: max(0, len(sets) - keep)]
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed


def remove_partial(staging: Path) -> None:
    """Delete an unfinished set's staging folder."""
    shutil.rmtree(staging, ignore_errors=True)
