"""Files and folders readable by the bot's user only: files 0600, folders 0700.

Every place that creates something under the data, log or config paths goes through these
helpers, whatever the process umask: :func:`private_dir` for folders, :func:`private_file` before
SQLite opens a database (SQLite gives its ``-wal``/``-shm``/journal files the mode of the database
file), :func:`open_private` for streams (log files) and :data:`PRIVATE_FILE_MODE` for ``os.open``.
:func:`tighten_tree` takes group and other access away from what an earlier version left readable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "Tightened",
    "open_private",
    "private_dir",
    "private_file",
    "private_opener",
    "tighten_and_report",
    "tighten_tree",
]

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_dir(path: Path | str) -> Path:
    """Create ``path`` and its missing parents as 0700 folders; an existing folder is left as it is."""
    folder = Path(path)
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for created in reversed(missing):
        try:
            os.mkdir(created, PRIVATE_DIR_MODE)
        except FileExistsError:
            if not created.is_dir():
                raise
            continue
        os.chmod(created, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask; make it exact
    return folder


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist (its folder 0700 if missing)."""
    target = Path(path)
    private_dir(target.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    return target


def private_opener(path: str, flags: int) -> int:
    """An ``opener`` for :func:`open` that creates files with mode 0600."""
    return os.open(path, flags, PRIVATE_FILE_MODE)


def open_private(path: Path | str, mode: str = "a", **options: Any) -> IO[Any]:
    """:func:`open` that creates the file with mode 0600 (text or binary as ``mode`` says)."""
    return open(path, mode, opener=private_opener, **options)


@dataclass
class Tightened:
    """What :func:`tighten_tree` changed."""

    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files or self.folders)

    def summary(self) -> str:
        """``3 files and 1 folder``."""
        files, folders = len(self.files), len(self.folders)
        return f"{files} file{'s' * (files != 1)} and {folders} folder{'s' * (folders != 1)}"


def _tighten(path: Path, mode: int, result: Tightened, is_dir: bool) -> None:
    if not mode & _OTHERS:
        return
    try:
        os.chmod(path, stat.S_IMODE(mode) & ~_OTHERS, follow_symlinks=False)
    except (OSError, NotImplementedError) as error:
        result.failed.append((path, getattr(error, "strerror", None) or str(error)))
        return
    (result.folders if is_dir else result.files).append(path)


def tighten_tree(roots: Iterable[Path | str]) -> Tightened:
    """Remove group and other permissions from each root and everything under it.

    Only entries owned by this process's user are changed; symbolic links are neither changed nor
    followed. A root that does not exist is skipped.
    """
    result = Tightened()
    uid = os.getuid() if hasattr(os, "getuid") else None
    for root in roots:
        pending = [Path(root)]
        while pending:
            path = pending.pop()
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            except OSError as error:
                result.failed.append((path, error.strerror or str(error)))
                continue
            if stat.S_ISLNK(info.st_mode) or (uid is not None and info.st_uid != uid):
                continue
            is_dir = stat.S_ISDIR(info.st_mode)
            _tighten(path, info.st_mode, result, is_dir)
            if is_dir:
                try:
                    pending.extend(path.iterdir())
                except OSError as error:
                    result.failed.append((path, error.strerror or str(error)))
    return result


def tighten_and_report(roots: Iterable[Path | str | None], logger: logging.Logger) -> Tightened:
    """:func:`tighten_tree` over the roots given (None skipped), with one log line saying what changed
    and one warning per entry that could not be changed."""
    present = [Path(root) for root in roots if root is not None]
    result = tighten_tree(present)
    if result:
        where = ", ".join(str(root) for root in present)
        logger.info("made %s under %s readable by the bot's user only", result.summary(), where)
    for path, reason in result.failed:
        logger.warning("could not make %s readable by the bot's user only: %s", path, reason)
    return result
