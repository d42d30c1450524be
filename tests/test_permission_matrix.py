"""Every built-in command against every kind of user, typed and slashed, end to end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.error_handler import REFUSAL_TITLES
from zoryx_core.testing import Channel, DiscordEmulator, Message, P, User

BotFactory = Callable[..., Awaitable[ZoryxBot]]

# command -> (typed arguments, slash options) chosen so an allowed run changes nothing
COMMANDS: dict[str, tuple[str, dict[str, Any]]] = {
    "help": ("", {}),
    "stats": ("", {}),
    "extensions": ("", {}),
    "about": ("", {}),
    "shardinfo": ("", {}),
    "plugins": ("", {}),
    "plugininfo": ("core.info", {"name": "core.info"}),
    "mydata": ("", {}),
    "setprefix": ("!", {"prefix": "!"}),
    "mentionprefix": ("status", {"action": "status"}),
    "serversettings": ("", {}),
    "config": ("", {}),
    "load": ("no-such-plugin", {"name": "no-such-plugin"}),
    "unload": ("no-such-plugin", {"name": "no-such-plugin"}),
    "reload": ("no-such-plugin", {"name": "no-such-plugin"}),
    "sync": ("guild", {"scope": "guild"}),
    "cachestats": ("", {}),
    "dbstats": ("", {}),
    "integritycheck": ("", {}),
    "cleanup": ("", {}),
    "atomictest": ("", {}),
}
PUBLIC = {"help", "stats", "extensions", "about", "shardinfo", "plugins", "plugininfo", "mydata"}
MANAGERS = {"setprefix", "mentionprefix", "serversettings"}
GUILD_OWNER = {"config"}
OWNER_ONLY = {
    "load",
    "unload",
    "reload",
    "sync",
    "cachestats",
    "dbstats",
    "integritycheck",
    "cleanup",
    "atomictest",
}
GRANTED = MANAGERS | GUILD_OWNER  # granted to the Helpers role in the test guild
ACTORS = ("bot_owner", "guild_owner", "granted", "member", "dm")


def expected(command: str, actor: str) -> bool:
    if actor == "bot_owner" or command in PUBLIC:
        return True
    if command in OWNER_ONLY or actor in ("member", "dm"):
        return False
    if actor == "guild_owner":
        return True
    return command in GRANTED  # granted role


@dataclass
class Scene:
    bot: ZoryxBot
    guild_channel: Channel
    users: dict[str, User]
    dm: Channel


@pytest.fixture
async def scene(discord_emulator: DiscordEmulator, zoryx_bot: BotFactory) -> Scene:
    emu = discord_emulator
    boss, owner, helper, plain = (emu.create_user(n) for n in ("boss", "gowner", "helper", "plain"))
    guild = emu.create_guild("Matrix", owner=owner, members=[boss, helper, plain])
    helpers = emu.create_role(guild, "Helpers")
    emu.set_member_roles(guild, helper, [helpers])
    bot = await zoryx_bot(
        owner_id=boss.id,
        no_plugins=True,
        config={"cooldowns.default_rate": 0, "errors.delete_after": 0, "status.rotation": []},
    )
    await bot.tree.sync()
    channel = emu.channel_named(guild, "general")
    for name in sorted(GRANTED):
        reply = await emu.converse(channel, owner, f"!config {name} Helpers")
        assert "granted" in reply.embeds[0]["title"].lower(), reply.embeds
    refused = await emu.converse(channel, owner, "!config cachestats Helpers")
    assert "owners only" in refused.embeds[0]["description"]
    users = {"bot_owner": boss, "guild_owner": owner, "granted": helper, "member": plain, "dm": plain}
    dm = emu.state.dm_channel(emu.bot_user.id, plain.id)
    return Scene(bot, channel, users, dm)


def _refused(embeds: list[dict[str, Any]]) -> bool:
    return bool(embeds) and any(t in (embeds[0].get("title") or "") for t in REFUSAL_TITLES)


async def _typed(emu: DiscordEmulator, scene: Scene, command: str, actor: str) -> bool:
    channel = scene.dm if actor == "dm" else scene.guild_channel
    args = COMMANDS[command][0]
    reply: Message = await emu.converse(channel, scene.users[actor], f"!{command} {args}".strip(), timeout=10)
    return not _refused(reply.embeds)


async def _slashed(emu: DiscordEmulator, scene: Scene, command: str, actor: str) -> bool:
    channel = scene.dm if actor == "dm" else scene.guild_channel
    slash = "mydata info" if command == "mydata" else command  # a group: its fallback subcommand
    result = await emu.run_slash(
        slash, channel=channel, user=scene.users[actor], options=COMMANDS[command][1], timeout=10
    )
    if result.response_type == 5:  # deferred: only commands that were allowed to start defer
        await result.wait_for_followup(timeout=10)  # let it finish before the next command
        return True
    return not (result.ephemeral and _refused(result.embeds))


async def test_permission_matrix_typed_and_slashed(discord_emulator: DiscordEmulator, scene: Scene) -> None:
    mismatches = []
    for command in COMMANDS:
        for actor in ACTORS:
            want = expected(command, actor)
            for path, run in (("typed", _typed), ("slash", _slashed)):
                got = await run(discord_emulator, scene, command, actor)
                if got != want:
                    mismatches.append(f"{path} {command} by {actor}: {'allowed' if got else 'refused'}")
    assert not mismatches, "\n".join(mismatches)


async def test_grants_stay_in_their_guild(discord_emulator: DiscordEmulator, scene: Scene) -> None:
    emu = discord_emulator
    other_owner = emu.create_user("other-owner")
    other = emu.create_guild("Elsewhere", owner=other_owner, members=[scene.users["granted"]])
    emu.create_role(other, "Helpers")  # same name, different guild: no grant here
    channel = emu.channel_named(other, "general")
    reply = await emu.converse(channel, scene.users["granted"], "!serversettings")
    assert _refused(reply.embeds), reply.embeds
    assert "Manage Server" in reply.embeds[0]["description"]


async def test_discord_permission_tier_and_grant_precedence(
    discord_emulator: DiscordEmulator, scene: Scene
) -> None:
    emu = discord_emulator
    guild = emu.state.guilds[scene.guild_channel.guild_id]  # type: ignore[index]
    managers = emu.create_role(guild, "Managers", permissions=P.MANAGE_GUILD)
    mod = emu.create_user("mod")
    emu.add_member(guild, mod, roles=[managers])
    owner = scene.users["guild_owner"]
    channel = scene.guild_channel
    # stats is public until a role is granted it; then only that role (and owners) may run it
    assert not _refused((await emu.converse(channel, mod, "!stats")).embeds)
    await emu.converse(channel, owner, "!config stats Helpers")
    reply = await emu.converse(channel, mod, "!stats")
    assert _refused(reply.embeds) and "@Helpers" in reply.embeds[0]["description"]
    assert not _refused((await emu.converse(channel, scene.users["granted"], "!stats")).embeds)
    await emu.converse(channel, owner, "!config stats none")
    assert not _refused((await emu.converse(channel, mod, "!stats")).embeds)
    # Manage Server opens the manager commands when no grant names them
    await emu.converse(channel, owner, "!config serversettings none")
    assert not _refused((await emu.converse(channel, mod, "!serversettings")).embeds)
    assert _refused((await emu.converse(channel, scene.users["member"], "!serversettings")).embeds)
