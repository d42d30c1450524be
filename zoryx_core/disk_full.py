"""A full disk, named as such: :class:`DiskFullError` carries the path that could not be written.

Storage turns ``ENOSPC`` (and ``EDQUOT``) from the OS and SQLite's ``SQLITE_FULL`` into a
:class:`DiskFullError`; :func:`find_disk_full` recognises all of them anywhere in an exception's
chain, so the error handler and start-up can say "the disk is full" instead of "something went
wrong".
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import NoReturn

__all__ = ["DiskFullError", "as_disk_full", "find_disk_full", "is_disk_full", "raise_named"]

_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_SQLITE_FULL = 13


class DiskFullError(OSError):
    """Writing ``path`` failed because its disk (or the user's quota) is full."""

    def __init__(self, path: Path | str | None) -> None:
        super().__init__(errno.ENOSPC, os.strerror(errno.ENOSPC), None if path is None else str(path))
        self.path = None if path is None else str(path)

    def __str__(self) -> str:
        where = f": {self.path} could not be written" if self.path else ""
        return f"the disk is full{where}"

    def __reduce__(self) -> tuple[type[DiskFullError], tuple[str | None]]:
        return DiskFullError, (self.path,)


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` itself says the disk is full (OS error or SQLite's SQLITE_FULL)."""
    if isinstance(error, OSError):
        return error.errno in _FULL_ERRNOS
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int):
            return (code & 0xFF) == _SQLITE_FULL
        return "database or disk is full" in str(error)
    return False


def find_disk_full(error: BaseException) -> DiskFullError | None:
    """The full-disk error in ``error``'s chain (causes, contexts, discord.py's ``original``), as a
    :class:`DiskFullError` (with the path when one is known), or None."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    found: BaseException | None = None
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, DiskFullError):
            return current
        if found is None and is_disk_full(current):
            found = current
        for link in (getattr(current, "original", None), current.__cause__, current.__context__):
            if isinstance(link, BaseException):
                pending.append(link)
    if found is None:
        return None
    filename = getattr(found, "filename", None)
    if isinstance(filename, str | bytes | os.PathLike):
        return DiskFullError(os.fsdecode(filename))
    return DiskFullError(None)


def as_disk_full(error: BaseException, path: Path | str) -> BaseException:
    """``error`` itself, or a :class:`DiskFullError` for ``path`` when it means the disk is full
    (raise the result ``from error``)."""
    if isinstance(error, DiskFullError) or not is_disk_full(error):
        return error
    return DiskFullError(path)


def raise_named(error: BaseException, path: Path | str) -> NoReturn:
    """Re-raise ``error`` (call it in an ``except`` block), as a :class:`DiskFullError` for ``path``
    when it means the disk is full."""
    named = as_disk_full(error, path)
    if named is error:
        raise error
    raise named from error
