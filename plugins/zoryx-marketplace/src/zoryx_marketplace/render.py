"""The marketplace's embeds: home, result pages, a plugin's details, the terms, operation results."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import discord

from marketplace_client import InstallAction, ListingStatus
from zoryx_core.ui import (
    EmbedKind,
    error_embed,
    info_embed,
    make_embed,
    success_embed,
    truncate,
    warning_embed,
    with_page_footer,
)

if TYPE_CHECKING:
    from marketplace_client import (
        Catalog,
        CatalogPlugin,
        DistChange,
        FixdepsResult,
        InstallError,
        InstallResult,
        MissingRequirement,
        RecoveryReport,
        SearchPage,
    )

__all__ = [
    "STATUS_EMOJI",
    "details_embed",
    "failure_embed",
    "fixdeps_embed",
    "home_embed",
    "install_embed",
    "list_title",
    "missing_lines",
    "page_embed",
    "status_text",
    "terms_embed",
]

MARKET = "🛒"
STATUS_EMOJI: dict[ListingStatus, str] = {
    ListingStatus.WORKING: "✅",
    ListingStatus.BETA: "🧪",
    ListingStatus.BROKEN: "💥",
}


def status_text(status: ListingStatus) -> str:
    """``✅ working``, ``🧪 beta`` or ``💥 broken``."""
    return f"{STATUS_EMOJI[status]} {status.value}"


def home_embed(catalog: Catalog, recovery: RecoveryReport | None = None) -> discord.Embed:
    """The menu's first screen: what the marketplace holds, by status (and what the start-up
    recovery did about an interrupted install, when it did something)."""
    counts = Counter(plugin.status for plugin in catalog.plugins)
    total = len(catalog.plugins)
    lines = [
        f"{STATUS_EMOJI[status]} **{status.value.title()}**: {counts[status]}" for status in ListingStatus
    ]
    description = (
        f"{total} plugin{'' if total == 1 else 's'} to browse.\n"
        + "\n".join(lines)
        + "\n\nBrowse them all, search by name, tag or summary, or list one status."
    )
    fields = [("Terms", f"version `{catalog.terms.version}`", True)]
    if catalog.generated:
        fields.append(("Catalog written", catalog.generated, True))
    if recovery is not None:
        fields.append(("Interrupted operation", truncate(recovery.describe(), 1000), False))
    return make_embed(EmbedKind.MENU, f"{MARKET} {catalog.name}", description, fields=fields)


def list_title(query: str, status: ListingStatus | None) -> str:
    """What a result page shows: everything, a search, a status, or both."""
    if query and status is not None:
        return f"Search: {truncate(query, 80)} ({status.value})"
    if query:
        return f"Search: {truncate(query, 80)}"
    if status is not None:
        return f"{status.value.title()} plugins"
    return "All plugins"


def page_embed(page: SearchPage, installed: dict[str, str]) -> discord.Embed:
    """One page of plugins (five at most), with ``Page i/n`` in the footer."""
    title = f"{MARKET} {list_title(page.query, page.status)}"
    if not page.items:
        what = f"matches `{truncate(page.query, 80)}`" if page.query else "is listed here"
        return make_embed(EmbedKind.MENU, title, f"No plugin {what}.")
    fields = []
    for plugin in page.items:
        mark = f" · installed {installed[plugin.name]}" if plugin.name in installed else ""
        name = f"{plugin.name} {plugin.latest.version} · {status_text(plugin.status)}{mark}"
        tags = f"\nTags: {', '.join(plugin.tags)}" if plugin.tags else ""
        fields.append((name, truncate(plugin.summary or "No summary.", 300) + tags))
    description = f"{page.total} plugin{'' if page.total == 1 else 's'}. Choose one below for details."
    return with_page_footer(
        make_embed(EmbedKind.MENU, title, description, fields=fields), page.page, page.pages
    )


def details_embed(plugin: CatalogPlugin, installed: str | None, core_version: str) -> discord.Embed:
    """Everything the catalog says about a plugin, and whether (which version) is installed."""
    fields: list[tuple[str, str, bool]] = [
        ("Status", status_text(plugin.status), True),
        ("Latest", plugin.latest.version, True),
        ("Installed", installed or "no", True),
        ("Author", plugin.author or "-", True),
        ("Licence", plugin.license or "-", True),
        ("Tags", ", ".join(plugin.tags) or "-", True),
    ]
    if plugin.homepage:
        fields.append(("Homepage", plugin.homepage, False))
    versions = []
    for entry in plugin.versions[:10]:
        works = "✅" if entry.supports_core(core_version) else "❌"
        versions.append(f"`{entry.version}`: zoryx-core {entry.requires_core or 'any'} {works}")
    if len(plugin.versions) > 10:
        versions.append(f"… and {len(plugin.versions) - 10} older")
    fields.append((f"Versions (this bot runs zoryx-core {core_version})", "\n".join(versions), False))
    dependencies = [dep for dep in plugin.latest.dependencies if not dep.startswith("zoryx-core")]
    if dependencies:
        fields.append(("Dependencies", truncate(", ".join(dependencies), 1000), False))
    return make_embed(EmbedKind.INFO, plugin.name, plugin.summary or "No summary.", fields=fields)


def terms_embed(catalog: Catalog) -> discord.Embed:
    """The terms to accept before using the marketplace."""
    return warning_embed(
        f"Terms of {catalog.name}",
        truncate(catalog.terms.text, 3800)
        + "\n\nAccept them to use the marketplace. You are asked again when they change.",
        fields=[("Version", f"`{catalog.terms.version}`", True)],
    )


def _changes(changes: tuple[DistChange, ...]) -> str:
    return "\n".join(f"`{change.describe()}`" for change in changes) or "none"


def install_embed(result: InstallResult, loaded: bool, steps: str) -> discord.Embed:
    """The end of a successful install or update."""
    if result.action is InstallAction.UNCHANGED:
        text = f"{result.name} {result.version} is already installed; nothing was changed."
        if not loaded:
            text += f" It is not loaded: `load {result.name}` loads it."
        return info_embed(f"{result.name} is up to date", text)
    verb = {
        InstallAction.INSTALLED: "Installed",
        InstallAction.UPGRADED: "Updated",
        InstallAction.DOWNGRADED: "Downgraded",
    }[result.action]
    was = f" The version before was {result.previous_version}." if result.previous_version else ""
    live = (
        "Loaded live; its commands answer now."
        if loaded
        else f"Not loaded (it was not loaded before): `load {result.name}` loads it."
    )
    return success_embed(
        f"{verb} {result.name} {result.version}",
        live + was,
        fields=[
            ("Steps", steps, False),
            ("Changes", _changes(result.changes), False),
            ("Time", f"{result.seconds:.1f} s", True),
        ],
    )


def failure_embed(title: str, error: InstallError, steps: str) -> discord.Embed:
    """An install, update, uninstall or fixdeps that failed: the step, why, and the environment."""
    if error.rollback_error:
        state = f"⚠️ The environment could NOT be restored: {error.rollback_error}"
    elif error.restored:
        state = "The environment was left as it was."
    else:
        state = "The environment may have changed."
    return error_embed(
        title,
        f"Failed at step **{error.step.value}**: {truncate(error.reason, 1500)}",
        fields=[("Steps", steps, False), ("Environment", state, False)],
    )


def missing_lines(missing: list[MissingRequirement] | tuple[MissingRequirement, ...]) -> str:
    """One line per unmet requirement."""
    return "\n".join(
        f"`{item.requirement}` for **{item.plugin}** (declared by {item.required_by}): {item.problem}"
        for item in missing
    )


def fixdeps_embed(result: FixdepsResult, steps: str) -> discord.Embed:
    """What fixdeps found, changed and could not fix."""
    fields = [("Steps", steps, False), ("Installed", _changes(result.changes), False)]
    if result.pip_check:
        fields.append(("pip check", truncate("\n".join(result.pip_check), 1000), False))
    if result.remaining:
        fields.append(("Still unmet", missing_lines(result.remaining), False))
        return warning_embed("Some requirements are still unmet", None, fields=fields)
    plugins = sorted({item.plugin for item in result.missing})
    hint = ", ".join(f"`reload {name}`" for name in plugins)
    return success_embed(
        "Requirements installed",
        f"Every installed plugin has what it declares. Plugins that failed for lack of them: {hint} "
        "(or `load` them).",
        fields=fields,
    )
