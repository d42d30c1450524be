"""Resolution before import: selection, version checks, dependencies, topological order, cycles."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .metadata import InstalledDistribution, PluginSpec, core_metadata_field, scan_distributions

__all__ = ["InstalledVersions", "Resolution", "Selection", "installed_version", "resolve", "unmet"]


@dataclass(frozen=True)
class Selection:
    """Which plugins may load: ``only`` (empty = all), ``disabled``, or none at all."""

    only: frozenset[str] = frozenset()
    disabled: frozenset[str] = frozenset()
    none: bool = False
    only_source: str = "plugins.enabled"
    disabled_source: str = "plugins.disabled"

    @classmethod
    def of(
        cls,
        only: Iterable[str] = (),
        disabled: Iterable[str] = (),
        *,
        none: bool = False,
        only_source: str = "plugins.enabled",
        disabled_source: str = "plugins.disabled",
    ) -> Selection:
        return cls(
            frozenset(_key(n) for n in only if n),
            frozenset(_key(n) for n in disabled if n),
            none,
            only_source,
            disabled_source,
        )

    def refusal(self, name: str, *, builtin: bool = False) -> str | None:
        """Why ``name`` may not load, or ``None``. Built-in plugins are part of the core: only the
        disabled list turns them off (``--no-plugins`` and the enabled list do not)."""
        if builtin:
            return f"disabled by {self.disabled_source}" if _key(name) in self.disabled else None
        if self.none:
            return "plugins are switched off (--no-plugins)"
        if _key(name) in self.disabled:
            return f"disabled by {self.disabled_source}"
        if self.only and _key(name) not in self.only:
            return f"not listed in {self.only_source}"
        return None


def _key(name: str) -> str:
    """Selection lists match distribution names loosely (``Zoryx_Hello`` = ``zoryx-hello``)."""
    return str(canonicalize_name(name))


@dataclass
class Resolution:
    """The plugins to try, in load order, and those ruled out before import, with reasons."""

    order: list[PluginSpec] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, or ``None``."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    return core_metadata_field(dist, "Version") or dist.version


class InstalledVersions:
    """The installed version of each distribution on ``sys.path``, from one scan: a resolution
    asks for many (every library requirement of every plugin), and each
    :func:`installed_version` searches the whole path again."""

    def __init__(self, installed: Iterable[InstalledDistribution] | None = None) -> None:
        """``installed``: a scan of ``sys.path`` already made; without it, one is made when first
        asked."""
        self._versions = None if installed is None else self._index(installed)

    @staticmethod
    def _index(installed: Iterable[InstalledDistribution]) -> dict[str, str | None]:
        return {found.name: found.version for found in installed}

    def __call__(self, name: str) -> str | None:
        if self._versions is None:
            self._versions = self._index(scan_distributions())
        return self._versions.get(canonicalize_name(name))


def unmet(req: Requirement, version: str | None) -> str | None:
    """Why ``version`` of ``req.name`` does not satisfy ``req``, or ``None`` when it does."""
    if version is None:
        return f"requires {req}, which is not installed"
    if not req.specifier:
        return None
    try:
        parsed = Version(version)
    except InvalidVersion:
        return f"requires {req}, but the installed version {version!r} cannot be compared"
    if req.specifier.contains(parsed, prereleases=True):
        return None
    return f"requires {req}, but {req.name} {version} is installed"


def resolve(
    specs: Sequence[PluginSpec],
    selection: Selection,
    core_version: str,
    version_of: Callable[[str], str | None] = installed_version,
) -> Resolution:
    """Decide, without importing anything, which plugins can load and in which order."""
    result = Resolution()
    candidates: dict[str, PluginSpec] = {}
    for spec in specs:
        if spec.problem:
            result.failed[spec.name] = spec.problem
        elif (reason := selection.refusal(spec.name, builtin=spec.kind == "builtin")) or (
            reason := _environment_problem(spec, core_version, version_of)
        ):
            result.skipped[spec.name] = reason
        else:
            candidates[spec.name] = spec
    _drop_unmet_plugin_dependencies(candidates, result, {s.name: s for s in specs})
    result.order = _topological_order(candidates, result)
    return result


def _environment_problem(
    spec: PluginSpec, core_version: str, version_of: Callable[[str], str | None]
) -> str | None:
    core = spec.core_requirement
    if core is not None and (reason := unmet(core, core_version)):
        return reason.replace("is installed", "is running")
    for req in spec.library_requirements:
        if reason := unmet(req, version_of(req.name)):
            return reason
    return None


def _why_unavailable(name: str, result: Resolution) -> str:
    reason = result.failed.get(name) or result.skipped.get(name) or "not available"
    state = "failed" if name in result.failed else "skipped"
    return f"{state}: {reason}"


def _drop_unmet_plugin_dependencies(
    candidates: dict[str, PluginSpec], result: Resolution, known: dict[str, PluginSpec]
) -> None:
    changed = True
    while changed:
        changed = False
        for name, spec in list(candidates.items()):
            for req in spec.plugin_requirements:
                dep = str(canonicalize_name(req.name))
                if dep not in candidates:
                    result.skipped[name] = f"requires {req}, which is {_why_unavailable(dep, result)}"
                elif reason := unmet(req, known[dep].version):
                    result.skipped[name] = reason
                else:
                    continue
                del candidates[name]
                changed = True
                break


def _topological_order(candidates: dict[str, PluginSpec], result: Resolution) -> list[PluginSpec]:
    """Kahn's algorithm; ties keep discovery order. Cycles are named and their members skipped."""
    position = {name: index for index, name in enumerate(candidates)}
    deps = {
        name: {str(canonicalize_name(r.name)) for r in spec.plugin_requirements}
        for name, spec in candidates.items()
    }
    dependents: dict[str, set[str]] = {name: set() for name in candidates}
    for name, needs in deps.items():
        for dep in needs:
            dependents[dep].add(name)
    waiting = {name: len(needs) for name, needs in deps.items()}
    ready = [(position[n], n) for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[PluginSpec] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(candidates[name])
        for dependent in dependents[name]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, (position[dependent], dependent))
    stuck = [name for name in candidates if waiting[name] > 0]
    for name in stuck:
        cycle = _cycle_through(name, deps, set(stuck))
        if cycle:
            result.skipped[name] = "dependency cycle: " + " -> ".join(cycle)
    for name in stuck:
        if name not in result.skipped:
            blocked = sorted(dep for dep in deps[name] if dep in stuck)
            result.skipped[name] = f"requires {', '.join(blocked)}, which cannot load (dependency cycle)"
    return order


def _cycle_through(start: str, deps: dict[str, set[str]], stuck: set[str]) -> list[str] | None:
    """A dependency path from ``start`` back to itself, if ``start`` lies on a cycle."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, path = stack.pop()
        for dep in sorted(deps[node] & stuck):
            if dep == start:
                return [*path, start]
            if dep not in visited:
                visited.add(dep)
                stack.append((dep, [*path, dep]))
    return None
