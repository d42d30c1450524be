"""Helpers of the marketplace tests: wheels, throwaway environments, catalog entries, options."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketplace_client import MarketplaceOptions

__all__ = [
    "HELPERS",
    "SOURCES",
    "EnvState",
    "TargetEnv",
    "Wheels",
    "assert_unchanged",
    "env_state",
    "make_target_env",
    "options_for",
    "pip_env",
    "sha256_of",
    "version_entry",
]

HELPERS = Path(__file__).parent
SOURCES = HELPERS / "sources"


@dataclass(frozen=True)
class Wheels:
    folder: Path

    def path(self, name: str, version: str) -> Path:
        return self.folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


@dataclass(frozen=True)
class TargetEnv:
    """A throwaway environment: ``python`` is its interpreter, ``site`` its site-packages."""

    root: Path
    python: Path
    site: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args], capture_output=True, text=True, timeout=300, check=check, env=pip_env()
        )

    def freeze(self) -> list[str]:
        """``pip freeze`` of the environment, as the acceptance criterion states it."""
        return self.run("-m", "pip", "freeze", "--isolated", "--all").stdout.splitlines()

    def pip_install(self, *args: str) -> None:
        self.run("-m", "pip", "install", "--isolated", "--quiet", "--disable-pip-version-check", *args)

    def installed(self) -> dict[str, str]:
        """Distribution name -> version, from ``pip freeze`` lines."""
        versions = {}
        for line in self.freeze():
            if "==" in line:
                name, version = line.split("==", 1)
            elif " @ " in line:
                name, where = line.split(" @ ", 1)
                version = where.rsplit("/", 1)[-1].split("-")[1]
            else:
                continue
            versions[name.strip().lower()] = version.strip()
        return versions


def pip_env() -> dict[str, str]:
    """The environment for pip subprocesses in tests: no user pip configuration."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def make_target_env(root: Path) -> TargetEnv:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    parent = sysconfig.get_paths()["purelib"]
    (site / "_zoryx_test_parent.pth").write_text(
        f"import site; site.addsitedir({parent!r})\n", encoding="utf-8"
    )
    return TargetEnv(root, python, site)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version_entry(wheel: Path, url: str, requires_core: str = ">=0.1,<0.2") -> dict[str, Any]:
    """A catalog version entry for ``wheel`` served at ``url``."""
    version = wheel.name.split("-")[1]
    return {
        "version": version,
        "filename": wheel.name,
        "url": url,
        "sha256": sha256_of(wheel),
        "requires_core": requires_core,
        "size": wheel.stat().st_size,
    }


def options_for(data_dir: Path, catalog_url: str, index_url: str, **changes: Any) -> MarketplaceOptions:
    values: dict[str, Any] = {"max_retry_wait": 5.0, "allow_insecure_http": True, **changes}
    return MarketplaceOptions(catalog_url=catalog_url, index_url=index_url, data_dir=data_dir, **values)


@dataclass(frozen=True)
class EnvState:
    """``pip freeze`` of an environment plus the sha256 of every file under its root: two equal
    states mean nothing was added, removed or changed, byte for byte."""

    freeze: tuple[str, ...]
    files: dict[str, str]

    def differences(self, other: EnvState) -> list[str]:
        """What changed from this state to ``other``, one line each (empty: nothing)."""
        lines = [f"freeze - {line}" for line in self.freeze if line not in other.freeze]
        lines += [f"freeze + {line}" for line in other.freeze if line not in self.freeze]
        for path in sorted(set(self.files) | set(other.files)):
            if path not in other.files:
                lines.append(f"deleted {path}")
            elif path not in self.files:
                lines.append(f"created {path}")
            elif self.files[path] != other.files[path]:
                lines.append(f"changed {path}")
        return lines


def env_state(target: TargetEnv) -> EnvState:
    """The :class:`EnvState` of ``target`` now."""
    files = {}
    for path in sorted(target.root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            files[str(path.relative_to(target.root))] = sha256_of(path)
    return EnvState(tuple(target.freeze()), files)


def assert_unchanged(target: TargetEnv, before: EnvState) -> None:
    """Fail, listing every difference, unless ``target`` is exactly as ``before``."""
    differences = before.differences(env_state(target))
    assert not differences, "the environment changed:\n" + "\n".join(differences)
