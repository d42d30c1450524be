"""What install, upgrade, uninstall and fixdeps return, and what the activation step is given."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = [
    "ActivationRequest",
    "Activator",
    "DistChange",
    "FixdepsResult",
    "InstallAction",
    "InstallResult",
    "InstalledPlugin",
    "MissingRequirement",
    "RecoveryOutcome",
    "RecoveryReport",
    "UninstallResult",
    "Update",
]


class InstallAction(StrEnum):
    """What an install or upgrade did to the plugin itself."""

    INSTALLED = "installed"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    UNCHANGED = "unchanged"
    """The requested version was already installed; pip was not run and nothing was activated."""


@dataclass(frozen=True)
class DistChange:
    """One distribution the operation changed: ``before``/``after`` are versions (None: absent)."""

    name: str
    before: str | None
    after: str | None

    def describe(self) -> str:
        if self.before is None:
            return f"+ {self.name} {self.after}"
        if self.after is None:
            return f"- {self.name} {self.before}"
        return f"~ {self.name} {self.before} -> {self.after}"


@dataclass(frozen=True)
class ActivationRequest:
    """Handed to the caller's activation step once pip has installed the plugin.

    Load ``name`` when ``previous_version`` is None (or the plugin is not loaded), else reload it.
    Raising (any exception) makes the install fail at step ``activate`` and be rolled back.
    """

    name: str
    """Canonical distribution name, which is also the plugin's name in the host."""
    version: str
    previous_version: str | None
    module: str
    """The module the ``zoryx.plugins`` entry point names."""


Activator = Callable[[ActivationRequest], Awaitable[None]]


@dataclass(frozen=True)
class InstallResult:
    """A successful install or upgrade."""

    name: str
    version: str
    previous_version: str | None
    action: InstallAction
    changes: tuple[DistChange, ...]
    """Every distribution added, replaced or removed, the plugin included."""
    activated: bool
    """Whether an activation step ran (and succeeded)."""
    seconds: float


@dataclass(frozen=True)
class UninstallResult:
    """A removed plugin distribution. Its dependencies stay installed (others may use them)."""

    name: str
    version: str
    data_dir: Path
    """The plugin's data folder (``data_dir/plugins/<name>``); the client never deletes it."""
    data_dir_exists: bool


@dataclass(frozen=True)
class InstalledPlugin:
    """A distribution in the target environment with a ``zoryx.plugins`` entry point."""

    name: str
    version: str
    module: str
    requires: tuple[str, ...]


@dataclass(frozen=True)
class Update:
    """An installed plugin for which the catalog has a newer version supporting this zoryx-core."""

    name: str
    installed: str
    available: str


@dataclass(frozen=True)
class MissingRequirement:
    """A declared requirement of an installed plugin (or of a library it needs) that is not met."""

    plugin: str
    """The plugin whose requirements lead here."""
    required_by: str
    """The distribution declaring the requirement (the plugin itself, or one of its libraries)."""
    requirement: str
    problem: str
    """``"not installed"`` or ``"version X is installed"``."""


@dataclass(frozen=True)
class FixdepsResult:
    """What ``fixdeps`` found and did."""

    missing: tuple[MissingRequirement, ...]
    """Unmet requirements found before installing."""
    changes: tuple[DistChange, ...]
    remaining: tuple[MissingRequirement, ...]
    """Unmet requirements still there afterwards (empty when all was fixed)."""
    pip_check: tuple[str, ...]
    """Lines of ``pip check`` after the run (problems pip sees anywhere in the environment)."""


class RecoveryOutcome(StrEnum):
    """What the start-up recovery did about an operation that was interrupted."""

    FINISHED = "finished"
    """pip had finished and the plugin imports: it stays installed."""
    UNDONE = "undone"
    """The environment was put back as it was before the operation."""
    FAILED = "failed"
    """The environment could not be put back (``detail`` says why); the journal is kept."""
    CLEANED = "cleaned"
    """Nothing had changed yet: only leftover working folders were deleted."""


@dataclass(frozen=True)
class RecoveryReport:
    """The result of :meth:`Installer.recover`."""

    outcome: RecoveryOutcome
    operation: str
    name: str
    version: str | None
    previous_version: str | None
    detail: str = ""

    def describe(self) -> str:
        """One sentence for a log line, the command line or an embed."""
        what = f"{self.operation} of {self.name} {self.version or ''}".rstrip()
        if self.outcome is RecoveryOutcome.CLEANED:
            return f"an interrupted {what} had changed nothing; its working files were deleted"
        if self.outcome is RecoveryOutcome.FINISHED and self.operation == "uninstall":
            return f"an interrupted {what} was finished: {self.name} is no longer installed"
        if self.outcome is RecoveryOutcome.FINISHED:
            return f"an interrupted {what} was finished: {self.name} {self.version} stays installed"
        if self.outcome is RecoveryOutcome.UNDONE:
            was = f" ({self.name} {self.previous_version} is back)" if self.previous_version else ""
            return f"an interrupted {what} was undone: the environment is as it was before{was}"
        return f"an interrupted {what} could NOT be undone: {self.detail}"
