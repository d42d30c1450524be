"""A small script the installer runs with the *target* interpreter (``python -c <this source>``)
to look at that environment: its distributions, the requirements its plugins leave unmet, and
whether a module imports. Standard library plus ``packaging`` only; prints one JSON document."""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from importlib import metadata
from typing import Any

__all__ = ["main"]

GROUP = "zoryx.plugins"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _inside(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _visible() -> dict[str, metadata.Distribution]:
    """The distributions import would find: the first of each name along sys.path."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and _canonical(name) not in found:
            found[_canonical(name)] = dist
    return found


def snapshot() -> dict[str, Any]:
    dists = []
    for name, dist in sorted(_visible().items()):
        meta_dir = str(getattr(dist, "_path", "") or "")
        site = str(dist.locate_file(""))
        dists.append(
            {
                "name": name,
                "raw_name": dist.metadata["Name"],
                "version": dist.version,
                "site": site,
                "metadata_dir": meta_dir,
                "in_env": bool(meta_dir) and _inside(meta_dir, sys.prefix),
                "plugin": [[ep.name, ep.value] for ep in dist.entry_points if ep.group == GROUP],
                "requires": list(dist.requires or ()),
            }
        )
    return {"prefix": sys.prefix, "python": sys.version.split()[0], "dists": dists, "scheme": _scheme()}


def _scheme() -> dict[str, str]:
    """Where pip puts each part of a wheel in this environment."""
    import sysconfig

    paths = sysconfig.get_paths()
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return {
        "purelib": paths["purelib"],
        "platlib": paths["platlib"],
        "scripts": paths["scripts"],
        "data": paths["data"],
        "headers": os.path.join(sys.prefix, "include", "site", version),
    }


def check() -> dict[str, Any]:
    from packaging.requirements import InvalidRequirement, Requirement

    dists = _visible()
    problems: list[dict[str, str]] = []
    for plugin_name, plugin in sorted(dists.items()):
        if not any(ep.group == GROUP for ep in plugin.entry_points):
            continue
        seen: set[tuple[str, frozenset[str]]] = {(plugin_name, frozenset())}
        pending: list[tuple[str, frozenset[str]]] = [(plugin_name, frozenset())]
        while pending:
            owner, extras = pending.pop()
            for line in dists[owner].requires or ():
                try:
                    req = Requirement(line)
                except InvalidRequirement:
                    problems.append(_problem(plugin_name, owner, line, "cannot be parsed"))
                    continue
                wanted = extras or frozenset({""})
                if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in wanted):
                    continue
                name = _canonical(req.name)
                installed = dists.get(name)
                if installed is None:
                    problems.append(_problem(plugin_name, owner, str(req), "not installed"))
                    continue
                if not req.specifier.contains(installed.version, prereleases=True):
                    problems.append(
                        _problem(plugin_name, owner, str(req), f"version {installed.version} is installed")
                    )
                    continue
                key = (name, frozenset(req.extras))
                if key not in seen:
                    seen.add(key)
                    pending.append(key)
    return {"problems": problems}


def _problem(plugin: str, owner: str, requirement: str, problem: str) -> dict[str, str]:
    return {"plugin": plugin, "required_by": owner, "requirement": requirement, "problem": problem}


def import_module(name: str) -> dict[str, Any]:
    importlib.import_module(name)
    return {"imported": name}


def main(argv: list[str]) -> int:
    command, *rest = argv or ["snapshot"]
    if command == "snapshot":
        result = snapshot()
    elif command == "check":
        result = check()
    elif command == "import" and len(rest) == 1:
        result = import_module(rest[0])
    else:
        print(f"usage: snapshot | check | import MODULE (got {argv})", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
