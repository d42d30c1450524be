"""Built-in plugin ``core.guild``: setprefix, mentionprefix, serversettings and config (grants)."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from zoryx_core import PluginContext, ZoryxBot, hookimpl
from zoryx_core.hybrid import hybrid_command
from zoryx_core.permissions import Permissions, guild_owner_only, require_permissions, root_name
from zoryx_core.ui import error_embed, info_embed, plural, success_embed

__all__ = ["GuildAdminCog"]

MAX_PREFIX = 5
RESET_WORD = "default"


def prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot be a server prefix, or ``None``."""
    if not prefix or len(prefix) > MAX_PREFIX:
        return f"A prefix has 1 to {MAX_PREFIX} characters; `{prefix}` has {len(prefix)}."
    if any(ch.isspace() for ch in prefix):
        return "A prefix cannot contain spaces."
    if prefix.startswith(("/", "<@", "@")):
        return "A prefix cannot start with `/`, `@` or a mention."
    return None


class GuildAdminCog(commands.Cog, name="Server settings"):
    """How the bot behaves in this server."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    @hybrid_command(name="setprefix")
    @commands.guild_only()
    @require_permissions(manage_guild=True)
    @app_commands.describe(prefix=f"1 to {MAX_PREFIX} characters, or '{RESET_WORD}' for the global prefix")
    async def setprefix(self, ctx: commands.Context[ZoryxBot], prefix: str) -> None:
        """Set this server's command prefix (`default` goes back to the global one)."""
        assert ctx.guild is not None
        if prefix.lower() == RESET_WORD:
            await self.bot.guild_configs.set_prefix(ctx.guild.id, None)
            shown = self.bot.settings["prefix"]
            await ctx.send(
                embed=success_embed("Prefix reset", f"This server uses the global prefix `{shown}`.")
            )
            return
        if problem := prefix_problem(prefix):
            await ctx.send(embed=error_embed("Prefix not changed", problem))
            return
        await self.bot.guild_configs.set_prefix(ctx.guild.id, prefix)
        await ctx.send(
            embed=success_embed(
                "Prefix changed", f"Commands now start with `{prefix}` here, e.g. `{prefix}help`."
            )
        )

    @hybrid_command(name="mentionprefix")
    @commands.guild_only()
    @require_permissions(manage_guild=True)
    async def mentionprefix(
        self, ctx: commands.Context[ZoryxBot], action: Literal["enable", "disable", "status"] = "status"
    ) -> None:
        """Turn mentioning the bot as a prefix on or off in this server, or show whether it is on."""
        assert ctx.guild is not None
        configs = self.bot.guild_configs
        if action == "status":
            config = await configs.get(ctx.guild.id)
            on = (
                self.bot.settings["mention_prefix"]
                if config.mention_prefix is None
                else config.mention_prefix
            )
            where = "the global default" if config.mention_prefix is None else "this server's choice"
            await ctx.send(embed=info_embed("Mention prefix", f"{'On' if on else 'Off'} ({where})."))
            return
        await configs.set_mention_prefix(ctx.guild.id, action == "enable")
        await ctx.send(
            embed=success_embed(
                "Mention prefix", f"Mentioning the bot as a prefix is now {action}d in this server."
            )
        )

    @hybrid_command(name="serversettings")
    @commands.guild_only()
    @require_permissions(manage_guild=True)
    async def serversettings(self, ctx: commands.Context[ZoryxBot]) -> None:
        """This server's prefix, mention prefix and command grants."""
        assert ctx.guild is not None
        config = await self.bot.guild_configs.get(ctx.guild.id)
        global_prefix = self.bot.settings["prefix"]
        mention = (
            self.bot.settings["mention_prefix"] if config.mention_prefix is None else config.mention_prefix
        )
        embed = info_embed(f"Settings of {ctx.guild.name}")
        embed.add_field(
            name="Prefix",
            value=f"`{config.prefix}` (server)" if config.prefix else f"`{global_prefix}` (global default)",
        )
        embed.add_field(name="Mention prefix", value="on" if mention else "off")
        embed.add_field(name="Shard", value=str(ctx.guild.shard_id))
        embed.add_field(
            name="Command grants",
            value=_grant_lines(ctx.guild, config.grants, self.bot.permissions),
            inline=False,
        )
        await ctx.send(embed=embed)

    @hybrid_command(name="config")
    @commands.guild_only()
    @guild_owner_only()
    @app_commands.describe(
        command="the command to restrict or open", role="a role to grant, or 'none' to remove the grants"
    )
    async def config(
        self, ctx: commands.Context[ZoryxBot], command: str | None = None, role: str | None = None
    ) -> None:
        """Grant a role a command in this server (`config <command> <role>`), remove the grants
        (`config <command> none`) or list them (`config`)."""
        guild = ctx.guild
        assert guild is not None
        configs = self.bot.guild_configs
        if command is None:
            config = await configs.get(guild.id)
            await ctx.send(
                embed=info_embed("Command grants", _grant_lines(guild, config.grants, self.bot.permissions))
            )
            return
        permissions = self.bot.permissions
        found: Any = permissions.find_command(command, guild)
        if found is None:
            await ctx.send(embed=error_embed("Unknown command", f"There is no command named `{command}`."))
            return
        name = root_name(found)
        if role is not None and role.lower() == "none":  # also clears grants an older version let in
            await configs.clear_grants(guild.id, name)
            await ctx.send(
                embed=success_embed("Grants removed", f"`{name}` follows its default rules again.")
            )
            return
        owner_only = permissions.owner_only_reason(found)
        if owner_only is not None:
            await ctx.send(embed=error_embed("Not configurable", f"{owner_only}; no role can be granted it."))
            return
        if role is None:
            config = await configs.get(guild.id)
            await ctx.send(
                embed=info_embed(
                    f"Grants of {name}", _grant_lines(guild, {name: config.grants.get(name, ())})
                )
            )
            return
        try:
            target = await commands.RoleConverter().convert(ctx, role)
        except commands.RoleNotFound:
            await ctx.send(
                embed=error_embed("Unknown role", f"No role `{role}` here; give a mention, an id or a name.")
            )
            return
        await configs.grant(guild.id, name, target.id)
        text = (
            f"Members with {target.mention} may use `{name}` in this server; others follow its "
            "default rules only while no role is granted, so now only granted roles (and owners) may."
        )
        kept = _owner_only_below(permissions, permissions.find_command(name, guild) or found)
        if kept:
            text += "\nStill for the bot's owners only: " + ", ".join(f"`{n}`" for n in kept) + "."
        await ctx.send(embed=success_embed("Role granted", text))

    @config.autocomplete("command")
    async def _config_command_choices(
        self, interaction: discord.Interaction[ZoryxBot], current: str
    ) -> list[app_commands.Choice[str]]:
        names = sorted({c.name for c in self.bot.commands} | {c.name for c in self.bot.tree.get_commands()})
        wanted = current.lower()
        permissions = self.bot.permissions
        return [
            app_commands.Choice(name=n, value=n)
            for n in names
            if wanted in n and not permissions.is_owner_only(permissions.find_command(n) or n)
        ][:25]

    @config.autocomplete("role")
    async def _config_role_choices(
        self, interaction: discord.Interaction[ZoryxBot], current: str
    ) -> list[app_commands.Choice[str]]:
        guild = interaction.guild
        roles = [] if guild is None else [r for r in guild.roles if not r.is_default()]
        wanted = current.lower()
        choices = [app_commands.Choice(name="none (remove grants)", value="none")]
        choices += [
            app_commands.Choice(name=r.name, value=str(r.id)) for r in roles if wanted in r.name.lower()
        ]
        return choices[:25]


def _owner_only_below(permissions: Permissions, command: Any) -> list[str]:
    """The qualified names of the owner-only commands under ``command`` (a grant leaves them shut)."""
    walk = getattr(command, "walk_commands", None)
    if walk is None:
        return []
    return sorted({c.qualified_name for c in walk() if permissions.is_owner_only(c)})


def _grant_lines(
    guild: discord.Guild, grants: dict[str, tuple[int, ...]], permissions: Permissions | None = None
) -> str:
    """One line per granted command; with ``permissions``, grants that open nothing (an owner-only
    command, granted before ``config`` refused it) say so."""
    lines = []
    for name, role_ids in sorted(grants.items()):
        if not role_ids:
            continue
        roles = ", ".join(
            role.mention if (role := guild.get_role(rid)) else f"deleted role {rid}" for rid in role_ids
        )
        line = f"`{name}`: {roles}"
        if permissions is not None and permissions.is_owner_only(
            permissions.find_command(name, guild) or name
        ):
            line += f" (no effect: bot owners only; `config {name} none` removes it)"
        lines.append(line)
    return "\n".join(lines) or "No grants: every command follows its default rules."


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(GuildAdminCog(bot))


@hookimpl
async def zoryx_export_guild_data(bot: ZoryxBot, guild_id: int) -> dict[str, Any]:
    """The server's prefix, mention prefix and command grants, for backups."""
    return await bot.guild_configs.export(guild_id)


@hookimpl
async def zoryx_import_guild_data(bot: ZoryxBot, guild_id: int, data: Any, id_map: dict[int, int]) -> str:
    """Put back what :func:`zoryx_export_guild_data` gave, with grants moved to the new role ids."""
    if not isinstance(data, dict):
        raise ValueError(f"server settings must be an object, got {type(data).__name__}")
    prefix = data.get("prefix")
    if prefix is not None:
        problem = prefix_problem(prefix) if isinstance(prefix, str) else "it is not text"
        if problem:
            raise ValueError(f"prefix {prefix!r} cannot be restored: {problem}")
    mention = data.get("mention_prefix")
    if mention is not None and not isinstance(mention, bool):
        raise ValueError(f"mention_prefix must be true, false or null, got {mention!r}")
    raw_grants = data.get("grants") or {}
    if not isinstance(raw_grants, dict):
        raise ValueError("grants must map command names to lists of role ids")
    grants: dict[str, list[int]] = {}
    for command, roles in raw_grants.items():
        if not isinstance(roles, list) or not all(isinstance(r, int) for r in roles):
            raise ValueError(f"grants for {command!r} must be a list of role ids")
        grants[str(command)] = [id_map.get(int(r), int(r)) for r in roles]
    await bot.guild_configs.replace(guild_id, prefix=prefix, mention_prefix=mention, grants=grants)
    granted = sum(len(r) for r in grants.values())
    mention_text = "default" if mention is None else ("on" if mention else "off")
    return f"prefix {prefix or 'default'}, mention prefix {mention_text}, {plural(granted, 'grant')}"
