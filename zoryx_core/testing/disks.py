"""A real small filesystem to fill up, for testing what a bot does when its disk is full.

:func:`small_tmpfs` mounts a tmpfs of a few MiB (Linux, root or CAP_SYS_ADMIN) and unmounts it
afterwards; :func:`fill_disk` writes a file until the filesystem answers ``ENOSPC``. No mock of the
disk: SQLite, the log files and the JSON writers meet the real error.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["MountRefused", "fill_disk", "small_tmpfs"]


class MountRefused(RuntimeError):
    """The tmpfs could not be mounted here (not Linux, or not permitted); the message says why."""


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str = "2m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (mode 0700) on ``folder`` (created if missing) for the block."""
    if sys.platform != "linux":
        raise MountRefused("mounting a tmpfs needs Linux")
    folder.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
    except OSError as error:
        raise MountRefused(f"cannot run mount: {error}") from error
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit code {result.returncode}"
        raise MountRefused(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {reason}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False, timeout=30)


def fill_disk(folder: Path) -> Path:
    """Write a file in ``folder`` until its filesystem is full, to the last byte; returns the file."""
    filler = folder / f"filler-{uuid.uuid4().hex}"
    with open(filler, "wb", buffering=0) as file:
        for size in (1 << 16, 4096, 512, 1):
            try:
                while True:
                    file.write(b"\0" * size)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
    return filler
