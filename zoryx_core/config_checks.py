"""Typos caught: unknown ``config.json`` keys and ``ZORYX_*`` variables (with the closest known
name), and plugin names given on the command line that match no plugin."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from packaging.utils import canonicalize_name

from .settings import ENV_PREFIX, PLUGIN_SECTION, Settings, env_var_name

__all__ = ["DEPLOYMENT_VARIABLES", "setting_typos", "unmatched_plugin_names"]

DEPLOYMENT_VARIABLES = frozenset(
    {
        "ZORYX_DISCORD_URL",
        "ZORYX_DATABASE_URL",
        "ZORYX_REDIS_URL",
        "ZORYX_DISCORD_OPENAPI",
        "ZORYX_VENV",
    }
)
"""``ZORYX_*`` variables that are not settings: deployment values and tool options."""
_TOOL_PREFIXES = ("ZORYX_TEST_", "ZORYX_BENCH_", "ZORYX_CLUSTER_")


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def setting_typos(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """One warning per unknown ``config.json`` key and per ``ZORYX_*`` variable that overrides no
    setting, naming the closest known one. Plugins' sections count once the plugins declared their
    settings; a section of a plugin that is not loaded is not judged."""
    declared = {spec.key for spec in settings.specs}
    plugin_keys: dict[str, set[str]] = {}
    for name in settings.plugin_names():
        plugin_keys[name] = {spec.key for spec in settings.plugin(name).specs}
    warnings = []
    for key in settings.unknown_keys:
        if key.startswith(PLUGIN_SECTION + "."):
            plugin, _, rest = key.removeprefix(PLUGIN_SECTION + ".").partition(".")
            hint = _hint(rest, plugin_keys.get(plugin, ()))
        else:
            hint = _hint(key, declared)
        warnings.append(f"{settings.source_label}: unknown key {key!r} is ignored{hint}")

    variables = {env_var_name(key) for key in declared}
    plugin_prefixes = {}
    for name, keys in plugin_keys.items():
        names = {env_var_name(key, name) for key in keys}
        prefix = env_var_name("x", name)[:-1]
        plugin_prefixes[prefix] = names
        variables |= names
    for variable in sorted(environ):
        if not variable.startswith(ENV_PREFIX) or variable in variables or variable in DEPLOYMENT_VARIABLES:
            continue
        if variable.startswith(_TOOL_PREFIXES):
            continue
        if variable.startswith(f"{ENV_PREFIX}{PLUGIN_SECTION.upper()}__"):
            owner = max((p for p in plugin_prefixes if variable.startswith(p)), key=len, default=None)
            if owner is None:
                continue  # a plugin that is not loaded here
            known: Iterable[str] = plugin_prefixes[owner]
        else:
            known = variables - {v for names in plugin_prefixes.values() for v in names}
        warnings.append(
            f"environment variable {variable} sets no setting and is ignored{_hint(variable, known)}"
        )
    return warnings


def unmatched_plugin_names(names: Iterable[str], discovered: Iterable[str]) -> list[str]:
    """The names in ``names`` that match none of the ``discovered`` plugins (loosely, as the
    selection lists match: ``Zoryx_Hello`` is ``zoryx-hello``)."""
    known = {str(canonicalize_name(name)) for name in discovered} | set(discovered)
    return [name for name in names if name not in known and str(canonicalize_name(name)) not in known]
