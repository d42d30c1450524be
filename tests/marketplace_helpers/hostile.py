"""Fixtures of the hardening tests (loaded with ``pytest_plugins``): wheels built to attack the
installer (overlapping files, a crafted RECORD, a ``.pth`` file, a downgraded core dependency,
conflicting requirements...), a real package index serving them with the ordinary test wheels,
a static server for their catalogs, and a second index the operator never chose."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from run_shared import shared_folder

from zoryx_core.testing.package_index import PackageIndex, StaticServer, package_index

from .crafted import PTH_MARKER_VARIABLE, rewrite_wheel, wheel_name
from .support import HELPERS, Wheels


def _build(sources: Path, work: Path, out: Path) -> None:
    """Every project of ``sources`` built with setuptools in one process (see build_wheels.py)."""
    command = [sys.executable, str(HELPERS / "build_wheels.py"), str(sources), str(work), str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)


HOSTILE_SOURCES = HELPERS / "hostile"
EVIL_SOURCES = HELPERS / "evil"


@pytest.fixture(scope="session")
def hostile_wheels(mkt_wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    """The hostile wheels, plus copies of the ordinary test wheels (greeter, tinylib...); built once
    per run (the pytest-xdist workers share them)."""

    def build(root: Path) -> None:
        folder = root / "wheels"
        _build(HOSTILE_SOURCES, root / "work", folder)
        pth = f"import os; p = os.environ.get({PTH_MARKER_VARIABLE!r}); p and open(p, 'w').write('ran')\n"
        hook = {"zoryx_mkt_pth_hook.pth": pth.encode()}
        rewrite_wheel(folder / wheel_name("zoryx-mkt-pth", "0.1.0"), add=hook)
        victim = ["victimlib/__init__.py"]
        rewrite_wheel(folder / wheel_name("zoryx-mkt-recordonly", "0.1.0"), record_rows=victim)
        for wheel in mkt_wheels.folder.glob("*.whl"):
            shutil.copy(wheel, folder / wheel.name)

    return Wheels(shared_folder(tmp_path_factory, "hostile-wheels", build) / "wheels")


@pytest.fixture(scope="session")
def hostile_index(hostile_wheels: Wheels) -> Iterator[PackageIndex]:
    with package_index(hostile_wheels.folder) as index:
        yield index


@pytest.fixture(scope="session")
def evil_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    """An index the operator never chose, with a higher version of mkt-tinylib."""
    root = shared_folder(
        tmp_path_factory, "evil-wheels", lambda root: _build(EVIL_SOURCES, root / "work", root / "wheels")
    )
    with package_index(root / "wheels") as index:
        yield index


@pytest.fixture(scope="session")
def hostile_server(hostile_wheels: Wheels) -> Iterator[StaticServer]:
    with StaticServer(hostile_wheels.folder) as server:
        yield server
