"""Importing plugin modules fresh, and forgetting them again."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from .metadata import EXTENSION_PACKAGE, PluginSpec

__all__ = ["drop_bytecode", "import_plugin", "module_root", "purge_modules", "restore_modules"]

_PROTECTED = {"zoryx_core", "discord", "marketplace_client"}


def module_root(spec: PluginSpec) -> str:
    """The module prefix that belongs to the plugin: its top-level package, unless that package is
    shared (a namespace package, or a protected one), in which case the entry-point module."""
    if spec.kind == "extension":
        return spec.module
    top = spec.module.split(".", 1)[0]
    if top in _PROTECTED:
        return spec.module
    found = importlib.util.find_spec(top)
    if found is None or found.origin in (None, "namespace"):
        return spec.module
    return top


def import_plugin(spec: PluginSpec) -> ModuleType:
    """Import the plugin's module from scratch (call off the event loop: it reads files)."""
    importlib.invalidate_caches()
    if spec.kind == "extension":
        assert spec.path is not None
        return _import_extension(spec.module, spec.path)
    return importlib.import_module(spec.module)


def _import_extension(name: str, path: Path) -> ModuleType:
    """Execute an extension file from its source (never from bytecode, so a same-second edit is
    never missed) as ``zoryx_extensions.<name>``."""
    if EXTENSION_PACKAGE not in sys.modules:
        package = ModuleType(EXTENSION_PACKAGE, "Single-file extensions loaded by Zoryx.")
        package.__path__ = []
        sys.modules[EXTENSION_PACKAGE] = package
    source = path.read_bytes()
    code = compile(source, str(path), "exec", dont_inherit=True)
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = ModuleType(name)
    module.__file__ = str(path)
    module.__spec__ = module_spec
    module.__package__ = EXTENSION_PACKAGE
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def purge_modules(root: str) -> dict[str, ModuleType]:
    """Remove ``root`` and its submodules from ``sys.modules``; returns them for a rollback."""
    taken = {
        name: module for name, module in sys.modules.items() if name == root or name.startswith(root + ".")
    }
    for name in taken:
        del sys.modules[name]
    return taken


def restore_modules(snapshot: dict[str, ModuleType]) -> None:
    """Put purged modules back (after a failed reload)."""
    root_names = set(snapshot)
    for name in [n for n in sys.modules if any(n == r or n.startswith(r + ".") for r in root_names)]:
        del sys.modules[name]
    sys.modules.update(snapshot)


def drop_bytecode(modules: dict[str, ModuleType]) -> None:
    """Delete the cached bytecode of these modules so the next import compiles the sources.

    Bytecode is validated by source mtime (1 s resolution) and size, so a quick same-size edit
    could otherwise run old code. Call off the event loop.
    """
    for module in modules.values():
        file = getattr(module, "__file__", None)
        if not file or not file.endswith(".py"):
            continue
        with contextlib.suppress(OSError, NotImplementedError, ValueError):
            Path(importlib.util.cache_from_source(file)).unlink(missing_ok=True)
