"""The embeds of ``slashlimit``: an overview page, then the long lists page by page."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from zoryx_core.ui import EmbedKind, chunked, make_embed, progress_bar

from .usage import LimitedCommand, LimitState, PluginUsage, SlashUsage

__all__ = [
    "LINES_PER_PAGE",
    "PLUGIN_PREVIEW_LINES",
    "PREVIEW_LINES",
    "plugin_line",
    "state_text",
    "usage_pages",
]

PREVIEW_LINES = 10
"""Commands of a list shown on the overview before the list moves to pages of its own."""
PLUGIN_PREVIEW_LINES = 15
"""Plugins shown on the overview before the list moves to pages of its own."""
LINES_PER_PAGE = 20
NO_PLUGIN = "(no plugin)"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def state_text(usage: SlashUsage) -> str:
    """The state in words, with what it means."""
    if usage.state is LimitState.AT_SAFE_LIMIT:
        return "🛑 at safe limit: commands loaded from now on are prefix-only"
    if usage.state is LimitState.WARNING:
        return f"⚠️ warning: past {usage.warning_threshold}"
    return "✅ ok"


def plugin_line(share: PluginUsage) -> str:
    """``plugin: 30 slash • 2 prefix-only`` (and the commands not registered, if any)."""
    line = f"`{share.plugin or NO_PLUGIN}`: {share.slash} slash • {share.prefix_only} prefix-only"
    if share.not_registered:
        line += f" • {share.not_registered} not registered"
    return line


def _command_line(info: LimitedCommand, prefix: str) -> str:
    if info.prefix_only:
        shown = f"`{prefix}{info.name}`"
    elif info.kind == "slash":
        shown = f"`/{info.name}`"
    else:
        shown = f"`{info.name}` ({info.kind} menu)"
    where = "" if info.is_global else " (guild " + ", ".join(str(g) for g in info.guild_ids) + ")"
    return f"{shown}{where}: {info.plugin or NO_PLUGIN}"


def _preview(lines: Sequence[str], limit: int) -> str:
    shown = list(lines[:limit])
    if len(lines) > limit:
        shown.append(f"… {len(lines) - limit} more: all {len(lines)} on the following pages")
    return "\n".join(shown)


def usage_pages(
    usage: SlashUsage, *, guild: discord.Guild | None, guild_commands: int, prefix: str
) -> list[discord.Embed]:
    """The overview, then pages for every list longer than the overview shows."""
    kind = EmbedKind.INFO if usage.state is LimitState.OK else EmbedKind.WARNING
    description = (
        f"{progress_bar(usage.global_commands, usage.max_limit, width=20)}\n"
        f"**{usage.global_commands}/{usage.max_limit}** global slash commands • "
        f"{usage.free} free below the safe limit ({usage.safe_limit})"
    )
    menus = " • ".join(
        f"{name} {count}/{usage.context_menu_limit}" for name, count in usage.context_menus.items()
    )
    here = f"{_plural(guild_commands, 'guild slash command')}" if guild is not None else "not in a server"
    fields: list[tuple[str, str, bool]] = [
        ("State", state_text(usage), True),
        (
            "Thresholds",
            f"warning {usage.warning_threshold} • safe limit {usage.safe_limit} • "
            f"Discord's limit {usage.max_limit}",
            True,
        ),
        ("Context menus", menus, True),
        ("This server", here, True),
    ]
    plugin_lines = [plugin_line(share) for share in usage.plugins]
    lists: list[tuple[str, list[str], int]] = [
        ("Plugins (slash • prefix-only)", plugin_lines, PLUGIN_PREVIEW_LINES),
        (
            "🔹 Prefix-only because of the slash limit",
            [_command_line(info, prefix) for info in usage.prefix_only],
            PREVIEW_LINES,
        ),
        (
            "Not registered (slash limit)",
            [_command_line(info, prefix) for info in usage.not_registered],
            PREVIEW_LINES,
        ),
        (
            "🔸 Prefix-only (prefix_only_plugins)",
            [_command_line(info, prefix) for info in usage.by_setting],
            PREVIEW_LINES,
        ),
    ]
    pages: list[discord.Embed] = []
    for title, lines, preview in lists:
        if not lines:
            if title.startswith("Plugins"):
                fields.append((title, "none", False))
            continue
        fields.append((f"{title} ({len(lines)})", _preview(lines, preview), False))
        if len(lines) > preview:
            for batch in chunked(lines, LINES_PER_PAGE):
                pages.append(make_embed(EmbedKind.MENU, title, "\n".join(batch)))
    overview = make_embed(kind, "Slash command usage", description, fields=fields)
    return [overview, *pages]
