"""Set-ups made once per test run and shared, read-only, by every pytest-xdist worker.

Each xdist worker has a session of its own, so a session fixture runs once per worker. For the
costly ones (built wheels, pip installs, virtual environments) :func:`shared_folder` builds the
folder once in the run's temporary root, under a file lock, and the other workers reuse it.
Without xdist it is an ordinary ``tmp_path_factory`` folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

__all__ = ["shared_folder"]


def shared_folder(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name``, filled by ``build(folder)`` once per test run; the callers must not
    change what is in it. A build that raised is tried again by the next worker that asks."""
    base = factory.getbasetemp()
    # A worker's base temporary folder is a child of the run's own: pytest-N/popen-gwM. (A pytest
    # started by a test inherits PYTEST_XDIST_WORKER but has a base folder of its own.)
    if base.name != f"popen-{os.environ.get('PYTEST_XDIST_WORKER')}":
        folder = factory.mktemp(name)
        build(folder)
        return folder
    root = base.parent
    folder, done = root / name, root / f"{name}.done"
    with FileLock(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder
