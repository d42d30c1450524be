"""The catalog as typed, immutable objects (see ``docs/marketplace-catalog.md`` for the format)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from .errors import PluginNotFoundError

__all__ = ["Catalog", "CatalogPlugin", "CatalogVersion", "ListingStatus", "Terms"]


class ListingStatus(StrEnum):
    """How well a plugin works, as the marketplace's maintainers judge it."""

    WORKING = "working"
    BETA = "beta"
    BROKEN = "broken"


@dataclass(frozen=True)
class Terms:
    """The marketplace's terms of use; ``version`` changes whenever ``text`` does."""

    version: str
    text: str


@dataclass(frozen=True)
class CatalogVersion:
    """One released version of a plugin: where its wheel is and what it supports."""

    version: str
    filename: str
    """The wheel's file name, e.g. ``zoryx_weather-0.2.0-py3-none-any.whl``."""
    sha256: str
    """Lower-case hex digest of the wheel's bytes."""
    url: str | None = None
    """Absolute URL of the wheel (relative URLs are resolved against the catalog's URL)."""
    index: str | None = None
    """A PEP 503 simple index holding ``filename`` (used when ``url`` is not given)."""
    requires_core: str = ""
    """Specifier on zoryx-core, e.g. ``>=0.1,<0.2``; empty means any version."""
    requires_python: str | None = None
    size: int | None = None
    """The wheel's size in bytes, when the catalog states it."""
    dependencies: tuple[str, ...] = ()
    """The wheel's ``Requires-Dist`` entries, for display; pip resolves them at install."""

    @property
    def parsed(self) -> Version:
        return Version(self.version)

    def supports_core(self, core_version: str) -> bool:
        """Whether ``requires_core`` admits ``core_version`` (pre-releases included)."""
        if not self.requires_core:
            return True
        try:
            specifier = SpecifierSet(self.requires_core)
        except InvalidSpecifier:
            return False
        return specifier.contains(core_version, prereleases=True)


@dataclass(frozen=True)
class CatalogPlugin:
    """A plugin listed in the catalog; ``versions`` is sorted newest first."""

    name: str
    """Canonical distribution name (``zoryx-weather``)."""
    summary: str
    author: str
    status: ListingStatus
    versions: tuple[CatalogVersion, ...]
    tags: tuple[str, ...] = ()
    homepage: str | None = None
    license: str | None = None

    @property
    def latest(self) -> CatalogVersion:
        return self.versions[0]

    def version(self, version: str) -> CatalogVersion:
        """The entry for ``version`` (compared as versions, so ``1.0`` finds ``1.0.0``)."""
        wanted = Version(version)
        for entry in self.versions:
            if entry.parsed == wanted:
                return entry
        known = ", ".join(entry.version for entry in self.versions)
        raise PluginNotFoundError(f"{self.name} has no version {version} in the catalog; available: {known}")

    def latest_compatible(self, core_version: str) -> CatalogVersion | None:
        """The newest version that supports ``core_version``, if any."""
        return next((entry for entry in self.versions if entry.supports_core(core_version)), None)


@dataclass(frozen=True)
class Catalog:
    """A parsed, validated catalog document."""

    schema_version: int
    name: str
    terms: Terms
    plugins: tuple[CatalogPlugin, ...]
    source_url: str = ""
    """Where it was fetched from."""
    generated: str | None = None
    """When the catalog was written (ISO 8601), if stated."""
    fetched_at: float = 0.0
    """``time.time()`` of the fetch that produced this copy."""
    _by_name: dict[str, CatalogPlugin] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({plugin.name: plugin for plugin in self.plugins})

    def get(self, name: str) -> CatalogPlugin:
        """The plugin called ``name`` (any spelling of the distribution name)."""
        plugin = self._by_name.get(canonicalize_name(name))
        if plugin is None:
            raise PluginNotFoundError(
                f"no plugin named {name!r} in the catalog{_suggest(name, self._by_name)}"
            )
        return plugin

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonicalize_name(name) in self._by_name


def _suggest(name: str, known: dict[str, CatalogPlugin]) -> str:
    import difflib

    close = difflib.get_close_matches(canonicalize_name(name), list(known), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
