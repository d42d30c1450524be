"""Discovery: what plugins exist, read from distribution metadata without importing them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

__all__ = [
    "CORE_DISTRIBUTION",
    "ENTRY_POINT_GROUP",
    "EXTENSION_PACKAGE",
    "InstalledDistribution",
    "PluginSpec",
    "core_metadata_field",
    "discover",
    "discover_builtins",
    "discover_distributions",
    "discover_extensions",
    "extension_name",
    "metadata_headers",
    "plugin_specs",
    "scan_distributions",
]

ENTRY_POINT_GROUP = "zoryx.plugins"
CORE_DISTRIBUTION = "zoryx-core"
EXTENSION_PACKAGE = "zoryx_extensions"
"""Synthetic package under which ``./extensions`` files are imported."""

PluginKind = Literal["builtin", "distribution", "extension"]


@dataclass(frozen=True)
class PluginSpec:
    """Everything known about a plugin before it is imported."""

    name: str
    """Canonical distribution name, or the extension's file name with spaces turned into ``_``."""
    kind: PluginKind
    module: str
    """Module to import: the entry point's target, or ``zoryx_extensions.<name>``."""
    version: str | None = None
    summary: str = ""
    author: str = ""
    requirements: tuple[Requirement, ...] = ()
    """Active ``Requires-Dist`` entries (markers evaluated, extras ignored)."""
    plugin_requirements: tuple[Requirement, ...] = ()
    """The subset of ``requirements`` naming other Zoryx plugins."""
    path: Path | None = None
    """The extension file; for editable distributions, their source folder."""
    editable: bool = False
    problem: str | None = None
    """A defect found in the metadata itself; such a plugin is never imported."""

    @property
    def core_requirement(self) -> Requirement | None:
        """The requirement on zoryx-core, if declared."""
        for req in self.requirements:
            if canonicalize_name(req.name) == CORE_DISTRIBUTION:
                return req
        return None

    @property
    def library_requirements(self) -> tuple[Requirement, ...]:
        """Requirements on ordinary libraries (neither zoryx-core nor other plugins)."""
        plugins = {canonicalize_name(r.name) for r in self.plugin_requirements}
        return tuple(
            req
            for req in self.requirements
            if canonicalize_name(req.name) not in plugins and canonicalize_name(req.name) != CORE_DISTRIBUTION
        )


def extension_name(path: Path) -> str:
    """The plugin name of an extension file: its stem with spaces (and other non-identifier
    characters) turned into underscores."""
    name = re.sub(r"\W", "_", path.stem)
    return f"_{name}" if name[:1].isdigit() else name


def discover(
    paths: Sequence[str] | None = None,
    extensions_dir: Path | None = None,
    *,
    builtins: Sequence[tuple[str, str, str]] = (),
    core_version: str | None = None,
    installed: Sequence[InstalledDistribution] | None = None,
) -> list[PluginSpec]:
    """All plugins: the core's built-in plugins (``(name, module, summary)``), distributions with
    ``zoryx.plugins`` entry points on ``paths`` (default ``sys.path``; ``installed``: a scan of
    them already made), then extension files; a name found twice is reported on the later one."""
    found = installed if installed is not None else scan_distributions(paths)
    specs = discover_builtins(builtins, core_version) + plugin_specs(found)
    if extensions_dir is not None:
        taken = {spec.name for spec in specs}
        for spec in discover_extensions(extensions_dir):
            if spec.name in taken:
                spec = replace(spec, problem=f"the name {spec.name!r} is already used by an installed plugin")
            specs.append(spec)
    return specs


def discover_builtins(builtins: Sequence[tuple[str, str, str]], core_version: str | None) -> list[PluginSpec]:
    """The core's own features, written as plugins: versioned with zoryx-core."""
    return [
        PluginSpec(
            name=name, kind="builtin", module=module, version=core_version, summary=summary, author="Zoryx"
        )
        for name, module, summary in builtins
    ]


def discover_extensions(directory: Path) -> list[PluginSpec]:
    """Single-file discord.py extensions: ``*.py`` files in ``directory`` not starting with ``_``."""
    if not directory.is_dir():
        return []
    specs = []
    for file in sorted(directory.glob("*.py")):
        if file.name.startswith("_"):
            continue
        name = extension_name(file)
        specs.append(
            PluginSpec(name=name, kind="extension", module=f"{EXTENSION_PACKAGE}.{name}", path=file.resolve())
        )
    return specs


def discover_distributions(paths: Sequence[str] | None = None) -> list[PluginSpec]:
    """Installed distributions declaring an entry point in the ``zoryx.plugins`` group."""
    return plugin_specs(scan_distributions(paths))


def plugin_specs(installed: Iterable[InstalledDistribution]) -> list[PluginSpec]:
    """The plugins among scanned distributions (see :func:`scan_distributions`)."""
    specs: list[PluginSpec] = []
    for found in installed:
        entry_points = [ep for ep in found.dist.entry_points if ep.group == ENTRY_POINT_GROUP]
        if entry_points:
            specs.append(_spec_from_distribution(found, entry_points))
    plugin_names = {spec.name for spec in specs}
    return [_with_plugin_requirements(spec, plugin_names) for spec in specs]


@dataclass(frozen=True)
class InstalledDistribution:
    """One installed distribution and the headers of its core metadata."""

    name: str
    """Canonical name."""
    dist: metadata.Distribution
    headers: dict[str, list[str]]
    """Header values by lower-case field name, in file order (fields such as Requires-Dist repeat)."""

    def field(self, name: str) -> str | None:
        """The first value of a field, or ``None`` when it is absent or empty."""
        values = self.headers.get(name.lower())
        return values[0] if values and values[0] else None

    @property
    def version(self) -> str | None:
        """The ``Version`` field."""
        return self.field("Version")


def scan_distributions(paths: Sequence[str] | None = None) -> list[InstalledDistribution]:
    """Every distribution on ``paths`` (default ``sys.path``), each name once (the first on the
    path wins, as for imports), its metadata headers read once."""
    seen: set[str] = set()
    found: list[InstalledDistribution] = []
    dists = metadata.distributions(path=list(paths)) if paths is not None else metadata.distributions()
    for dist in dists:
        headers = metadata_headers(dist)
        raw_name = (headers.get("name") or [""])[0]
        if not raw_name:
            continue
        name = canonicalize_name(raw_name)
        if name in seen:  # editable installs can appear twice; the first on the path wins
            continue
        seen.add(name)
        found.append(InstalledDistribution(name, dist, headers))
    return found


def metadata_headers(dist: metadata.Distribution) -> dict[str, list[str]]:
    """The header fields of a distribution's core metadata (``METADATA``, or ``PKG-INFO`` for
    older formats), read without the email parser behind ``Distribution.metadata`` (about 1 ms
    per distribution, and discovery looks at every installed one). Keys are lower case; a
    folded value keeps its continuation lines, joined by newlines."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    head = text.replace("\r\n", "\n").partition("\n\n")[0]  # the body follows a blank line
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            if last:
                last[-1] = f"{last[-1]}\n{line.strip()}"
            continue
        key, colon, value = line.partition(":")
        if not colon:
            last = None
            continue
        last = headers.setdefault(key.strip().lower(), [])
        last.append(value.strip())
    return headers


def core_metadata_field(dist: metadata.Distribution, field: str) -> str | None:
    """A one-line field (``Name``, ``Version``) of a distribution's core metadata."""
    values = metadata_headers(dist).get(field.lower())
    return values[0] if values and values[0] else None


def _with_plugin_requirements(spec: PluginSpec, plugin_names: set[str]) -> PluginSpec:
    deps = tuple(req for req in spec.requirements if canonicalize_name(req.name) in plugin_names)
    return replace(spec, plugin_requirements=deps)


def _spec_from_distribution(
    found: InstalledDistribution, entry_points: Sequence[metadata.EntryPoint]
) -> PluginSpec:
    name = found.name
    problems: list[str] = []
    if len(entry_points) > 1:
        problems.append(f"declares {len(entry_points)} entry points in {ENTRY_POINT_GROUP}; one is allowed")
    entry_point = entry_points[0]
    if canonicalize_name(entry_point.name) != name:
        problems.append(
            f"entry point {entry_point.name!r} in group {ENTRY_POINT_GROUP} must be named {name!r} "
            "(the canonical distribution name)"
        )
    if entry_point.attr:
        problems.append(f"entry point {entry_point.value!r} must name a module, not an attribute")
    requirements, bad = _parse_requirements(_requirement_lines(found))
    problems.extend(f"unparseable Requires-Dist {text!r}: {error}" for text, error in bad)
    editable, source = _editable_source(found.dist)
    return PluginSpec(
        name=name,
        kind="distribution",
        module=entry_point.module,
        version=found.version,
        summary=found.field("Summary") or "",
        author=_author(found),
        requirements=tuple(requirements),
        path=source,
        editable=editable,
        problem="; ".join(problems) or None,
    )


def _requirement_lines(found: InstalledDistribution) -> Sequence[str]:
    """``Requires-Dist`` of the metadata; an egg-info install keeps them in requires.txt."""
    if "requires-dist" in found.headers or found.dist.read_text("requires.txt") is None:
        return found.headers.get("requires-dist", [])
    return found.dist.requires or ()


def _parse_requirements(lines: Iterable[str]) -> tuple[list[Requirement], list[tuple[str, str]]]:
    active: list[Requirement] = []
    bad: list[tuple[str, str]] = []
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement as error:
            bad.append((line, str(error)))
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            active.append(req)
    return active, bad


def _author(found: InstalledDistribution) -> str:
    author = found.field("Author")
    if author:
        return author
    email = found.field("Author-email") or ""
    names = [part.split("<", 1)[0].strip().strip('"') for part in email.split(",")]
    return ", ".join(name for name in names if name)


def _editable_source(dist: metadata.Distribution) -> tuple[bool, Path | None]:
    text = dist.read_text("direct_url.json")
    if not text:
        return False, None
    try:
        info = json.loads(text)
    except ValueError:
        return False, None
    if not info.get("dir_info", {}).get("editable"):
        return False, None
    url = urlparse(info.get("url", ""))
    return True, (Path(unquote(url.path)) if url.scheme == "file" else None)
