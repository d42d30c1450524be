"""Looking at installed plugins without a bot: for ``zoryx plugins`` and plugin CLI commands."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click
import pluggy
from packaging.utils import canonicalize_name

from .. import hookspecs
from .hooks import HookRunner
from .loader import import_plugin
from .manager import ZoryxPluginManager
from .metadata import PluginSpec, discover, scan_distributions
from .outcome import PluginOutcome, PluginStatus
from .resolution import InstalledVersions, Selection, resolve

__all__ = ["REGISTER_HOOK", "Inspection", "inspect_plugins"]

REGISTER_HOOK = "zoryx_register_commands"


@dataclass
class Inspection:
    """Every discovered plugin's outcome (``available`` when it imports and registers cleanly)
    and a plugin manager holding the importable ones."""

    outcomes: list[PluginOutcome]
    manager: pluggy.PluginManager
    runner: HookRunner = field(init=False)

    def __post_init__(self) -> None:
        self.runner = HookRunner(self.manager, lambda: 10.0)

    def register_commands(self, cli: click.Group) -> list[str]:
        """Let each plugin add commands to ``cli`` through ``zoryx_register_commands``; returns
        warnings for what was refused: a command whose name ``cli`` or an earlier plugin already
        has (naming both), a hook that raised, a plugin still on the removed ``zoryx_cli_commands``."""
        owners = dict.fromkeys(cli.commands, "zoryx (built in)")
        warnings: list[str] = []
        plugins = dict.fromkeys(impl.plugin_name for impl in self.runner.implementations(REGISTER_HOOK))
        for plugin in plugins:
            staging = click.Group(cli.name)
            for call in self.runner.call_sync(REGISTER_HOOK, only=plugin, cli=staging):
                if call.error:
                    warnings.append(f"plugin {plugin}: {REGISTER_HOOK} raised {call.error}")
            for name, command in staging.commands.items():
                owner = owners.get(name)
                if owner is not None:
                    warnings.append(
                        f"plugin {plugin}: command {name!r} is already taken by {owner}; not added"
                    )
                    continue
                owners[name] = f"plugin {plugin}"
                cli.add_command(command, name)
        for plugin in self._legacy_command_plugins():
            warnings.append(
                f"plugin {plugin}: zoryx_cli_commands is no longer called; "
                f"register commands with {REGISTER_HOOK}(cli) instead"
            )
        return warnings

    def _legacy_command_plugins(self) -> list[str]:
        legacy = getattr(self.manager.hook, "zoryx_cli_commands", None)
        return [impl.plugin_name for impl in legacy.get_hookimpls()] if legacy is not None else []


def inspect_plugins(
    extensions_dir: Path | None,
    selection: Selection,
    core_version: str,
    builtins: Sequence[tuple[str, str, str]] = (),
) -> Inspection:
    """Discover, resolve and import plugins (no set-up) to report what would load."""
    manager = ZoryxPluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    installed = scan_distributions()
    specs = discover(None, extensions_dir, builtins=builtins, core_version=core_version, installed=installed)
    resolution = resolve(specs, selection, core_version, InstalledVersions(installed))
    outcomes: dict[str, PluginOutcome] = {}
    for spec in specs:
        if spec.name in resolution.failed:
            outcomes[spec.name] = PluginOutcome(spec, PluginStatus.FAILED, resolution.failed[spec.name])
        elif spec.name in resolution.skipped:
            outcomes[spec.name] = PluginOutcome(spec, PluginStatus.SKIPPED, resolution.skipped[spec.name])
    for spec in resolution.order:
        outcomes[spec.name] = _inspect_one(spec, manager, outcomes)
    return Inspection([outcomes[spec.name] for spec in specs], manager)


def _inspect_one(
    spec: PluginSpec, manager: pluggy.PluginManager, done: dict[str, PluginOutcome]
) -> PluginOutcome:
    for req in spec.plugin_requirements:
        dep = done.get(str(canonicalize_name(req.name)))
        if dep is None or dep.status is not PluginStatus.AVAILABLE:
            state = f"{dep.status.value}: {dep.reason}" if dep else "not available"
            return PluginOutcome(spec, PluginStatus.SKIPPED, f"requires {req}, which is {state}")
    try:
        module = import_plugin(spec)
    except Exception as error:
        trace = "".join(traceback.format_exception(error))
        return PluginOutcome(
            spec, PluginStatus.FAILED, f"import failed: {type(error).__name__}: {error}", trace
        )
    try:
        manager.register(module, name=spec.name)
    except (pluggy.PluginValidationError, ValueError) as error:
        if manager.get_plugin(spec.name) is not None:
            manager.unregister(name=spec.name)
        return PluginOutcome(spec, PluginStatus.FAILED, f"invalid hook implementation: {error}")
    hooks = tuple(sorted(caller.name for caller in manager.get_hookcallers(module) or []))
    return PluginOutcome(spec, PluginStatus.AVAILABLE, hooks=hooks)
