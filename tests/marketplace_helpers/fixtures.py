"""pytest fixtures of the marketplace tests (loaded with ``pytest_plugins`` by the test modules).

Session-wide: the example plugin wheels (built once from ``sources/`` with setuptools), a
pypiserver index serving them, and the catalog server. Per test: a throwaway virtual
environment standing for the bot's environment, whose site-packages has a ``.pth`` that adds the
running interpreter's site-packages, so zoryx-core, pip and their dependencies are importable
there while installs land in the throwaway environment only.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from run_shared import shared_folder

from marketplace_client import build_catalog

from .servers import CatalogServer, package_index
from .support import HELPERS, SOURCES, TargetEnv, Wheels, make_target_env


@pytest.fixture(scope="session")
def mkt_wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    """Wheels of every example source (plugins and the tiny library), plus the sidecar file; built
    once per run (the pytest-xdist workers share them)."""

    def build(root: Path) -> None:
        command = [sys.executable, str(HELPERS / "build_wheels.py"), str(SOURCES), str(root / "work")]
        subprocess.run([*command, str(root / "wheels")], check=True, capture_output=True, timeout=300)
        shutil.copy(HELPERS / "marketplace.toml", root / "wheels" / "marketplace.toml")

    return Wheels(shared_folder(tmp_path_factory, "mkt-wheels", build) / "wheels")


@pytest.fixture(scope="session")
def mkt_index(mkt_wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A pypiserver index with every built wheel; the simple URL."""
    log = tmp_path_factory.mktemp("pypiserver") / "pypiserver.log"
    with package_index(mkt_wheels.folder, log) as url:
        yield url


@pytest.fixture(scope="session")
def mkt_server(mkt_wheels: Wheels) -> Iterator[CatalogServer]:
    server = CatalogServer(mkt_wheels.folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _session_catalog(mkt_wheels: Wheels, mkt_server: CatalogServer, mkt_index: str) -> dict[str, Any]:
    document = build_catalog(mkt_wheels.folder, base_url=f"{mkt_server.base_url}/wheels").document
    for plugin in document["plugins"]:
        if plugin["name"] == "zoryx-mkt-greeter":
            for entry in plugin["versions"]:
                if entry["version"] == "0.1.0":  # this one is found through the package index
                    del entry["url"]
                    entry["index"] = mkt_index
    return document


@pytest.fixture
def mkt_catalog(_session_catalog: dict[str, Any]) -> dict[str, Any]:
    """The test marketplace's catalog document (a copy the test may change, then publish)."""
    return copy.deepcopy(_session_catalog)


@pytest.fixture
def target_env(tmp_path: Path) -> TargetEnv:
    return make_target_env(tmp_path / "bot-env")
