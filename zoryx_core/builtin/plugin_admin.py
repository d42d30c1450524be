"""Built-in plugin ``core.plugins``: the plugin registry (``plugins``, ``plugininfo``, persisted to
``data/plugins.json``) and plugin control for bot owners (``load``, ``unload``, ``reload``,
``sync``)."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from zoryx_core import (
    PluginContext,
    PluginError,
    PluginOutcome,
    PluginStatus,
    ZoryxBot,
    __version__,
    hookimpl,
)
from zoryx_core.hybrid import hybrid_command
from zoryx_core.plugins import SetAside
from zoryx_core.ui import Paginator, error_embed, field_pages, info_embed, success_embed, warning_embed

__all__ = ["PluginAdminCog", "registry_document"]

REGISTRY_FILE = "plugins.json"
_STATUS_EMOJI = {
    PluginStatus.LOADED: "✅",
    PluginStatus.FAILED: "❌",
    PluginStatus.SKIPPED: "⏭️",
    PluginStatus.UNLOADED: "⏹️",
    PluginStatus.AVAILABLE: "📦",
}


def commands_of(bot: ZoryxBot, name: str) -> list[str]:
    """Names of the commands a loaded plugin registered (text and application)."""
    if name not in bot.plugins.contexts:
        return []
    registrations = bot.plugins.context(name).registrations
    found: list[str] = []
    for cog in registrations.cogs:
        found += [c.qualified_name for c in cog.walk_commands()]
        found += [f"/{c.qualified_name}" for c in cog.walk_app_commands() if not _is_hybrid_app(c)]
    found += [c.qualified_name for c in registrations.prefix_commands]
    found += [f"/{c.name}" for c, _ in registrations.app_commands if not _is_hybrid_app(c)]
    return sorted(dict.fromkeys(found))


def _is_hybrid_app(command: Any) -> bool:
    return isinstance(command, commands.hybrid.HybridAppCommand)


def registry_document(bot: ZoryxBot) -> dict[str, Any]:
    """The registry as JSON: every plugin's metadata, status, reason, hooks and commands."""
    plugins = []
    for outcome in bot.plugins.outcomes.values():
        entry = outcome.as_dict()
        entry["commands"] = commands_of(bot, outcome.name)
        entry["conflicts"] = (
            list(bot.plugins.contexts[outcome.name].conflicts) if outcome.name in bot.plugins.contexts else []
        )
        plugins.append(entry)
    return {
        "schema": 1,
        "core_version": __version__,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "plugins": plugins,
    }


async def save_registry(bot: ZoryxBot) -> None:
    """Write ``data/plugins.json`` atomically and the same document to the store (global ``core``
    document ``plugin_registry``), where processes on other machines see it."""
    if bot.storage.is_open:
        document = registry_document(bot)
        await bot.storage.json.write(bot.data_dir / REGISTRY_FILE, document)
        await bot.storage.set("core", "plugin_registry", document)


def _set_aside_text(entry: SetAside, plugin: str) -> str:
    name = entry.command.qualified_name
    if entry.by == plugin:
        return f"its `{name}` takes the place of the built-in one ({entry.builtin})"
    return f"`{name}` set aside: {entry.by} has its own"


def _outcome_embed(outcome: PluginOutcome, bot: ZoryxBot) -> discord.Embed:
    spec = outcome.spec
    kind = {"builtin": "built-in", "distribution": "installed distribution", "extension": "extension file"}
    embed = info_embed(f"{_STATUS_EMOJI.get(outcome.status, '')} {spec.name}", spec.summary or None)
    embed.add_field(name="Version", value=spec.version or "-")
    embed.add_field(name="Author", value=spec.author or "-")
    embed.add_field(name="Kind", value=kind.get(spec.kind, spec.kind))
    embed.add_field(name="Status", value=outcome.status.value)
    took = f"{outcome.load_time * 1000:.0f} ms" if outcome.load_time is not None else "-"
    embed.add_field(name="Load time", value=took)
    deps = ", ".join(str(r) for r in spec.plugin_requirements) or "none"
    if spec.core_requirement is not None:
        deps = f"{spec.core_requirement}; {deps}"
    embed.add_field(name="Dependencies", value=deps)
    set_aside = [_set_aside_text(e, outcome.name) for e in bot.command_overrides.involving(outcome.name)]
    if set_aside:
        embed.add_field(name="Commands set aside", value="\n".join(set_aside)[:1024], inline=False)
    ctx = bot.plugins.contexts.get(outcome.name)
    embed.add_field(name="Conflicts", value=", ".join(ctx.conflicts) if ctx and ctx.conflicts else "none")
    embed.add_field(
        name="Commands",
        value=", ".join(f"`{c}`" for c in commands_of(bot, outcome.name)) or "none",
        inline=False,
    )
    embed.add_field(name="Hooks", value=", ".join(outcome.hooks) or "none", inline=False)
    if outcome.reason and outcome.status is not PluginStatus.LOADED:
        embed.add_field(name="Reason", value=outcome.reason[:1000], inline=False)
    if outcome.last_reload_error:
        embed.add_field(name="Last reload failed", value=outcome.last_reload_error[:1000], inline=False)
    return embed


class PluginAdminCog(commands.Cog, name="Plugins"):
    """The plugin registry, and loading plugins while the bot runs."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    @hybrid_command(name="plugins")
    async def plugins(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Every plugin Zoryx found: status, version, load time or why it is not loaded."""
        lines = []
        for outcome in self.bot.plugins.outcomes.values():
            spec = outcome.spec
            detail = (
                f"{outcome.load_time * 1000:.0f} ms"
                if outcome.status is PluginStatus.LOADED and outcome.load_time is not None
                else outcome.reason or outcome.status.value
            )
            title = f"{_STATUS_EMOJI.get(outcome.status, '')} {spec.name} {spec.version or ''}".strip()
            for entry in self.bot.command_overrides.involving(spec.name):
                detail += f" · {_set_aside_text(entry, spec.name)}"
            lines.append((title, f"{spec.kind} · {outcome.status.value} · {detail}"[:1024]))
        pages = field_pages(lines, title=f"🔌 Plugins ({len(lines)})", per_page=8)
        await Paginator(
            pages, author=ctx.author, command_name=ctx.command.qualified_name if ctx.command else None
        ).send(ctx)

    @hybrid_command(name="plugininfo")
    @app_commands.describe(name="the plugin's name")
    async def plugininfo(self, ctx: commands.Context[ZoryxBot], name: str) -> None:
        """Everything about one plugin: metadata, dependencies, commands, hooks, status."""
        outcome = self._find(name)
        if outcome is None:
            close = difflib.get_close_matches(name, list(self.bot.plugins.outcomes), n=3)
            hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
            await ctx.send(embed=error_embed("Unknown plugin", f"No plugin named `{name}`.{hint}"))
            return
        await ctx.send(embed=_outcome_embed(outcome, self.bot))

    @hybrid_command(name="load")
    @app_commands.describe(name="the plugin's name")
    async def load(self, ctx: commands.Context[ZoryxBot], name: str) -> None:
        """Load a plugin by name (finds plugins installed since start-up)."""
        await self._act(ctx, "load", name)

    @hybrid_command(name="unload")
    @app_commands.describe(name="the plugin's name")
    async def unload(self, ctx: commands.Context[ZoryxBot], name: str) -> None:
        """Unload a plugin: its commands, listeners, views, tasks and hooks go with it."""
        await self._act(ctx, "unload", name)

    @hybrid_command(name="reload")
    @app_commands.describe(name="the plugin's name")
    async def reload(self, ctx: commands.Context[ZoryxBot], name: str) -> None:
        """Reload a plugin's code; if the new code fails, the old one keeps running."""
        await self._act(ctx, "reload", name)

    @hybrid_command(name="sync")
    @app_commands.describe(scope="global (every server) or guild (this server only, immediately)")
    async def sync(
        self, ctx: commands.Context[ZoryxBot], scope: Literal["global", "guild"] = "global"
    ) -> None:
        """Sync slash commands with Discord, globally or to this server."""
        if ctx.interaction is not None:
            await ctx.defer()
        try:
            if scope == "guild":
                if ctx.guild is None:
                    await ctx.send(embed=error_embed("Sync", "`sync guild` needs a server; use it in one."))
                    return
                self.bot.tree.copy_global_to(guild=ctx.guild)
                self.bot.command_sync.note_scopes([ctx.guild.id])
                synced = await self.bot.tree.sync(guild=ctx.guild)
                where = f"to {ctx.guild.name}"
            else:
                results = await self.bot.command_sync.sync_changed("the sync command", force=True)
                failed = [r for r in results if r.outcome == "failed"]
                if failed:
                    await ctx.send(embed=error_embed("Sync failed", "; ".join(r.detail for r in failed)))
                    return
                count = sum(r.commands for r in results if r.scope == "global")
                await ctx.send(
                    embed=success_embed("Synced", f"{count} application commands synced globally.")
                )
                return
        except discord.HTTPException as error:
            await ctx.send(
                embed=error_embed("Sync failed", f"Discord refused the sync: {error.text or error}")
            )
            return
        await ctx.send(embed=success_embed("Synced", f"{len(synced)} application commands synced {where}."))

    @plugininfo.autocomplete("name")
    @load.autocomplete("name")
    @unload.autocomplete("name")
    @reload.autocomplete("name")
    async def _plugin_names(
        self, interaction: discord.Interaction[ZoryxBot], current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.lower()
        names = sorted(n for n in self.bot.plugins.outcomes if wanted in n.lower())
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    def _find(self, name: str) -> PluginOutcome | None:
        outcomes = self.bot.plugins.outcomes
        if name in outcomes:
            return outcomes[name]
        lowered = {key.lower().replace("_", "-"): key for key in outcomes}
        key = lowered.get(name.lower().replace("_", "-"))
        return outcomes[key] if key else None

    async def _act(self, ctx: commands.Context[ZoryxBot], action: str, name: str) -> None:
        if ctx.interaction is not None:
            await ctx.defer()
        host = self.bot.plugins
        try:
            if action == "load":
                outcome = await host.load(name)
            elif action == "unload":
                outcome = await host.unload(name)
            else:
                outcome = await host.reload(name)
        except PluginError as error:
            await ctx.send(embed=error_embed(f"Cannot {action} {name}", str(error)))
            return
        finally:
            await save_registry(self.bot)
        if action == "reload" and outcome.last_reload_error:
            embed = warning_embed(
                f"Reload of {outcome.name} failed",
                f"The previous version keeps running.\n{outcome.last_reload_error[:1500]}",
            )
        elif outcome.status in (PluginStatus.LOADED, PluginStatus.UNLOADED):
            took = (
                f" in {outcome.load_time * 1000:.0f} ms" if action != "unload" and outcome.load_time else ""
            )
            embed = success_embed(f"{outcome.name} {action}ed{took}", outcome.reason or None)
            if action != "unload" and self.bot.tree.get_commands():
                embed.set_footer(text="New slash commands appear after `sync`.")
        else:
            embed = error_embed(f"{outcome.name} {outcome.status.value}", outcome.reason[:1500] or None)
        await ctx.send(embed=embed)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(PluginAdminCog(bot))


@hookimpl
async def zoryx_bot_ready(bot: ZoryxBot) -> None:
    await save_registry(bot)


@hookimpl
async def zoryx_plugin_loaded(bot: ZoryxBot, outcome: PluginOutcome) -> None:
    bot.command_sync.schedule(f"{outcome.name} was loaded")
    if bot.is_ready():
        await save_registry(bot)


@hookimpl
async def zoryx_plugin_unloaded(bot: ZoryxBot, outcome: PluginOutcome, reason: str) -> None:
    if reason != "shutdown":
        bot.command_sync.schedule(f"{outcome.name} was {'reloaded' if reason == 'reload' else 'unloaded'}")
        await save_registry(bot)
