"""What a plugin install may not change: zoryx-core, everything it depends on (transitively) and
pip's own tools, pinned at their installed versions for pip (a constraints file), and refused as
plugin names from a catalog."""

from __future__ import annotations

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .environment import EnvSnapshot
from .wheel import CORE_DISTRIBUTION

__all__ = ["ALWAYS_RESERVED", "constraint_lines", "core_dependencies", "reserved_names"]

ALWAYS_RESERVED = frozenset({CORE_DISTRIBUTION, "pip", "setuptools", "wheel", "discord-py"})
"""Never installed or changed as a plugin, even when the environment lacks them."""


def core_dependencies(snapshot: EnvSnapshot) -> dict[str, str | None]:
    """Canonical name -> installed version (None: missing) of every distribution zoryx-core
    needs, directly or through others, zoryx-core included."""
    found: dict[str, str | None] = {}
    pending = [CORE_DISTRIBUTION]
    environment = {key: str(value) for key, value in default_environment().items()}
    while pending:
        name = pending.pop()
        if name in found:
            continue
        record = snapshot.dists.get(name)
        found[name] = record.version if record else None
        if record is None:
            continue
        for line in record.requires:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate(
                {**environment, "extra": ""}
            ):
                continue
            pending.append(canonicalize_name(requirement.name))
    return found


def reserved_names(snapshot: EnvSnapshot) -> frozenset[str]:
    """Names a catalog may not offer as a plugin: the core, its dependencies, pip's tools."""
    return ALWAYS_RESERVED | frozenset(core_dependencies(snapshot))


def constraint_lines(snapshot: EnvSnapshot) -> list[str]:
    """``name==version`` for every installed reserved distribution: with these as pip
    constraints, no plugin (nor its dependencies) can upgrade or downgrade them."""
    pinned = dict(core_dependencies(snapshot))
    for name in ALWAYS_RESERVED:
        pinned.setdefault(name, snapshot.version(name))
    return sorted(f"{name}=={version}" for name, version in pinned.items() if version is not None)
