"""A requirement on a group covers everything under it, on every path, end to end.

The commands come from an extension written as a community cog would be: a prefix group with
``invoke_without_command=True`` marked owner-only over plain subcommands (one nested two levels
down), a hybrid group needing Manage Server, an ``app_commands.Group`` subclass marked owner-only
(with a nested group), a ``GroupCog`` marked owner-only on the class, and a view whose button runs
a subcommand. Each is tried by prefix, mention and slash as the bot owner, the server's owner, a
member whose role holds a ``config`` grant, and a plain member.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.error_handler import REFUSAL_TITLES
from zoryx_core.testing import Channel, DiscordEmulator, Guild, Role, User

BotFactory = Callable[..., Awaitable[ZoryxBot]]

VAULT_EXTENSION = '''
"""Vault: secrets kept by the bot's owners (a community cog)."""

import discord
from discord import app_commands
from discord.ext import commands

from zoryx_core import owner_only, require_permissions
from zoryx_core.ui import ZoryxView


class RunPanel(ZoryxView):
    """A button that runs the command the panel was opened for."""

    @discord.ui.button(label="Run")
    async def run(self, interaction, button):
        await interaction.response.send_message(f"{self.command_name}: done via panel")


class Secrets(commands.Cog):
    @commands.group(invoke_without_command=True)
    @OWNER_MARK
    async def secret(self, ctx):
        await ctx.send("secret: done")

    @secret.command()
    async def wipe(self, ctx):
        await ctx.send("secret wipe: done")

    @secret.group(invoke_without_command=True)
    async def deep(self, ctx):
        await ctx.send("secret deep: done")

    @deep.command()
    async def purge(self, ctx):
        await ctx.send("secret deep purge: done")

    @commands.hybrid_group(fallback="show")
    @require_permissions(manage_guild=True)
    async def tuning(self, ctx):
        await ctx.send("tuning show: done")

    @tuning.command()
    async def reset(self, ctx):
        await ctx.send("tuning reset: done")

    @tuning.group(fallback="list")
    async def zones(self, ctx):
        await ctx.send("tuning zones list: done")

    @zones.command()
    async def clear(self, ctx):
        await ctx.send("tuning zones clear: done")

    @commands.group(invoke_without_command=True)
    async def tools(self, ctx):
        await ctx.send("tools: done")

    @tools.command()
    @owner_only()
    async def nuke(self, ctx):
        await ctx.send("tools nuke: done")

    @commands.command()
    async def panel(self, ctx, *, target: str):
        await RunPanel(ctx.author, command_name=target).send(ctx, f"panel for {target}")


@owner_only()
class Vault(app_commands.Group, name="vault", description="The vault"):
    sealed = app_commands.Group(name="sealed", description="Sealed drawers")

    @app_commands.command(description="Wipe the vault")
    async def wipe(self, interaction):
        await interaction.response.send_message("vault wipe: done")

    @sealed.command(description="Burn a sealed drawer")
    async def burn(self, interaction):
        await interaction.response.send_message("vault sealed burn: done")


@owner_only()
class Keys(commands.GroupCog, group_name="keys", group_description="Key rotation"):
    @app_commands.command(description="Rotate the keys")
    async def rotate(self, interaction):
        await interaction.response.send_message("keys rotate: done")


@owner_only()
class Upkeep(commands.Cog):
    @commands.command()
    async def rebuild(self, ctx):
        await ctx.send("rebuild: done")


async def setup(bot):
    await bot.add_cog(Secrets())
    await bot.add_cog(Upkeep())
    await bot.add_cog(Keys())
    bot.tree.add_command(Vault())
'''

ACTORS = ("bot_owner", "guild_owner", "granted", "member")
OWNERS_ONLY = {"bot_owner"}
MANAGERS = {"bot_owner", "guild_owner", "granted"}
STALE_GRANTS = ("secret", "vault", "keys", "rebuild")  # as an older version let `config` grant them

# command -> (paths it exists on, who may run it)
ROWS: dict[str, tuple[tuple[str, ...], set[str]]] = {
    "secret": (("prefix", "mention"), OWNERS_ONLY),
    "secret wipe": (("prefix", "mention"), OWNERS_ONLY),
    "secret deep purge": (("prefix", "mention"), OWNERS_ONLY),
    "tuning reset": (("prefix", "mention", "slash"), MANAGERS),
    "tuning zones clear": (("prefix", "mention", "slash"), MANAGERS),
    "vault wipe": (("slash",), OWNERS_ONLY),
    "vault sealed burn": (("slash",), OWNERS_ONLY),
    "keys rotate": (("slash",), OWNERS_ONLY),
    "rebuild": (("prefix", "mention"), OWNERS_ONLY),
}


def write_extension(folder: Path, *, owner_mark: str = "@owner_only()") -> None:
    folder.mkdir(exist_ok=True)
    source = VAULT_EXTENSION.replace("@OWNER_MARK", owner_mark)
    (folder / "vault.py").write_text(source, encoding="utf-8")


@dataclass
class Scene:
    bot: ZoryxBot
    guild: Guild
    channel: Channel
    helpers: Role
    users: dict[str, User]


@pytest.fixture
async def scene(discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path) -> Scene:
    emu = discord_emulator
    boss, owner, helper, plain = (emu.create_user(n) for n in ("boss", "gowner", "helper", "plain"))
    guild = emu.create_guild("Vaults", owner=owner, members=[boss, helper, plain])
    helpers = emu.create_role(guild, "Helpers")
    emu.set_member_roles(guild, helper, [helpers])
    write_extension(tmp_path / "extensions")
    bot = await zoryx_bot(
        owner_id=boss.id,
        extensions_dir=tmp_path / "extensions",
        plugins=["vault"],
        config={"cooldowns.default_rate": 0, "errors.delete_after": 0, "status.rotation": []},
    )
    await bot.tree.sync()
    channel = emu.channel_named(guild, "general")
    granted = await emu.converse(channel, owner, "!config tuning Helpers")
    assert granted.embeds[0]["title"].endswith("Role granted"), granted.embeds
    users = {"bot_owner": boss, "guild_owner": owner, "granted": helper, "member": plain}
    return Scene(bot, guild, channel, helpers, users)


def _outcome(command: str, content: str, embeds: list[dict[str, Any]]) -> str:
    if content == f"{command}: done":
        return "ran"
    if embeds and any(t in (embeds[0].get("title") or "") for t in REFUSAL_TITLES):
        return "refused"
    return f"answered {content!r} {embeds}"


async def _run(emu: DiscordEmulator, scene: Scene, command: str, path: str, user: User) -> str:
    if path == "slash":
        result = await emu.run_slash(command, channel=scene.channel, user=user, timeout=10)
        if result.content == f"{command}: done":
            return "ran"
        return _outcome(command, result.content, result.embeds) if result.ephemeral else "not ephemeral"
    lead = "!" if path == "prefix" else f"<@{emu.bot_user.id}> "
    reply = await emu.converse(scene.channel, user, lead + command, timeout=10)
    return _outcome(command, reply.content, reply.embeds)


async def test_a_requirement_on_a_group_covers_its_subcommands_on_every_path(
    discord_emulator: DiscordEmulator, scene: Scene
) -> None:
    mismatches = []
    for command, (paths, allowed) in ROWS.items():
        for path in paths:
            for actor in ACTORS:
                want = "ran" if actor in allowed else "refused"
                got = await _run(discord_emulator, scene, command, path, scene.users[actor])
                if got != want:
                    mismatches.append(f"{path} {command} by {actor}: {got}, expected {want}")
    # grants on owner-only roots (stored before `config` refused them) open nothing
    for root in STALE_GRANTS:
        await scene.bot.guild_configs.grant(scene.guild.id, root, scene.helpers.id)
    for command, (paths, allowed) in ROWS.items():
        for path in paths:
            if allowed is OWNERS_ONLY:
                got = await _run(discord_emulator, scene, command, path, scene.users["granted"])
                if got != "refused":
                    mismatches.append(f"{path} {command} by granted (stale grant): {got}")
    assert not mismatches, "\n".join(mismatches)


async def test_refusals_name_the_subcommand(discord_emulator: DiscordEmulator, scene: Scene) -> None:
    emu, member = discord_emulator, scene.users["member"]
    reply = await emu.converse(scene.channel, member, "!secret deep purge")
    assert reply.embeds[0]["description"] == "`secret deep purge` is for the bot's owners only."
    result = await emu.run_slash("vault sealed burn", channel=scene.channel, user=member)
    assert result.embeds[0]["description"] == "`vault sealed burn` is for the bot's owners only."
    result = await emu.run_slash("tuning reset", channel=scene.channel, user=member)
    assert "`tuning reset` is limited to @Helpers" in result.embeds[0]["description"]


async def test_config_refuses_what_lies_under_an_owner_only_group(
    discord_emulator: DiscordEmulator, scene: Scene
) -> None:
    emu, owner, channel = discord_emulator, scene.users["guild_owner"], scene.channel
    configs = scene.bot.guild_configs
    await configs.clear_grants(scene.guild.id, "tuning")
    refusals = {
        "secret wipe": "`secret wipe` is for the bot's owners only, as the `secret` group is",
        "secret deep purge": "`secret deep purge` is for the bot's owners only, as the `secret` group is",
        "vault sealed burn": "`vault sealed burn` is for the bot's owners only, as the `vault` group is",
        "keys rotate": "`keys rotate` is for the bot's owners only, as the `Keys` cog is",
        "keys": "`keys` is for the bot's owners only, as the `Keys` cog is",
        "rebuild": "`rebuild` is for the bot's owners only, as the `Upkeep` cog is",
        "vault": "`vault` is for the bot's owners only",
        "secret": "`secret` is for the bot's owners only",
        "tools nuke": "`tools nuke` is for the bot's owners only",
    }
    for command, text in refusals.items():
        reply = await emu.converse(channel, owner, f'!config "{command}" Helpers')
        assert reply.embeds[0]["title"].endswith("Not configurable"), (command, reply.embeds)
        assert reply.embeds[0]["description"] == f"{text}; no role can be granted it."
    slashed = await emu.run_slash(
        "config", channel=channel, user=owner, options={"command": "vault wipe", "role": "Helpers"}
    )
    assert slashed.embeds[0]["title"].endswith("Not configurable"), slashed.embeds
    assert "the `vault` group" in slashed.embeds[0]["description"]
    assert (await configs.get(scene.guild.id)).grants == {}  # nothing was granted
    for typed in ("tuning", "secret", "vault", "keys", "rebuild"):  # config offers what it accepts
        offered = await emu.autocomplete(
            "config", focused="command", value=typed, channel=channel, user=owner
        )
        names = [choice["value"] for choice in offered]
        assert names == (["tuning"] if typed == "tuning" else []), (typed, names)
    # a group that is not owner-only can be granted; its owner-only subcommands stay shut
    reply = await emu.converse(channel, owner, "!config tools Helpers")
    assert reply.embeds[0]["title"].endswith("Role granted"), reply.embeds
    assert "Still for the bot's owners only: `tools nuke`." in reply.embeds[0]["description"]
    assert (await configs.get(scene.guild.id)).grants == {"tools": (scene.helpers.id,)}
    refused = await emu.converse(channel, scene.users["granted"], "!tools nuke")
    assert refused.embeds[0]["description"] == "`tools nuke` is for the bot's owners only."
    # a grant an older version let in can still be removed
    await configs.grant(scene.guild.id, "secret", scene.helpers.id)
    listed = (await emu.converse(channel, owner, "!config")).embeds[0]["description"]
    assert "`secret`: <@&" in listed and "no effect: bot owners only; `config secret none`" in listed
    assert "`tools`: <@&" in listed and listed.count("no effect") == 1, listed
    reply = await emu.converse(channel, owner, '!config "secret wipe" none')
    assert reply.embeds[0]["title"].endswith("Grants removed"), reply.embeds
    assert "secret" not in (await configs.get(scene.guild.id)).grants


async def test_a_view_button_that_runs_a_subcommand_asks_for_the_group(
    discord_emulator: DiscordEmulator, scene: Scene
) -> None:
    emu, channel = discord_emulator, scene.channel
    for target in ("secret wipe", "vault sealed burn", "keys rotate"):
        for actor in ACTORS:
            user = scene.users[actor]
            panel = await emu.converse(channel, user, f"!panel {target}")
            assert panel.content == f"panel for {target}", panel
            clicked = await emu.click(panel, user=user, label="Run")
            if actor == "bot_owner":
                assert clicked.content == f"{target}: done via panel", (target, actor)
            else:
                assert clicked.ephemeral, (target, actor, clicked.content)
                assert f"`{target}` is for the bot's owners only." in clicked.content
    # a panel for a command that is gone refuses rather than runs unchecked
    panel = await emu.converse(channel, scene.users["member"], "!panel vanished command")
    clicked = await emu.click(panel, user=scene.users["member"], label="Run")
    assert clicked.ephemeral and "`vanished command` is no longer available." in clicked.content


async def test_help_lists_no_subcommand_the_user_cannot_run(
    discord_emulator: DiscordEmulator, scene: Scene
) -> None:
    emu, channel = discord_emulator, scene.channel
    for name in ("vault wipe", "vault sealed burn", "keys rotate", "secret wipe"):
        hidden = await emu.converse(channel, scene.users["member"], f"!help {name}")
        assert "Unknown command" in (hidden.embeds[0].get("title") or ""), (name, hidden.embeds)
        shown = await emu.converse(channel, scene.users["bot_owner"], f"!help {name}")
        fields = {f["name"]: f["value"] for f in shown.embeds[0].get("fields", [])}
        assert "Only the bot's owners" in fields.get("Access", ""), (name, shown.embeds)


async def test_a_reload_works_the_inherited_rules_out_afresh(
    discord_emulator: DiscordEmulator, scene: Scene, tmp_path: Path
) -> None:
    emu, channel, member = discord_emulator, scene.channel, scene.users["member"]
    assert _outcome("secret wipe", *_parts(await emu.converse(channel, member, "!secret wipe"))) == "refused"
    write_extension(tmp_path / "extensions", owner_mark="@commands.guild_only()")  # the mark dropped
    await scene.bot.plugins.reload("vault")
    assert _outcome("secret wipe", *_parts(await emu.converse(channel, member, "!secret wipe"))) == "ran"
    write_extension(tmp_path / "extensions")
    await scene.bot.plugins.reload("vault")
    assert _outcome("secret wipe", *_parts(await emu.converse(channel, member, "!secret wipe"))) == "refused"


def _parts(message: Any) -> tuple[str, list[dict[str, Any]]]:
    return message.content, message.embeds
