"""Install, upgrade, uninstall and fixdeps: verified wheels installed with the target
interpreter's pip, dependencies resolved together from the configured index, and every failure
rolled back so the environment ends as it began."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import signal
import time
import uuid
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from zoryx_core.redact import redact_url

from .audit import WheelAudit, audit_wheel, owned_files
from .client import MarketplaceClient
from .constraints import constraint_lines, reserved_names
from .environment import Backup, DistRecord, EnvSnapshot, TargetEnvironment, TargetError
from .errors import CatalogError, InstallError, InstallStep, MarketplaceError, PluginNotFoundError, WheelError
from .journal import Journal, JournalEntry, Phase
from .locking import exclusive
from .models import Catalog, CatalogPlugin, CatalogVersion
from .progress import Progress, ProgressCallback, report
from .results import (
    ActivationRequest,
    Activator,
    DistChange,
    FixdepsResult,
    InstallAction,
    InstalledPlugin,
    InstallResult,
    MissingRequirement,
    RecoveryOutcome,
    RecoveryReport,
    UninstallResult,
    Update,
)
from .wheel import CORE_DISTRIBUTION, WheelInfo, read_wheel

__all__ = ["DOWNLOADS_DIR", "Installer", "parse_install_request"]

DOWNLOADS_DIR = "wheels"
"""Verified wheels of installed plugins, under ``data_dir/marketplace``."""

Step = InstallStep

_log = logging.getLogger("zoryx.marketplace")


class _Failure(Exception):
    def __init__(self, step: InstallStep, reason: str) -> None:
        super().__init__(reason)
        self.step = step
        self.reason = reason


def parse_install_request(text: str) -> tuple[str, str | None]:
    """``"zoryx-dice"`` -> (``"zoryx-dice"``, None); ``"zoryx-dice==0.2"`` -> (..., ``"0.2"``).
    Anything else raises :class:`ValueError` saying what is accepted."""
    try:
        requirement = Requirement(text.strip())
    except InvalidRequirement:
        raise ValueError(f"{text!r} is not a plugin name, nor NAME==VERSION") from None
    if requirement.extras or requirement.marker or requirement.url:
        raise ValueError(f"{text!r}: give only a name, or NAME==VERSION")
    specs = list(requirement.specifier)
    if not specs:
        return canonicalize_name(requirement.name), None
    if len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version:
        return canonicalize_name(requirement.name), specs[0].version
    raise ValueError(f"{text!r}: only an exact version is accepted (NAME==VERSION)")


class Installer:
    """Changes the bot's environment (``python``, default this interpreter) from a marketplace.

    One operation runs at a time per data folder (also across processes). Every method reports
    progress through ``progress`` (see :class:`Progress`) and raises :class:`InstallError` naming
    the step that failed; ``InstallError.restored`` tells whether the environment is as before.

    ``core_version`` is the zoryx-core version plugins must support (default: the one installed
    in the target environment). ``import_check`` imports the plugin in a fresh target interpreter
    after pip (step ``import``); by default only when no activation step is given (activating
    imports it anyway). ``pip_isolated`` (default True) runs pip with ``--isolated``, without
    ``PIP_*`` variables and without any pip configuration file: dependencies come from
    ``marketplace.index_url`` only. Turning it off lets pip read ``pip.conf`` again (and its
    ``extra-index-url``): only for an operator who controls every index configured there.

    Before pip runs, every wheel (the plugin's and its dependencies') is checked: none may
    overwrite another distribution's files or carry code Python runs at start-up (``.pth``,
    ``sitecustomize``); zoryx-core, its dependencies and pip's tools are pinned (constraints);
    an install that leaves ``pip check`` worse than before is rolled back. A journal in
    ``data_dir/marketplace`` lets :meth:`recover` finish or undo an interrupted operation.
    """

    def __init__(
        self,
        client: MarketplaceClient,
        *,
        python: str | os.PathLike[str] | None = None,
        core_version: str | None = None,
        import_check: bool | None = None,
        pip_isolated: bool = True,
    ) -> None:
        self.client = client
        self.options = client.options
        self.environment = TargetEnvironment(
            python,
            pip_timeout=self.options.pip_timeout,
            pip_isolated=pip_isolated,
            network_retries=self.options.max_retries,
            network_timeout=self.options.timeout,
        )
        self.core_version = core_version
        self.import_check = import_check
        self._lock = asyncio.Lock()
        self._journal = Journal(self.options.marketplace_dir)

    # --- reading the environment -------------------------------------------------------------------

    async def installed_plugins(self) -> list[InstalledPlugin]:
        """Distributions in the target environment with a ``zoryx.plugins`` entry point."""
        snapshot = await self._snapshot(Step.CHECK)
        return [
            InstalledPlugin(record.name, record.version, record.plugin_module, record.requires)
            for record in snapshot.plugins()
        ]

    async def outdated(self, *, refresh: bool = False) -> list[Update]:
        """Installed plugins whose catalog entry has a newer version supporting this zoryx-core."""
        catalog = await self._catalog(refresh=refresh)
        snapshot = await self._snapshot(Step.CHECK)
        core = self._core_version(snapshot)
        updates = []
        for record in snapshot.plugins():
            if record.name not in catalog:
                continue
            best = catalog.get(record.name).latest_compatible(core)
            if best is not None and best.parsed > Version(record.version):
                updates.append(Update(record.name, record.version, best.version))
        return updates

    # --- install / upgrade -------------------------------------------------------------------------

    async def install(
        self,
        request: str,
        *,
        activate: Activator | None = None,
        progress: ProgressCallback | None = None,
    ) -> InstallResult:
        """Install ``NAME`` (the newest version supporting this zoryx-core) or ``NAME==VERSION``.

        An installed plugin is upgraded (or downgraded to a pinned version); the same version
        already installed gives :attr:`InstallAction.UNCHANGED`. ``activate`` runs last (load or
        reload the plugin in the running bot); if it raises, the install is rolled back.
        """
        try:
            name, pinned = parse_install_request(request)
        except ValueError as error:
            raise InstallError(Step.CATALOG, str(error), name=request) from None
        return await self._install(name, pinned, activate, progress, require_installed=False)

    async def upgrade(
        self,
        name: str,
        *,
        version: str | None = None,
        activate: Activator | None = None,
        progress: ProgressCallback | None = None,
    ) -> InstallResult:
        """Upgrade an installed plugin to ``version`` or the newest version supporting this
        zoryx-core; :attr:`InstallAction.UNCHANGED` when it is already the newest."""
        return await self._install(
            canonicalize_name(name), version, activate, progress, require_installed=True
        )

    async def _install(
        self,
        name: str,
        pinned: str | None,
        activate: Activator | None,
        progress: ProgressCallback | None,
        *,
        require_installed: bool,
    ) -> InstallResult:
        async with self._lock, exclusive(self.options.marketplace_dir):
            await self._recover_locked()
            tracker = _StepTracker(progress, Step.CATALOG)
            try:
                return await self._install_locked(
                    name, pinned, activate, tracker, require_installed=require_installed
                )
            except InstallError:
                raise
            except Exception as error:  # whatever it is, the user learns the step, not a traceback
                raise InstallError(tracker.step, _describe(error), name=name, version=pinned) from None

    async def _install_locked(
        self,
        name: str,
        pinned: str | None,
        activate: Activator | None,
        tracker: _StepTracker,
        *,
        require_installed: bool,
    ) -> InstallResult:
        progress = tracker.report
        started = time.monotonic()
        await report(progress, Progress(Step.CATALOG, f"looking up {name} in the catalog"))
        catalog, before = await asyncio.gather(
            self._catalog(name=name), self._snapshot(Step.CHECK, name=name)
        )
        try:
            plugin = catalog.get(name)
        except PluginNotFoundError as error:
            raise InstallError(Step.CATALOG, str(error), name=name) from None
        if plugin.name in reserved_names(before):
            raise InstallError(
                Step.CATALOG,
                f"{plugin.name} is part of the bot itself (zoryx-core, its dependencies, pip, setuptools "
                "and wheel are never installed or changed from a marketplace); refused",
                name=plugin.name,
            )
        installed = before.dists.get(plugin.name)
        if require_installed and installed is None:
            raise InstallError(Step.CATALOG, f"{plugin.name} is not installed; install it first", name=name)
        entry = self._choose(plugin, pinned, self._core_version(before))
        previous = installed.version if installed is not None else None
        if (
            previous is not None
            and Version(previous) >= entry.parsed
            and (pinned is None or Version(previous) == entry.parsed)
        ):
            return InstallResult(
                plugin.name,
                previous,
                previous,
                InstallAction.UNCHANGED,
                (),
                False,
                time.monotonic() - started,
            )
        self._check_python(plugin.name, entry, before)
        await report(progress, Progress(Step.DOWNLOAD, f"downloading {entry.filename}", 0, entry.size))
        work = await asyncio.to_thread(self._journal.new_work_dir, uuid.uuid4().hex[:12])
        self.environment.scratch = work / "tmp"
        try:
            wheel = await self._download(plugin, entry, work / "download", progress)
            info = await self._verify_wheel(plugin, entry, wheel, self._core_version(before), progress)
            module = info.plugin_module or ""
            request = ActivationRequest(plugin.name, entry.version, previous, module)

            async def finish(after: EnvSnapshot) -> None:
                record = after.dists.get(plugin.name)
                if record is None or Version(record.version) != entry.parsed:
                    found = record.version if record else "nothing"
                    raise _Failure(
                        Step.INSTALL,
                        f"pip succeeded but {plugin.name} {entry.version} is not installed ({found} is)",
                    )
                if self.import_check or (self.import_check is None and activate is None):
                    await report(progress, Progress(Step.IMPORT, f"importing {module}"))
                    try:
                        await self.environment.import_check(module)
                    except TargetError as error:
                        raise _Failure(Step.IMPORT, str(error)) from None
                if activate is not None:
                    await report(
                        progress, Progress(Step.ACTIVATE, f"activating {plugin.name} {entry.version}")
                    )
                    try:
                        await activate(request)
                    except Exception as error:
                        raise _Failure(Step.ACTIVATE, _describe(error)) from None

            _, changes = await self._apply(
                [str(wheel)],
                before,
                name=plugin.name,
                version=entry.version,
                progress=progress,
                finish=finish,
                work=work,
                direct=wheel,
                previous=previous,
                module=module,
            )
            kept = await asyncio.to_thread(self._keep_wheel, wheel)
            await asyncio.to_thread(self._prune_wheels, plugin.name, keep=kept)
        finally:
            self.environment.scratch = None
            await asyncio.to_thread(self._discard_work, work)
        if previous is None:
            action = InstallAction.INSTALLED
        elif Version(previous) < entry.parsed:
            action = InstallAction.UPGRADED
        else:
            action = InstallAction.DOWNGRADED
        return InstallResult(
            plugin.name,
            entry.version,
            previous,
            action,
            tuple(changes),
            activate is not None,
            time.monotonic() - started,
        )

    def _choose(self, plugin: CatalogPlugin, pinned: str | None, core: str) -> CatalogVersion:
        if pinned is not None:
            try:
                entry = plugin.version(pinned)
            except PluginNotFoundError as error:
                raise InstallError(Step.CATALOG, str(error), name=plugin.name, version=pinned) from None
            if not entry.supports_core(core):
                raise InstallError(
                    Step.COMPATIBILITY,
                    f"it supports zoryx-core {entry.requires_core}; this bot runs zoryx-core {core}",
                    name=plugin.name,
                    version=entry.version,
                )
            return entry
        entry_or_none = plugin.latest_compatible(core)
        if entry_or_none is None:
            latest = plugin.latest
            raise InstallError(
                Step.COMPATIBILITY,
                f"no version supports zoryx-core {core} (the newest, {latest.version}, needs zoryx-core "
                f"{latest.requires_core})",
                name=plugin.name,
            )
        return entry_or_none

    def _check_python(self, name: str, entry: CatalogVersion, before: EnvSnapshot) -> None:
        if not entry.requires_python:
            return
        try:
            ok = SpecifierSet(entry.requires_python).contains(before.python, prereleases=True)
        except InvalidSpecifier:
            ok = True  # pip applies Requires-Python itself
        if not ok:
            raise InstallError(
                Step.COMPATIBILITY,
                f"it needs Python {entry.requires_python}; the bot runs Python {before.python}",
                name=name,
                version=entry.version,
            )

    async def _download(
        self, plugin: CatalogPlugin, entry: CatalogVersion, folder: Path, progress: ProgressCallback | None
    ) -> Path:
        """Stream the wheel into ``folder`` (never past its declared size), hashing it on the way."""
        await report(progress, Progress(Step.DOWNLOAD, f"downloading {entry.filename}", 0, entry.size))

        async def on_bytes(done: int, total: int | None) -> None:
            await report(
                progress, Progress(Step.DOWNLOAD, f"downloading {entry.filename}", done, total or entry.size)
            )

        path = folder / entry.filename
        try:
            size, digest = await self.client.download_wheel(plugin.name, entry, path, on_progress=on_bytes)
        except MarketplaceError as error:
            raise InstallError(Step.DOWNLOAD, str(error), name=plugin.name, version=entry.version) from None
        await report(progress, Progress(Step.HASH, f"checking the sha256 of {entry.filename}"))
        if entry.size is not None and size != entry.size:
            raise InstallError(
                Step.HASH,
                f"{entry.filename} is {size} bytes; the catalog says {entry.size}",
                name=plugin.name,
                version=entry.version,
            )
        if digest != entry.sha256:
            raise InstallError(
                Step.HASH,
                f"the sha256 of {entry.filename} is {digest}; the catalog says {entry.sha256} (file refused)",
                name=plugin.name,
                version=entry.version,
            )
        return path

    def _discard_work(self, work: Path) -> None:
        """Delete an operation's folder, unless the journal still needs its backup (a rollback
        failed: the next start tries again)."""
        if not self._journal.path.exists():
            shutil.rmtree(work, ignore_errors=True)

    def _keep_wheel(self, wheel: Path) -> Path:
        """Move an installed plugin's verified wheel to ``marketplace/wheels``."""
        folder = self.options.marketplace_dir / DOWNLOADS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / wheel.name
        os.replace(wheel, path)
        return path

    def _prune_wheels(self, name: str, *, keep: Path | None) -> None:
        folder = self.options.marketplace_dir / DOWNLOADS_DIR
        if not folder.is_dir():
            return
        for path in folder.glob("*.whl"):
            if path != keep and canonicalize_name(path.name.split("-")[0]) == name:
                path.unlink(missing_ok=True)

    async def _verify_wheel(
        self,
        plugin: CatalogPlugin,
        entry: CatalogVersion,
        wheel: Path,
        core: str,
        progress: ProgressCallback | None,
    ) -> WheelInfo:
        await report(progress, Progress(Step.METADATA, f"checking the metadata of {entry.filename}"))
        try:
            info = await asyncio.to_thread(read_wheel, wheel)
        except WheelError as error:
            raise InstallError(Step.METADATA, str(error), name=plugin.name, version=entry.version) from None
        if info.name != plugin.name or Version(info.version) != entry.parsed:
            raise InstallError(
                Step.METADATA,
                f"the wheel is {info.name} {info.version}, not {plugin.name} {entry.version} (the catalog's)",
                name=plugin.name,
                version=entry.version,
            )
        problem = info.plugin_problem()
        if problem:
            raise InstallError(
                Step.METADATA, f"the wheel is refused: {problem}", name=plugin.name, version=entry.version
            )
        requirement = info.core_requirement
        if requirement is not None and not requirement.specifier.contains(core, prereleases=True):
            raise InstallError(
                Step.COMPATIBILITY,
                f"the wheel requires {requirement}; this bot runs zoryx-core {core}",
                name=plugin.name,
                version=entry.version,
            )
        return info

    # --- uninstall ---------------------------------------------------------------------------------

    async def uninstall(self, name: str, *, progress: ProgressCallback | None = None) -> UninstallResult:
        """Remove plugin ``name`` (the caller unloads it first). Its dependencies stay; its data
        folder is reported, never deleted. Refused when another installed plugin requires it."""
        try:
            return await self._uninstall(name, progress)
        except InstallError:
            raise
        except Exception as error:  # named, never a traceback
            raise InstallError(Step.UNINSTALL, _describe(error), name=canonicalize_name(name)) from None

    async def _uninstall(self, name: str, progress: ProgressCallback | None) -> UninstallResult:
        key = canonicalize_name(name)
        async with self._lock, exclusive(self.options.marketplace_dir):
            await self._recover_locked()
            await report(progress, Progress(Step.UNINSTALL, f"removing {key}"))
            before = await self._snapshot(Step.UNINSTALL, name=key)
            record = before.dists.get(key)
            if record is None:
                raise InstallError(Step.UNINSTALL, "it is not installed", name=key)
            if not record.is_plugin:
                raise InstallError(
                    Step.UNINSTALL,
                    "it is not a Zoryx plugin (no zoryx.plugins entry point); only plugins are removed",
                    name=key,
                )
            if not record.in_env:
                raise InstallError(
                    Step.UNINSTALL, f"it is installed outside this environment ({record.site})", name=key
                )
            dependents = sorted(
                other.name
                for other in before.plugins()
                if other.name != key and any(_requirement_name(line) == key for line in other.requires)
            )
            if dependents:
                raise InstallError(
                    Step.UNINSTALL, f"{', '.join(dependents)} require it; uninstall them first", name=key
                )
            work = await asyncio.to_thread(self._journal.new_work_dir, uuid.uuid4().hex[:12])
            self.environment.scratch = work / "tmp"
            try:
                await self._remove_journalled(key, record, before, work, progress)
            finally:
                self.environment.scratch = None
                await asyncio.to_thread(self._discard_work, work)
            await asyncio.to_thread(self._prune_wheels, key, keep=None)
            data_dir = self.options.data_dir / "plugins" / key
            exists = await asyncio.to_thread(data_dir.is_dir)
            return UninstallResult(key, record.version, data_dir, exists)

    async def _journal_opened(
        self, entry: JournalEntry, before: EnvSnapshot
    ) -> Callable[[int], Awaitable[None]]:
        """Record the environment's site folders and pip's stash folders in ``entry`` and write
        it to the journal before pip runs; returns pip's start callback, which journals its pid."""
        entry.site_dirs = sorted({before.scheme["purelib"], before.scheme["platlib"]})
        entry.stashes_before = await asyncio.to_thread(_stashes, entry.site_dirs)
        await asyncio.to_thread(self._journal.write, entry)

        async def started(pid: int) -> None:
            entry.pip_pid = pid
            await asyncio.to_thread(self._journal.write, entry)

        return started

    async def _remove_journalled(
        self,
        key: str,
        record: DistRecord,
        before: EnvSnapshot,
        work: Path,
        progress: ProgressCallback | None,
    ) -> None:
        """pip uninstall, journalled like an install: its files are backed up first, a failure puts
        them back, and a kill is undone at the next start (or, once pip had finished, completed)."""
        backup = Backup(work / "backup")
        try:
            await asyncio.to_thread(_back_up, backup, [record], [])
        except (MarketplaceError, OSError) as error:
            reason = f"cannot back up before uninstalling: {error}"
            raise InstallError(Step.UNINSTALL, reason, name=key) from None
        entry = JournalEntry(
            operation="uninstall",
            name=key,
            version=record.version,
            previous_version=record.version,
            module="",
            phase=Phase.INSTALLING,
            work_dir=str(work),
            before={name: list(value) for name, value in before.key().items()},
            backup_files=[str(path) for path in backup.files],
        )
        started = await self._journal_opened(entry, before)

        try:
            try:
                await self.environment.uninstall([record.raw_name], on_start=started)
                after = await self.environment.snapshot()
            except TargetError as error:
                raise _Failure(Step.UNINSTALL, str(error)) from None
            if key in after.dists:
                still = after.dists[key].version
                raise _Failure(Step.UNINSTALL, f"pip succeeded but {still} is still visible")
        except _Failure as failure:
            raise await self._rolled_back(entry, backup, progress, failure.step, failure.reason) from None
        except BaseException:
            await self._rollback(entry, backup, progress)
            raise
        entry.phase, entry.pip_pid = Phase.INSTALLED, None
        await asyncio.to_thread(self._journal.write, entry)
        await asyncio.to_thread(self._journal.clear)

    # --- fixdeps -----------------------------------------------------------------------------------

    async def check_requirements(self) -> list[MissingRequirement]:
        """Declared requirements of installed plugins (and their libraries) that are not met."""
        try:
            return await self.environment.unmet_requirements()
        except TargetError as error:
            raise InstallError(Step.CHECK, str(error), name="fixdeps") from None

    async def fixdeps(self, *, progress: ProgressCallback | None = None) -> FixdepsResult:
        """Install what installed plugins declare but lack, in one pip resolution (together with
        every installed plugin at its version, so their other requirements hold); rolled back if
        it fails. What to install comes from distribution metadata only, never from log text."""
        tracker = _StepTracker(progress, Step.CHECK)
        try:
            return await self._fixdeps(tracker.report)
        except InstallError:
            raise
        except Exception as error:  # named, never a traceback
            raise InstallError(tracker.step, _describe(error), name="fixdeps") from None

    async def _fixdeps(self, progress: ProgressCallback) -> FixdepsResult:
        async with self._lock, exclusive(self.options.marketplace_dir):
            await self._recover_locked()
            await report(progress, Progress(Step.CHECK, "checking the requirements of installed plugins"))
            before = await self._snapshot(Step.CHECK, name="fixdeps")
            missing = await self.check_requirements()
            fixable = [item for item in missing if item.problem != "cannot be parsed"]
            changes: list[DistChange] = []
            if fixable:
                requirements = list(dict.fromkeys(item.requirement for item in fixable))
                # Every installed plugin pinned in the same resolution, so what fixes one plugin
                # cannot break another's requirements.
                requirements += [f"{record.raw_name}=={record.version}" for record in before.plugins()]
                work = await asyncio.to_thread(self._journal.new_work_dir, uuid.uuid4().hex[:12])
                self.environment.scratch = work / "tmp"
                try:
                    _, changes = await self._apply(
                        requirements, before, name="fixdeps", version=None, progress=progress, work=work
                    )
                finally:
                    self.environment.scratch = None
                    await asyncio.to_thread(self._discard_work, work)
            remaining = await self.check_requirements() if fixable else missing
            pip_check = await self.environment.pip_check()
            return FixdepsResult(tuple(missing), tuple(changes), tuple(remaining), tuple(pip_check))

    # --- the transaction ---------------------------------------------------------------------------

    async def _apply(
        self,
        requirements: Sequence[str],
        before: EnvSnapshot,
        *,
        name: str,
        version: str | None,
        progress: ProgressCallback | None,
        work: Path,
        finish: Callable[[EnvSnapshot], Awaitable[None]] | None = None,
        direct: Path | None = None,
        previous: str | None = None,
        module: str = "",
    ) -> tuple[EnvSnapshot, list[DistChange]]:
        """Resolve (wheels only, with zoryx-core and its dependencies pinned), download every
        wheel and check its files, back up what will be replaced, journal, install from those
        wheels only, ``pip check``, then ``finish``; any failure restores ``before`` and raises
        :class:`InstallError`."""
        index = self.options.index_url
        problem = self.options.insecure(index, "the package index")
        if problem is not None:
            raise InstallError(Step.RESOLVE, problem, name=name, version=version)
        downloads = work / "download"
        constraints = work / "constraints.txt"
        await asyncio.to_thread(
            constraints.write_text, "\n".join(constraint_lines(before)) + "\n", encoding="utf-8"
        )
        await report(progress, Progress(Step.RESOLVE, f"resolving dependencies from {redact_url(index)}"))
        try:
            plan, baseline = await asyncio.gather(
                self.environment.dry_run(requirements, index, constraints=constraints),
                self.environment.pip_check(),
            )
        except TargetError as error:
            raise InstallError(
                Step.RESOLVE, _resolution_problem(str(error)), name=name, version=version
            ) from None
        fetch = [
            f"{item['metadata']['name']}=={item['metadata']['version']}"
            for item in plan
            if not (direct is not None and item.get("is_direct"))
        ]
        if fetch:
            await report(progress, Progress(Step.RESOLVE, f"downloading {', '.join(fetch)}"))
            try:
                await self.environment.download(fetch, index, downloads, constraints=constraints)
            except TargetError as error:
                raise InstallError(Step.RESOLVE, str(error), name=name, version=version) from None
        await report(progress, Progress(Step.VERIFY, "checking the files of every wheel"))
        audits = await asyncio.to_thread(_audit_all, downloads, before)
        problems = [f"{audit.name}: {problem}" for audit in audits for problem in audit.problems]
        if problems:
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise InstallError(Step.VERIFY, "; ".join(problems[:5]) + more, name=name, version=version)
        planned = {canonicalize_name(str(item["metadata"]["name"])) for item in plan}
        replaced = [before.dists[n] for n in sorted(planned) if n in before.dists and before.dists[n].in_env]
        backup = Backup(work / "backup")
        try:
            await asyncio.to_thread(_back_up, backup, replaced, audits)
        except (MarketplaceError, OSError) as error:
            raise InstallError(
                Step.RESOLVE, f"cannot back up before installing: {error}", name=name
            ) from None
        entry = JournalEntry(
            operation="fixdeps" if direct is None else "install",
            name=name,
            version=version,
            previous_version=previous,
            module=module,
            phase=Phase.INSTALLING,
            work_dir=str(work),
            before={key: list(value) for key, value in before.key().items()},
            backup_files=[str(path) for path in backup.files],
            created=[path for audit in audits for path in audit.created],
            created_dirs=[path for audit in audits for path in audit.created_dirs],
        )
        started = await self._journal_opened(entry, before)

        shown = ", ".join(f"{item['metadata']['name']} {item['metadata']['version']}" for item in plan)
        try:
            await report(progress, Progress(Step.INSTALL, f"installing {shown or 'nothing new'}"))
            try:
                await self.environment.install(
                    requirements, index, constraints=constraints, find_links=downloads, on_start=started
                )
            except TargetError as error:
                raise _Failure(Step.INSTALL, str(error)) from None
            try:
                after = await self.environment.snapshot()
            except TargetError as error:
                raise _Failure(Step.INSTALL, str(error)) from None
            await report(progress, Progress(Step.CHECK, "checking the environment with pip check"))
            broken = [line for line in await self.environment.pip_check() if line not in baseline]
            if broken:
                raise _Failure(Step.CHECK, "pip check finds the environment broken: " + "; ".join(broken[:5]))
            entry.phase, entry.pip_pid = Phase.INSTALLED, None
            await asyncio.to_thread(self._journal.write, entry)
            if finish is not None:
                await finish(after)
        except _Failure as failure:
            raise await self._rolled_back(entry, backup, progress, failure.step, failure.reason) from None
        except Exception as error:
            step = Step.INSTALL if entry.phase is Phase.INSTALLING else Step.ACTIVATE
            raise await self._rolled_back(entry, backup, progress, step, _describe(error)) from None
        except BaseException:
            await self._rollback(entry, backup, progress)
            raise
        await asyncio.to_thread(self._journal.clear)
        return after, before.changes_to(after)

    async def _rolled_back(
        self,
        entry: JournalEntry,
        backup: Backup,
        progress: ProgressCallback | None,
        step: InstallStep,
        reason: str,
    ) -> InstallError:
        """Roll ``entry`` back; the error to raise for the failure, saying whether it was undone."""
        rollback_error = await self._rollback(entry, backup, progress)
        return InstallError(
            step,
            reason,
            name=entry.name,
            version=entry.version,
            restored=rollback_error is None,
            rollback_error=rollback_error,
        )

    async def _rollback(
        self, entry: JournalEntry, backup: Backup, progress: ProgressCallback | None
    ) -> str | None:
        """Put the environment of ``entry.before`` back: uninstall what is new or changed, delete the
        files the operation created (and only those), copy back what it replaced. Returns None
        when the environment matches again (the journal is then removed), else why not."""
        await report(progress, Progress(Step.ROLLBACK, "restoring the environment"))
        before = {name: tuple(value) for name, value in entry.before.items()}
        try:
            now = await self.environment.snapshot()
            new = [
                record.raw_name
                for name, record in now.dists.items()
                if record.in_env and before.get(name) != (record.version, record.metadata_dir)
            ]
            if new:
                with contextlib.suppress(TargetError):  # half installed: its files are in entry.created
                    await self.environment.uninstall(new)
            await asyncio.to_thread(_remove_created, entry.created, entry.created_dirs)
            await asyncio.to_thread(_remove_bytecode_temporaries, [*entry.created, *entry.backup_files])
            await asyncio.to_thread(_remove_stashes, entry.site_dirs, entry.stashes_before)
            await asyncio.to_thread(backup.restore)
            final = await self.environment.snapshot()
        except (MarketplaceError, OSError) as error:
            return str(error)
        differences = sorted(
            name for name in set(before) | set(final.key()) if before.get(name) != final.key().get(name)
        )
        if differences:
            return f"it still differs: {', '.join(differences)}"
        await asyncio.to_thread(self._journal.clear)
        return None

    # --- recovery ----------------------------------------------------------------------------------

    async def recover(self) -> RecoveryReport | None:
        """Finish or undo an operation a crash or a kill interrupted (read from the journal), and
        delete leftover working folders; None when there was nothing to do. Call it at start-up;
        every install, upgrade and fixdeps also calls it first. The outcome is logged."""
        async with self._lock, exclusive(self.options.marketplace_dir):
            return await self._recover_locked()

    async def _recover_locked(self) -> RecoveryReport | None:
        try:
            entry = await asyncio.to_thread(self._journal.read)
        except ValueError as error:
            raise InstallError(Step.RECOVER, str(error), name="recovery") from None
        if entry is None:
            removed = await asyncio.to_thread(self._journal.remove_work)
            if not removed:
                return None
            recovered = RecoveryReport(RecoveryOutcome.CLEANED, "operation", "an unknown plugin", None, None)
            _log.warning("marketplace: %s", recovered.describe())
            return recovered
        await asyncio.to_thread(_stop_pip, entry.pip_pid)
        outcome, detail = RecoveryOutcome.UNDONE, ""
        if entry.phase is Phase.INSTALLED and entry.operation == "uninstall":
            outcome = RecoveryOutcome.FINISHED  # pip had removed it and that was checked
        elif entry.phase is Phase.INSTALLED and entry.module:
            try:
                await self.environment.import_check(entry.module)
                outcome = RecoveryOutcome.FINISHED
            except TargetError as error:
                detail = str(error)
        if outcome is RecoveryOutcome.FINISHED:
            await asyncio.to_thread(self._journal.clear)
        else:
            backup = Backup(Path(entry.work_dir) / "backup", [Path(name) for name in entry.backup_files])
            problem = await self._rollback(entry, backup, None)
            if problem is not None:
                outcome, detail = RecoveryOutcome.FAILED, problem
        if outcome is not RecoveryOutcome.FAILED:
            await asyncio.to_thread(self._journal.remove_work)
        recovered = RecoveryReport(
            outcome, entry.operation, entry.name, entry.version, entry.previous_version, detail
        )
        level = logging.ERROR if outcome is RecoveryOutcome.FAILED else logging.WARNING
        _log.log(level, "marketplace: %s", recovered.describe())
        return recovered

    # --- helpers -----------------------------------------------------------------------------------

    async def _catalog(self, *, refresh: bool = False, name: str = "") -> Catalog:
        try:
            return await self.client.catalog(refresh=refresh)
        except CatalogError as error:
            raise InstallError(Step.CATALOG, str(error), name=name) from None

    async def _snapshot(self, step: InstallStep, *, name: str = "") -> EnvSnapshot:
        try:
            return await self.environment.snapshot()
        except TargetError as error:
            raise InstallError(step, str(error), name=name) from None

    def _core_version(self, snapshot: EnvSnapshot) -> str:
        if self.core_version is not None:
            return self.core_version
        found = snapshot.version(CORE_DISTRIBUTION)
        if found is not None:
            return found
        try:
            return metadata.version(CORE_DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return "0"


class _StepTracker:
    """Forwards progress reports and remembers the step running, to name it in any failure."""

    def __init__(self, callback: ProgressCallback | None, first: InstallStep) -> None:
        self.callback = callback
        self.step = first

    async def report(self, progress: Progress) -> None:
        self.step = progress.step
        await report(self.callback, progress)


def _back_up(backup: Backup, records: Sequence[DistRecord], audits: Sequence[WheelAudit]) -> None:
    for record in records:
        backup.add(record)
    backup.add_paths(path for audit in audits for path in audit.existing)


def _audit_all(folder: Path, before: EnvSnapshot) -> list[WheelAudit]:
    """Audit every wheel in ``folder`` against the files installed distributions own."""
    owned = owned_files(record for record in before.dists.values() if record.in_env)
    audits = []
    for wheel in sorted(folder.glob("*.whl")):
        name = canonicalize_name(wheel.name.split("-")[0])
        installed = before.dists.get(name)
        replaces = name if installed is not None and installed.in_env else None
        try:
            audits.append(audit_wheel(wheel, before.scheme, owned, replaces=replaces))
        except (OSError, ValueError, zipfile.BadZipFile) as error:  # InvalidWheelFilename is a ValueError
            audits.append(WheelAudit(name, problems=[f"{wheel.name} cannot be read: {error}"]))
    leftovers = sorted(p.name for p in folder.iterdir() if p.suffix != ".whl")
    if leftovers:
        audits.append(
            WheelAudit(leftovers[0], problems=[f"not a wheel (sources run code when built): {leftovers[0]}"])
        )
    return audits


def _remove_created(created: Sequence[str], created_dirs: Sequence[str]) -> None:
    """Delete the files and folders an operation created; nothing that existed before."""
    for name in created:
        path = Path(name)
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)
    for name in created_dirs:
        shutil.rmtree(name, ignore_errors=True)


_BYTECODE_TEMPORARY = re.compile(r".+\.pyc\.\d+")


def _remove_bytecode_temporaries(paths: Sequence[str]) -> None:
    """Delete what an interrupted byte-compilation left beside the operation's ``.pyc`` files:
    Python writes each to ``NAME.pyc.NUMBER`` and renames it, so a pip killed while compiling
    leaves that file behind (in a folder that existed before, which no other step removes)."""
    for folder in sorted({os.path.dirname(path) for path in paths if path.endswith(".pyc")}):
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                if _BYTECODE_TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _stashes(site_dirs: Sequence[str]) -> list[str]:
    """The ``~``-prefixed entries of ``site_dirs``: pip renames what it replaces that way and
    deletes the copies when it succeeds (a killed pip leaves them)."""
    found = []
    for folder in site_dirs:
        with contextlib.suppress(OSError):
            found += [entry.path for entry in os.scandir(folder) if entry.name.startswith("~")]
    return sorted(found)


def _remove_stashes(site_dirs: Sequence[str], before: Sequence[str]) -> None:
    """Delete the copies an interrupted pip left (not those that were there before)."""
    kept = set(before)
    for path in _stashes(site_dirs):
        if path in kept:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _stop_pip(pid: int | None) -> None:
    """Kill the pip an interrupted operation started, if it still runs (and is still pip)."""
    if pid is None:
        return
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b"pip" not in command:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.05)


def _resolution_problem(text: str) -> str:
    if "ResolutionImpossible" in text or "conflict" in text.lower():
        return (
            f"{text}\n(zoryx-core, its dependencies, pip and setuptools are pinned at their installed "
            "versions: a plugin cannot change them)"
        )
    return text


def _requirement_name(line: str) -> str | None:
    try:
        return canonicalize_name(Requirement(line).name)
    except InvalidRequirement:
        return None


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
