"""120 hybrid commands from four plugins next to the core's: the sync succeeds with exactly the safe
limit, the rest answer by prefix with their checks, ``slashlimit`` and the help show the split,
and unloading a plugin gives its slots back."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from slash_limiter_helpers.extensions import command_names, hybrid_extension, write
from zoryx_slash_limiter import LIMIT_MARKER, SlashUsage, slash_limiter

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.testing import Channel, DiscordEmulator, Message, P, User

BotFactory = Callable[..., Awaitable[ZoryxBot]]
PLUGINS = ["alpha", "bravo", "charlie", "delta"]


@dataclass
class World:
    emu: DiscordEmulator
    bot: ZoryxBot
    channel: Channel
    boss: User
    member: User
    manager: User


@pytest.fixture
async def world(discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path) -> World:
    emu = discord_emulator
    boss, member, manager = emu.create_user("boss"), emu.create_user("member"), emu.create_user("manager")
    guild = emu.create_guild("Crowded", members=[boss, member])
    managers = emu.create_role(guild, "Managers", permissions=P.MANAGE_GUILD)
    emu.add_member(guild, manager, roles=[managers])
    folder = tmp_path / "extensions"
    write(folder, "alpha", hybrid_extension("alpha", 30, user_menu=True))
    write(folder, "bravo", hybrid_extension("bravo", 30))
    write(folder, "charlie", hybrid_extension("charlie", 30))
    write(folder, "delta", hybrid_extension("delta", 30, checked=True, plain=2))
    bot = await zoryx_bot(
        plugins=["zoryx-slash-limiter", *PLUGINS],
        extensions_dir=folder,
        owner_id=boss.id,
        config={"cooldowns.default_rate": 0},
    )
    for name in ["zoryx-slash-limiter", *PLUGINS]:
        assert bot.plugins.outcomes[name].status is PluginStatus.LOADED, bot.plugins.outcomes[name].reason
    return World(emu, bot, emu.channel_named(guild, "general"), boss, member, manager)


def synced(emu: DiscordEmulator, kind: int = 1) -> set[str]:
    return {c.name for c in emu.state.global_commands.values() if c.type == kind}


def shares(usage: SlashUsage) -> dict[str | None, tuple[int, int, int]]:
    return {p.plugin: (p.slash, p.prefix_only, p.not_registered) for p in usage.plugins}


def text_of(message: Message | None) -> str:
    assert message is not None
    parts: list[str] = []
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for field in embed.get("fields", []):
            parts += [field["name"], field["value"]]
    return "\n".join(parts)


async def test_the_sync_holds_the_safe_limit_and_the_rest_answer_by_prefix_with_their_checks(
    world: World,
) -> None:
    emu, bot, channel = world.emu, world.bot, world.channel
    await bot.tree.sync()  # the emulator refuses more than 100, as Discord does

    names = synced(emu)
    assert len(names) == 95
    assert synced(emu, kind=2) == {"Inspect alpha"}
    assert set(command_names("alpha", 30)) | set(command_names("bravo", 30)) <= names
    assert {"help", "slashlimit"} <= names
    assert not names & set(command_names("delta", 30)) and "deltaplain0" not in names

    usage = slash_limiter(bot).usage()
    assert usage.global_commands == 95 and usage.state.value == "at safe limit"
    split = shares(usage)
    assert split["alpha"] == (30, 0, 0) and split["bravo"] == (30, 0, 0)
    assert split["delta"] == (0, 30, 2)
    charlie_slash, charlie_prefix, _ = split["charlie"]
    assert charlie_slash + charlie_prefix == 30 and 0 < charlie_slash < 30
    assert sum(slash for slash, _, _ in split.values()) == 95
    # first come, first served: charlie keeps its first commands, loses its last
    kept = command_names("charlie", 30)[:charlie_slash]
    assert set(kept) <= names and command_names("charlie", 30)[charlie_slash] not in names
    assert {c.name for c in usage.prefix_only} == (
        set(command_names("charlie", 30)[charlie_slash:]) | set(command_names("delta", 30))
    )
    assert [(c.name, c.plugin, c.status) for c in usage.not_registered] == [
        ("deltaplain0", "delta", "not registered (slash limit)"),
        ("deltaplain1", "delta", "not registered (slash limit)"),
    ]

    # prefix-only commands run, by prefix, with every check they had
    assert (await emu.converse(channel, world.member, "!delta05")).content == "delta05 ran"
    assert (await emu.converse(channel, world.member, "!charlie29")).content == "charlie29 ran"
    refused = await emu.converse(channel, world.member, "!delta00")
    assert "owners only" in refused.embeds[0]["description"]
    assert (await emu.converse(channel, world.boss, "!delta00")).content == "delta00 ran"
    refused = await emu.converse(channel, world.member, "!delta01")
    assert "Manage Server" in refused.embeds[0]["description"]
    assert (await emu.converse(channel, world.manager, "!delta01")).content == "delta01 ran"
    refused = await emu.converse(channel, world.member, "!delta02")
    assert "cannot use this command" in refused.embeds[0]["description"]
    assert (await emu.converse(channel, world.boss, "!delta02")).content == "delta02 ran"

    # slash commands within the limit answer by slash; the others are not there
    assert (await emu.run_slash("alpha03", channel=channel, user=world.member)).content == "alpha03 ran"
    with pytest.raises(LookupError):
        await emu.run_slash("delta05", channel=channel, user=world.member)


async def test_slashlimit_and_help_show_the_split(world: World) -> None:
    emu, bot, channel = world.emu, world.bot, world.channel
    await bot.tree.sync()
    usage = slash_limiter(bot).usage()
    charlie_prefix = shares(usage)["charlie"][1]

    reply = await emu.converse(channel, world.member, "!slashlimit")
    shown = text_of(reply)
    assert "**95/100** global slash commands" in shown and "▰" in shown
    assert "🛑 at safe limit" in shown
    assert "warning 90 • safe limit 95 • Discord's limit 100" in shown
    assert "user 1/5 • message 0/5" in shown
    assert "`alpha`: 30 slash • 0 prefix-only" in shown
    assert f"`charlie`: {30 - charlie_prefix} slash • {charlie_prefix} prefix-only" in shown
    assert "`delta`: 0 slash • 30 prefix-only • 2 not registered" in shown
    assert f"🔹 Prefix-only because of the slash limit ({charlie_prefix + 30})" in shown
    assert "`/deltaplain0`: delta" in shown

    # the long list has pages of its own, 20 commands a page
    count = 1 + math.ceil((charlie_prefix + 30) / 20)
    listed = ""
    for number in range(2, count + 1):
        page = await emu.click(reply, user=world.member, label="Next")
        assert page.embeds[0]["footer"]["text"].endswith(f"Page {number}/{count}")
        listed += text_of(page.message)
    assert all(f"`!{name}`: delta" in listed for name in command_names("delta", 30))
    assert all(f"`!{name}`: charlie" in listed for name in command_names("charlie", 30)[-charlie_prefix:])

    # by slash: the same figures
    result = await emu.run_slash("slashlimit", channel=channel, user=world.manager)
    assert "**95/100** global slash commands" in (result.embeds[0].get("description") or "")

    # the 10 s cooldown
    again = await emu.converse(channel, world.member, "!slashlimit")
    assert again.embeds[0]["title"].endswith("Slow down") and "try again in" in again.embeds[0]["description"]

    # the help marks the commands the limit made prefix-only
    help_demoted = await emu.converse(channel, world.boss, "!help delta03")
    assert {"name": "Type", "value": f"`{LIMIT_MARKER}`", "inline": True} in help_demoted.embeds[0]["fields"]
    help_slash = await emu.converse(channel, world.boss, "!help alpha03")
    assert {"name": "Type", "value": "`hybrid`", "inline": True} in help_slash.embeds[0]["fields"]


async def test_unloading_a_plugin_promotes_the_others_and_a_resync_has_them(world: World) -> None:
    emu, bot, channel = world.emu, world.bot, world.channel
    limiter = slash_limiter(bot)
    before = shares(limiter.usage())
    charlie_prefix = before["charlie"][1]

    await bot.plugins.unload("bravo")
    usage = limiter.usage()
    assert usage.global_commands == 95
    promoted_delta = 30 - charlie_prefix
    after = shares(usage)
    assert "bravo" not in after
    assert after["charlie"] == (30, 0, 0)
    assert after["delta"] == (promoted_delta, 30 - promoted_delta, 2)  # plain commands come last

    await bot.tree.sync()
    names = synced(emu)
    assert len(names) == 95
    assert set(command_names("charlie", 30)) <= names
    assert set(command_names("delta", 30)[:promoted_delta]) <= names
    assert not names & set(command_names("bravo", 30))

    # a promoted command is the same command: by slash it keeps its owner-only check
    refused = await emu.run_slash("delta00", channel=channel, user=world.member)
    assert refused.ephemeral and "owners only" in refused.content + str(refused.embeds)
    assert (await emu.run_slash("delta00", channel=channel, user=world.boss)).content == "delta00 ran"
    assert (await emu.run_slash("charlie29", channel=channel, user=world.member)).content == "charlie29 ran"

    # its own unload still removes it (it was recorded for delta), and delta's records go too
    await bot.plugins.unload("delta")
    assert bot.tree.get_command("delta00") is None and bot.get_command("delta00") is None
    usage = limiter.usage()
    assert usage.global_commands == 95 - promoted_delta
    assert "delta" not in shares(usage)
    assert usage.prefix_only == () and usage.not_registered == ()
    await bot.tree.sync()
    assert not synced(emu) & set(command_names("delta", 30))


async def test_reloading_the_limiter_keeps_the_same_split(world: World) -> None:
    bot = world.bot
    before = shares(slash_limiter(bot).usage())
    outcome = await bot.plugins.reload("zoryx-slash-limiter")
    assert outcome.status is PluginStatus.LOADED
    usage = slash_limiter(bot).usage()
    assert usage.global_commands == 95
    assert shares(usage) == before  # the prefix-only commands are found again, slashlimit kept its slot
    assert len(usage.prefix_only) == before["charlie"][1] + 30 and len(usage.not_registered) == 2
    assert (await world.emu.converse(world.channel, world.member, "!charlie29")).content == "charlie29 ran"
