"""The exceptions of the marketplace client, and the steps an install can fail at."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from zoryx_core.redact import redact_urls

if TYPE_CHECKING:
    from .models import Catalog

__all__ = [
    "CatalogError",
    "InstallError",
    "InstallStep",
    "MarketplaceError",
    "PluginNotFoundError",
    "WheelError",
]


class MarketplaceError(Exception):
    """Base class of every error the marketplace client raises. Its message never carries a URL's
    credentials or query string (they are replaced by ``***``), so it can be shown and logged."""

    def __init__(self, message: str = "") -> None:
        super().__init__(redact_urls(message))


class CatalogError(MarketplaceError):
    """The catalog could not be fetched, parsed or validated.

    ``cached`` is the previous good catalog, kept unchanged, when there is one.
    """

    def __init__(self, message: str, *, url: str = "", cached: Catalog | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.cached = cached


class PluginNotFoundError(MarketplaceError, LookupError):
    """The catalog (or the environment) has no plugin, or no such version, by that name."""


class WheelError(MarketplaceError):
    """A wheel file could not be read, or its metadata is not what a Zoryx plugin needs."""


class InstallStep(StrEnum):
    """The steps of an install, upgrade, uninstall or fixdeps, in the order they run."""

    CATALOG = "catalog"
    """Finding the plugin and a version in the catalog."""
    COMPATIBILITY = "compatibility"
    """The running zoryx-core (and Python) against what the version supports."""
    DOWNLOAD = "download"
    HASH = "hash"
    """The downloaded bytes against the catalog's sha256 (and size)."""
    METADATA = "metadata"
    """The wheel's name, version and ``zoryx.plugins`` entry point against the catalog."""
    RESOLVE = "resolve"
    """pip's dry run: the plugin and its dependencies resolved together (wheels only, zoryx-core
    and its dependencies pinned), then the dependencies' wheels downloaded."""
    VERIFY = "verify"
    """Every wheel's files: none may overwrite another distribution's, nor run code at start-up."""
    INSTALL = "install"
    """pip installing what the resolution chose."""
    IMPORT = "import"
    """Importing the installed plugin module in the target interpreter."""
    ACTIVATE = "activate"
    """The caller's activation (loading or reloading the plugin in the running bot)."""
    ROLLBACK = "rollback"
    """Putting the environment back as it was after a failure."""
    UNINSTALL = "uninstall"
    CHECK = "check"
    """``pip check`` after installing (new problems fail the install), and fixdeps' checks."""
    RECOVER = "recover"
    """Finishing or undoing an operation a crash interrupted (at the next start)."""


class InstallError(MarketplaceError):
    """An install, upgrade, uninstall or fixdeps failed at ``step`` because of ``reason``.

    ``restored`` is True when the environment is as it was before the operation (nothing had
    changed yet, or the rollback succeeded); ``rollback_error`` says why it is not.
    """

    def __init__(
        self,
        step: InstallStep,
        reason: str,
        *,
        name: str = "",
        version: str | None = None,
        restored: bool = True,
        rollback_error: str | None = None,
    ) -> None:
        self.step = step
        self.reason = redact_urls(reason)
        self.name = name
        self.version = version
        self.restored = restored
        self.rollback_error = redact_urls(rollback_error) if rollback_error is not None else None
        super().__init__(self._message())

    def _message(self) -> str:
        what = f"{self.name} {self.version}" if self.name and self.version else self.name or "operation"
        text = f"{what}: failed at step '{self.step.value}': {self.reason}"
        if self.rollback_error:
            return f"{text}; the environment could NOT be restored: {self.rollback_error}"
        return text
