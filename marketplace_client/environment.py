"""The target environment: the interpreter the bot runs on, looked at and changed only through
subprocesses of that interpreter (``python -c <probe>`` and ``python -m pip``), never on the
event loop. File backups let a failed install put replaced distributions back."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import MarketplaceError
from .results import DistChange, MissingRequirement

__all__ = [
    "Backup",
    "DistRecord",
    "EnvSnapshot",
    "ProcessResult",
    "TargetEnvironment",
    "TargetError",
]


class TargetError(MarketplaceError):
    """A subprocess of the target interpreter failed; ``result`` holds its output."""

    def __init__(self, message: str, result: ProcessResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class ProcessResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def tail(self, lines: int = 12) -> str:
        """The last lines of stderr (or stdout), for error messages."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return "\n".join(text[-lines:])


@dataclass(frozen=True)
class DistRecord:
    """One distribution as the target interpreter sees it (the first of its name on sys.path)."""

    name: str
    raw_name: str
    version: str
    site: str
    metadata_dir: str
    in_env: bool
    """Installed under the target's ``sys.prefix`` (pip can remove it), not merely visible."""
    plugin_entry_points: tuple[tuple[str, str], ...]
    requires: tuple[str, ...]

    @property
    def is_plugin(self) -> bool:
        return bool(self.plugin_entry_points)

    @property
    def plugin_module(self) -> str:
        return self.plugin_entry_points[0][1].split(":")[0].strip() if self.plugin_entry_points else ""


@dataclass(frozen=True)
class EnvSnapshot:
    """The target environment's distributions at one moment."""

    prefix: str
    python: str
    dists: Mapping[str, DistRecord] = field(default_factory=dict)
    scheme: Mapping[str, str] = field(default_factory=dict)
    """Install folders: ``purelib``, ``platlib``, ``scripts``, ``data``, ``headers``."""

    def version(self, name: str) -> str | None:
        record = self.dists.get(name)
        return record.version if record else None

    def plugins(self) -> list[DistRecord]:
        return [record for record in self.dists.values() if record.is_plugin]

    def key(self) -> dict[str, tuple[str, str]]:
        """What must be equal for two snapshots to describe the same environment."""
        return {name: (record.version, record.metadata_dir) for name, record in self.dists.items()}

    def changes_to(self, after: EnvSnapshot) -> list[DistChange]:
        """Distributions added, removed or changed between this snapshot and ``after``."""
        changes = []
        for name in sorted(set(self.dists) | set(after.dists)):
            before_version, after_version = self.version(name), after.version(name)
            if before_version != after_version:
                changes.append(DistChange(name, before_version, after_version))
        return changes


@dataclass
class Backup:
    """Copies of installed distributions' files (from their RECORD), to put back after a failure."""

    root: Path
    files: list[Path] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def add(self, record: DistRecord) -> None:
        """Copy every existing file ``record``'s RECORD lists. Blocking."""
        record_file = Path(record.metadata_dir) / "RECORD"
        try:
            with record_file.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))
        except OSError as error:
            raise MarketplaceError(
                f"cannot back up {record.name} {record.version}: {record_file}: {error.strerror or error}"
            ) from None
        for row in rows:
            if not row or not row[0]:
                continue
            source = Path(os.path.normpath(os.path.join(record.site, row[0])))
            if source.is_file():
                target = self.root / source.relative_to(source.anchor)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
                self.files.append(source)
        self.names.append(record.name)

    def add_paths(self, paths: Iterable[str]) -> None:
        """Copy each existing file of ``paths`` (files a wheel will overwrite). Blocking."""
        for name in paths:
            source = Path(name)
            if source.is_file() and not source.is_symlink() and source not in self.files:
                target = self.root / source.relative_to(source.anchor)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
                self.files.append(source)

    def restore(self) -> None:
        """Copy every backed-up file back to where it was. Blocking."""
        for source in self.files:
            copy = self.root / source.relative_to(source.anchor)
            source.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(copy, source)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


_PROBE = resources.files(__package__).joinpath("probe.py").read_text(encoding="utf-8")

try:
    import ctypes

    _PRCTL: Any = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
except (ImportError, OSError, AttributeError):  # pragma: no cover - no prctl: children may outlive us
    _PRCTL = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGKILL when the parent dies."""
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _normal_path(path: str) -> str:
    return os.path.normpath(path)


def _source(index_url: str, constraints: Path | None, network: Sequence[str]) -> list[str]:
    args = ["--index-url", index_url, "--only-binary", ":all:", *network]
    if constraints is not None:
        args += ["--constraint", str(constraints)]
    return args


class TargetEnvironment:
    """The environment of ``python`` (default: this interpreter), the bot's own environment.

    ``pip_isolated`` (the default) runs pip with ``--isolated``, without ``PIP_*`` variables and
    without any configuration file, so no index but the one passed is ever read;
    ``pip_timeout`` bounds each pip run; ``network_retries`` and ``network_timeout`` are pip's
    ``--retries`` and ``--timeout`` when it reads the index.
    """

    def __init__(
        self,
        python: str | os.PathLike[str] | None = None,
        *,
        pip_timeout: float = 600.0,
        pip_isolated: bool = True,
        network_retries: int = 3,
        network_timeout: float = 30.0,
    ) -> None:
        self.python = os.fspath(python) if python is not None else sys.executable
        self.pip_timeout = pip_timeout
        self.pip_isolated = pip_isolated
        self.network_retries = network_retries
        self.network_timeout = network_timeout
        self.scratch: Path | None = None
        """When set, the temporary folder of every subprocess (pip's build and unpack folders)."""

    def _network(self) -> list[str]:
        return ["--retries", str(self.network_retries), "--timeout", f"{self.network_timeout:g}"]

    def environ(self) -> dict[str, str]:
        """The environment of the target's subprocesses: with pip isolated, no ``PIP_*`` variable
        and no pip configuration file at all (global, site or user: ``PIP_CONFIG_FILE`` is the
        null device), so only the options the installer passes count."""
        env = dict(os.environ)
        if self.pip_isolated:
            env = {key: value for key, value in env.items() if not key.upper().startswith("PIP_")}
            env["PIP_CONFIG_FILE"] = os.devnull
        env["PYTHONIOENCODING"] = "utf-8"
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env["PIP_NO_INPUT"] = "1"
        if self.scratch is not None:
            for name in ("TMPDIR", "TEMP", "TMP"):
                env[name] = os.fspath(self.scratch)
        return env

    async def run(
        self,
        *args: str,
        timeout: float,
        stdin: bytes | None = None,
        on_start: Callable[[int], Awaitable[None]] | None = None,
    ) -> ProcessResult:
        """Run ``python *args`` off the event loop; killed (and reported) after ``timeout`` s.
        The child dies with this process (Linux), so a killed bot leaves no pip running on."""
        try:
            process = await asyncio.create_subprocess_exec(
                self.python,
                *args,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self.environ(),
                preexec_fn=_die_with_parent if _PRCTL is not None else None,
            )
        except OSError as error:
            raise TargetError(f"cannot run {self.python}: {error.strerror or error}") from None
        if on_start is not None:
            await on_start(process.pid)
        try:
            out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            shown = " ".join(args[:4])
            raise TargetError(f"{self.python} {shown} ... did not finish within {timeout:g} s") from None
        except asyncio.CancelledError:  # never leave a pip running on after its caller gave up
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(process.wait())
            raise
        return ProcessResult(
            (self.python, *args),
            process.returncode if process.returncode is not None else -1,
            out.decode("utf-8", errors="replace"),
            err.decode("utf-8", errors="replace"),
        )

    async def _probe(self, *args: str) -> Any:
        result = await self.run("-P", "-c", _PROBE, *args, timeout=120.0)
        if result.returncode != 0:
            raise TargetError(f"{self.python} could not inspect its environment:\n{result.tail()}", result)
        return json.loads(result.stdout)

    async def snapshot(self) -> EnvSnapshot:
        """Every distribution the target interpreter sees."""
        data = await self._probe("snapshot")
        dists = {
            item["name"]: DistRecord(
                name=item["name"],
                raw_name=item["raw_name"],
                version=item["version"],
                site=item["site"],
                metadata_dir=item["metadata_dir"],
                in_env=bool(item["in_env"]),
                plugin_entry_points=tuple((str(n), str(v)) for n, v in item["plugin"]),
                requires=tuple(item["requires"]),
            )
            for item in data["dists"]
        }
        scheme = {str(key): _normal_path(str(value)) for key, value in data["scheme"].items()}
        return EnvSnapshot(prefix=data["prefix"], python=data["python"], dists=dists, scheme=scheme)

    async def unmet_requirements(self) -> list[MissingRequirement]:
        """Requirements of installed plugins (and of the libraries they need, recursively) that the
        environment does not satisfy, read from distribution metadata."""
        data = await self._probe("check")
        return [MissingRequirement(**item) for item in data["problems"]]

    async def import_check(self, module: str) -> None:
        """Import ``module`` in a fresh target interpreter; :class:`TargetError` if that fails."""
        result = await self.run("-P", "-c", _PROBE, "import", module, timeout=120.0)
        if result.returncode != 0:
            last = result.tail(1) or f"exit code {result.returncode}"
            raise TargetError(f"importing {module} failed: {last}", result)

    async def pip(
        self, *args: str, on_start: Callable[[int], Awaitable[None]] | None = None
    ) -> ProcessResult:
        """``python -m pip <args>`` (with ``--isolated`` when configured); never raises on a
        non-zero exit: callers check ``returncode``."""
        command = ["-m", "pip", *args[:1]]
        if self.pip_isolated:
            command.append("--isolated")
        command += ["--disable-pip-version-check", "--no-input", *args[1:]]
        return await self.run(*command, timeout=self.pip_timeout, on_start=on_start)

    async def dry_run(
        self,
        requirements: Sequence[str],
        index_url: str,
        *,
        upgrade: bool = False,
        constraints: Path | None = None,
    ) -> list[dict[str, Any]]:
        """pip's resolution of ``requirements`` (wheels only) without installing: the report's
        ``install`` items."""
        args = [
            "install",
            "--dry-run",
            "--quiet",
            "--report",
            "-",
            *_source(index_url, constraints, self._network()),
        ]
        if upgrade:
            args.append("--upgrade")
        result = await self.pip(*args, *requirements)
        if result.returncode != 0:
            raise TargetError(f"pip could not resolve {' '.join(requirements)}:\n{result.tail()}", result)
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError:
            raise TargetError(
                "pip gave no installation report (pip 22.2 or newer is needed)", result
            ) from None
        items: list[dict[str, Any]] = report.get("install", [])
        return items

    async def download(
        self, requirements: Sequence[str], index_url: str, folder: Path, *, constraints: Path | None = None
    ) -> ProcessResult:
        """Download the wheels of ``requirements`` (exact pins, no dependencies) into ``folder``."""
        args = [
            "download",
            "--quiet",
            "--no-deps",
            "--dest",
            str(folder),
            *_source(index_url, constraints, self._network()),
        ]
        result = await self.pip(*args, *requirements)
        if result.returncode != 0:
            raise TargetError(f"pip could not download {' '.join(requirements)}:\n{result.tail()}", result)
        return result

    async def install(
        self,
        requirements: Sequence[str],
        index_url: str,
        *,
        upgrade: bool = False,
        constraints: Path | None = None,
        find_links: Path | None = None,
        on_start: Callable[[int], Awaitable[None]] | None = None,
    ) -> ProcessResult:
        """Install ``requirements`` from ``index_url``, or only from the wheels in ``find_links``
        when given (no index at all)."""
        args = ["install", "--quiet"]
        if find_links is not None:
            args += ["--no-index", "--find-links", str(find_links), "--only-binary", ":all:"]
            if constraints is not None:
                args += ["--constraint", str(constraints)]
        else:
            args += _source(index_url, constraints, self._network())
        if upgrade:
            args.append("--upgrade")
        result = await self.pip(*args, *requirements, on_start=on_start)
        if result.returncode != 0:
            raise TargetError(f"pip install failed:\n{result.tail()}", result)
        return result

    async def uninstall(
        self, names: Iterable[str], *, on_start: Callable[[int], Awaitable[None]] | None = None
    ) -> ProcessResult:
        names = list(names)
        result = await self.pip("uninstall", "--yes", "--quiet", *names, on_start=on_start)
        if result.returncode != 0:
            raise TargetError(f"pip uninstall {' '.join(names)} failed:\n{result.tail()}", result)
        return result

    async def pip_check(self) -> list[str]:
        """``pip check``'s lines (empty when pip finds nothing broken); shown to people, never parsed."""
        result = await self.pip("check")
        if result.returncode == 0:
            return []
        return [line for line in result.stdout.splitlines() if line.strip()]
