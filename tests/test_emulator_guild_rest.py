"""End-to-end: an unmodified discord.py bot manages a guild through its public API against the emulator.

Every test starts a real ``commands.Bot`` on the ``discord_emulator`` fixture (real sockets, real
REST client, real gateway) and checks two sides of each action: what discord.py sees (its cache,
updated by the gateway events the emulator emits, and the events it dispatches) and what the
emulator stored in ``discord_emulator.state``.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import json
import struct
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from zoryx_core.testing import DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, ChannelType, Message, P

EVENT_TIMEOUT = 3.0


def _png(width: int = 1, height: int = 1) -> bytes:
    """A real, tiny RGBA PNG (discord.py sniffs the magic bytes of images it uploads)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png()


def make_bot(*, members: bool = False, message_content: bool = False, **options: Any) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = members
    intents.message_content = message_content
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05, **options)


def expect(bot: discord.Client, event: str, check: Any = None) -> Awaitable[Any]:
    """Registers a wait for ``event`` now (before the action that causes it) and returns the awaitable."""
    return bot.wait_for(event, check=check, timeout=EVENT_TIMEOUT)


async def eventually(condition: Callable[[], bool]) -> None:
    """Waits up to EVENT_TIMEOUT until ``condition()`` holds (caches fed by a burst of gateway events)."""
    for _ in range(int(EVENT_TIMEOUT / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    assert condition()


async def started(bot_runner: Any, **options: Any) -> commands.Bot:
    bot = make_bot(**options)
    await bot_runner(bot)
    return bot


# -- channels ----------------------------------------------------------------------------------------
async def test_create_channels_of_every_type(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Channels")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)

    created = expect(bot, "guild_channel_create", lambda c: c.name == "Projects")
    category = await guild.create_category("Projects")
    assert (await created).id == category.id

    created = expect(bot, "guild_channel_create", lambda c: c.name == "planning")
    text = await guild.create_text_channel(
        "planning", category=category, topic="Roadmap", slowmode_delay=30, nsfw=True
    )
    await created
    created = expect(bot, "guild_channel_create", lambda c: c.name == "Standup")
    voice = await guild.create_voice_channel("Standup", category=category, bitrate=48000, user_limit=7)
    await created
    created = expect(bot, "guild_channel_create", lambda c: c.name == "ideas")
    forum = await guild.create_forum("ideas", topic="Post your ideas")
    await created
    created = expect(bot, "guild_channel_create", lambda c: c.name == "Town Hall")
    stage = await guild.create_stage_channel("Town Hall", bitrate=64000, user_limit=50)
    await created

    # discord.py's cache, filled from CHANNEL_CREATE
    cached_text = guild.get_channel(text.id)
    assert isinstance(cached_text, discord.TextChannel)
    assert (cached_text.topic, cached_text.slowmode_delay, cached_text.nsfw) == ("Roadmap", 30, True)
    assert cached_text.category == category
    cached_voice = guild.get_channel(voice.id)
    assert isinstance(cached_voice, discord.VoiceChannel)
    assert (cached_voice.bitrate, cached_voice.user_limit, cached_voice.category) == (48000, 7, category)
    assert isinstance(guild.get_channel(forum.id), discord.ForumChannel)
    assert guild.get_channel(forum.id).topic == "Post your ideas"
    cached_stage = guild.get_channel(stage.id)
    assert isinstance(cached_stage, discord.StageChannel)
    assert cached_stage.user_limit == 50
    assert isinstance(guild.get_channel(category.id), discord.CategoryChannel)
    assert {c.id for c in category.channels} == {text.id, voice.id}

    # the emulator's state
    state = emu.state.channels
    assert state[category.id].type == ChannelType.GUILD_CATEGORY
    assert state[text.id].type == ChannelType.GUILD_TEXT
    assert state[text.id].parent_id == category.id
    assert state[text.id].option("topic") == "Roadmap"
    assert state[text.id].option("rate_limit_per_user") == 30
    assert state[text.id].option("nsfw") is True
    assert state[voice.id].type == ChannelType.GUILD_VOICE
    assert (state[voice.id].option("bitrate"), state[voice.id].option("user_limit")) == (48000, 7)
    assert state[forum.id].type == ChannelType.GUILD_FORUM
    assert state[stage.id].type == ChannelType.GUILD_STAGE_VOICE
    assert {text.id, voice.id, forum.id, stage.id, category.id} <= set(g.channel_ids)


async def test_channel_field_values_are_validated(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Validation")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    channels_before = list(g.channel_ids)

    with pytest.raises(discord.HTTPException) as slowmode:
        await guild.create_text_channel("too-slow", slowmode_delay=21601)
    assert (slowmode.value.status, slowmode.value.code) == (400, 50035)
    with pytest.raises(discord.HTTPException) as users:
        await guild.create_voice_channel("crowded", user_limit=100)
    assert (users.value.status, users.value.code) == (400, 50035)
    with pytest.raises(discord.HTTPException) as bitrate:
        await guild.create_voice_channel("hifi", bitrate=128000)  # above 96 kbps needs a boosted guild
    assert bitrate.value.code == 50035
    with pytest.raises(discord.HTTPException) as stage_bitrate:
        await guild.create_stage_channel("loud stage", bitrate=96000)  # stages stop at 64 kbps
    assert stage_bitrate.value.code == 50035
    assert g.channel_ids == channels_before

    general = guild.get_channel(emu.channel_named(g, "general").id)
    with pytest.raises(discord.HTTPException) as topic:
        await general.edit(name="renamed", topic="x" * 1025)
    assert topic.value.code == 50035
    stored = emu.channel_named(g, "general")  # nothing of the refused edit was applied
    assert stored.option("topic") is None


async def test_edit_and_delete_channel(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Edits", text_channels=("general", "old-name"))
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    channel = guild.get_channel(emu.channel_named(g, "old-name").id)

    updated = expect(bot, "guild_channel_update", lambda before, after: after.id == channel.id)
    edited = await channel.edit(name="new-name", topic="Fresh topic", slowmode_delay=5, nsfw=True)
    before, after = await updated
    assert before.name == "old-name"
    assert (after.name, after.topic, after.slowmode_delay, after.nsfw) == ("new-name", "Fresh topic", 5, True)
    assert edited.name == "new-name"
    assert guild.get_channel(channel.id).topic == "Fresh topic"
    stored = emu.state.channels[channel.id]
    assert (stored.name, stored.option("topic"), stored.option("rate_limit_per_user")) == (
        "new-name",
        "Fresh topic",
        5,
    )

    deleted = expect(bot, "guild_channel_delete", lambda c: c.id == channel.id)
    await channel.delete()
    await deleted
    assert guild.get_channel(channel.id) is None
    assert channel.id not in emu.state.channels
    assert channel.id not in g.channel_ids
    with pytest.raises(discord.NotFound) as gone:
        await bot.fetch_channel(channel.id)
    assert gone.value.code == 10003


async def test_deleting_a_category_orphans_its_children(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Orphans")
    cat = emu.create_channel(g, "Area", type=ChannelType.GUILD_CATEGORY)
    child = emu.create_channel(g, "inside", parent=cat)
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    assert guild.get_channel(child.id).category_id == cat.id

    orphaned = expect(bot, "guild_channel_update", lambda b, a: a.id == child.id)
    await guild.get_channel(cat.id).delete()
    _, after = await orphaned
    assert after.category is None
    assert emu.state.channels[child.id].parent_id is None


async def test_channel_created_in_a_category_starts_synced(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Synced")
    staff = emu.create_role(g, "staff")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    role = guild.get_role(staff.id)
    private = await guild.create_category(
        "Staff",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            role: discord.PermissionOverwrite(view_channel=True),
        },
    )

    created = expect(bot, "guild_channel_create", lambda c: c.name == "staff-chat")
    inherited = await guild.create_text_channel("staff-chat", category=private)
    cached = await created
    assert cached.permissions_synced
    assert cached.overwrites_for(guild.default_role).view_channel is False
    assert {(o.id, o.allow, o.deny) for o in emu.state.channels[inherited.id].overwrites} == {
        (g.id, 0, P.VIEW_CHANNEL),
        (staff.id, P.VIEW_CHANNEL, 0),
    }

    # explicit overwrites win over the category's
    own = await guild.create_text_channel(
        "open-chat",
        category=private,
        overwrites={guild.default_role: discord.PermissionOverwrite(view_channel=True)},
    )
    assert [(o.id, o.allow) for o in emu.state.channels[own.id].overwrites] == [(g.id, P.VIEW_CHANNEL)]


async def test_reorder_channel_positions(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Order", text_channels=("alpha", "beta", "gamma", "delta"))
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    gamma = guild.get_channel(emu.channel_named(g, "gamma").id)
    assert [c.name for c in guild.text_channels] == ["alpha", "beta", "gamma", "delta"]

    moved = expect(bot, "guild_channel_update", lambda b, a: a.id == gamma.id and a.position == 0)
    await gamma.edit(position=0)  # discord.py sends PATCH /guilds/{id}/channels for the whole bucket
    await moved
    # the other channels' CHANNEL_UPDATEs follow in the same burst
    await eventually(lambda: [c.name for c in guild.text_channels] == ["gamma", "alpha", "beta", "delta"])
    stored = sorted(emu.state.guild_channels(g), key=lambda c: c.position)
    assert [c.name for c in stored] == ["gamma", "alpha", "beta", "delta"]
    assert emu.requests_to("PATCH /guilds/{guild_id}/channels")

    # move() into a category at its end, keeping the permissions of the category in sync
    cat = await guild.create_category("Archive")
    role = await guild.create_role(name="archivist")
    await cat.set_permissions(role, view_channel=True, send_messages=False)
    beta = guild.get_channel(emu.channel_named(g, "beta").id)
    synced = expect(bot, "guild_channel_update", lambda b, a: a.id == beta.id and a.category_id == cat.id)
    await beta.move(end=True, category=cat, sync_permissions=True)
    _, after = await synced
    assert after.permissions_synced
    assert emu.state.channels[beta.id].parent_id == cat.id
    assert [(o.id, o.deny) for o in emu.state.channels[beta.id].overwrites] == [(role.id, P.SEND_MESSAGES)]


async def test_permission_overwrites_set_and_deleted(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Overwrites", members=[alice])
    muted = emu.create_role(g, "muted")
    bot = await started(bot_runner, members=True)
    guild = bot.get_guild(g.id)
    channel = guild.get_channel(emu.channel_named(g, "general").id)
    role = guild.get_role(muted.id)
    member = guild.get_member(alice.id)

    updated = expect(bot, "guild_channel_update", lambda b, a: a.id == channel.id and role in a.overwrites)
    await channel.set_permissions(role, send_messages=False, add_reactions=False)
    _, after = await updated
    overwrite = after.overwrites_for(role)
    assert (overwrite.send_messages, overwrite.add_reactions, overwrite.view_channel) == (False, False, None)
    [stored] = [o for o in emu.state.channels[channel.id].overwrites if o.id == muted.id]
    assert (stored.type, stored.allow, stored.deny) == (0, 0, P.SEND_MESSAGES | P.ADD_REACTIONS)

    updated = expect(bot, "guild_channel_update", lambda b, a: a.id == channel.id and member in a.overwrites)
    await channel.set_permissions(member, overwrite=discord.PermissionOverwrite(attach_files=True))
    await updated
    assert channel.overwrites_for(member).attach_files is True
    [stored] = [o for o in emu.state.channels[channel.id].overwrites if o.id == alice.id]
    assert (stored.type, stored.allow, stored.deny) == (1, P.ATTACH_FILES, 0)

    removed = expect(
        bot, "guild_channel_update", lambda b, a: a.id == channel.id and role not in a.overwrites
    )
    await channel.set_permissions(role, overwrite=None)
    await removed
    assert role not in channel.overwrites
    assert [o.id for o in emu.state.channels[channel.id].overwrites] == [alice.id]


async def test_bot_cannot_allow_a_permission_it_lacks_in_an_overwrite(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Escalation", bot_permissions=DEFAULT_BOT_PERMISSIONS & ~P.BAN_MEMBERS)
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    channel = guild.get_channel(emu.channel_named(g, "general").id)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.set_permissions(guild.default_role, ban_members=True)
    assert refused.value.code == 50013
    assert emu.state.channels[channel.id].overwrites == []


# -- roles -----------------------------------------------------------------------------------------
async def test_create_role_with_attributes(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Roles")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)

    created = expect(bot, "guild_role_create", lambda r: r.name == "Moderators")
    role = await guild.create_role(
        name="Moderators",
        colour=discord.Colour(0x3498DB),
        hoist=True,
        mentionable=True,
        permissions=discord.Permissions(kick_members=True, manage_messages=True),
    )
    cached = await created
    assert cached.id == role.id
    assert guild.get_role(role.id) is cached
    assert (cached.colour.value, cached.hoist, cached.mentionable) == (0x3498DB, True, True)
    assert cached.permissions == discord.Permissions(kick_members=True, manage_messages=True)
    assert cached.position == 1  # a new role goes right above @everyone
    assert guild.roles[-1] == guild.me.top_role

    stored = g.roles[role.id]
    assert (stored.name, stored.color, stored.hoist, stored.mentionable) == (
        "Moderators",
        0x3498DB,
        True,
        True,
    )
    assert stored.permissions == P.KICK_MEMBERS | P.MANAGE_MESSAGES
    assert stored.position == 1


async def test_edit_and_delete_role(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("RoleEdits", members=[alice])
    helper = emu.create_role(g, "helper")
    emu.set_member_roles(g, alice, [helper])
    bot = await started(bot_runner, members=True)
    guild = bot.get_guild(g.id)
    role = guild.get_role(helper.id)
    assert role in guild.get_member(alice.id).roles

    updated = expect(bot, "guild_role_update", lambda b, a: a.id == role.id)
    await role.edit(
        name="Helpers",
        colour=discord.Colour.green(),
        hoist=True,
        permissions=discord.Permissions(manage_nicknames=True),
    )
    before, after = await updated
    assert before.name == "helper"
    assert (after.name, after.colour, after.hoist) == ("Helpers", discord.Colour.green(), True)
    assert after.permissions.manage_nicknames
    assert (helper.name, helper.color, helper.permissions) == (
        "Helpers",
        discord.Colour.green().value,
        P.MANAGE_NICKNAMES,
    )

    deleted = expect(bot, "guild_role_delete", lambda r: r.id == role.id)
    await role.delete()
    await deleted
    assert guild.get_role(role.id) is None
    assert helper.id not in g.roles
    assert helper.id not in g.members[alice.id].roles
    assert role not in guild.get_member(alice.id).roles
    with pytest.raises(discord.NotFound) as gone:
        await guild.fetch_role(helper.id)
    assert gone.value.code == 10011


async def test_reorder_roles(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("RoleOrder")
    a, b, c = (emu.create_role(g, name) for name in ("a", "b", "c"))  # each new role enters at 1: c, b, a
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    assert [r.name for r in guild.roles[1:4]] == ["c", "b", "a"]

    role_a, role_c = guild.get_role(a.id), guild.get_role(c.id)
    swapped = expect(bot, "guild_role_update", lambda before, after: after.id == c.id and after.position == 3)
    result = await guild.edit_role_positions({role_a: 1, role_c: 3})
    await swapped
    await eventually(lambda: [r.name for r in guild.roles[1:4]] == ["a", "b", "c"])
    assert [r.name for r in sorted(result, key=lambda r: r.position)][1:4] == ["a", "b", "c"]
    assert (a.position, b.position, c.position) == (1, 2, 3)
    assert guild.me.top_role.position == 4

    # Role.edit(position=...) moves one role and shifts the ones in between. edit_role_positions put new
    # Role objects in the cache (from its REST answer), so look the role up again.
    moved = expect(bot, "guild_role_update", lambda before, after: after.id == a.id and after.position == 3)
    await guild.get_role(a.id).edit(position=3)
    await moved
    await eventually(lambda: [r.name for r in guild.roles[1:4]] == ["b", "c", "a"])
    assert (b.position, c.position, a.position) == (1, 2, 3)


async def test_only_roles_whose_position_changed_are_updated(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Quiet")
    _, b, c = (emu.create_role(g, name) for name in ("a", "b", "c"))
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    seen: list[int] = []

    async def on_guild_role_update(before: discord.Role, after: discord.Role) -> None:
        seen.append(after.id)

    bot.add_listener(on_guild_role_update)
    await guild.edit_role_positions({guild.get_role(b.id): 1, guild.get_role(c.id): 2})  # swap b and c
    # events arrive in order: once a later one is here, every update of the swap has been handled
    sentinel = expect(bot, "guild_channel_create", lambda ch: ch.name == "sentinel")
    emu.create_channel(g, "sentinel")
    await sentinel
    assert sorted(seen) == sorted([b.id, c.id])


async def test_role_above_the_bot_cannot_be_managed(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Hierarchy", members=[alice])
    top = emu.bot_role(g).position
    admin = emu.create_role(g, "Admins", position=top + 1, permissions=P.ADMINISTRATOR)
    low = emu.create_role(g, "low")
    bot = await started(bot_runner, members=True)
    guild = bot.get_guild(g.id)
    role = guild.get_role(admin.id)
    assert role > guild.me.top_role

    with pytest.raises(discord.Forbidden) as edit:
        await role.edit(name="Not admins anymore")
    assert (edit.value.status, edit.value.code) == (403, 50013)
    with pytest.raises(discord.Forbidden):
        await role.delete()
    with pytest.raises(discord.Forbidden):
        await guild.get_member(alice.id).add_roles(role)
    with pytest.raises(discord.Forbidden):  # nor may it lift a role to its own height
        await guild.edit_role_positions({guild.get_role(low.id): guild.me.top_role.position})
    assert admin.name == "Admins" and admin.id in g.roles
    assert admin.id not in g.members[alice.id].roles
    assert guild.get_role(admin.id).name == "Admins"


async def test_bot_cannot_grant_a_permission_it_lacks(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Grants")
    helper = emu.create_role(g, "helper")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    assert not guild.me.guild_permissions.administrator
    positions = {r.id: r.position for r in g.roles.values()}

    with pytest.raises(discord.Forbidden) as create:
        await guild.create_role(name="root", permissions=discord.Permissions(administrator=True))
    assert create.value.code == 50013
    assert [r.name for r in g.roles.values()].count("root") == 0
    assert {r.id: r.position for r in g.roles.values()} == positions  # a refused create moves nothing

    with pytest.raises(discord.Forbidden):
        await guild.get_role(helper.id).edit(
            name="renamed", permissions=discord.Permissions(administrator=True)
        )
    assert (helper.name, helper.permissions) == ("helper", 0)  # the whole edit was refused
    # permissions the bot has are fine
    await guild.get_role(helper.id).edit(permissions=discord.Permissions(kick_members=True))
    assert helper.permissions == P.KICK_MEMBERS


# -- members ---------------------------------------------------------------------------------------
async def test_fetch_and_list_members(discord_emulator, bot_runner):
    emu = discord_emulator
    users = [emu.create_user(f"user{i}") for i in range(5)]
    g = emu.create_guild("Members", members=users)
    bot = await started(bot_runner, members=True)
    guild = bot.get_guild(g.id)

    member = await guild.fetch_member(users[2].id)
    assert (member.id, member.name, member.guild) == (users[2].id, "user2", guild)
    fetched = [m async for m in guild.fetch_members(limit=None)]
    assert {m.id for m in fetched} == set(g.members)
    assert len(fetched) == len(g.members) == 7  # five users, the owner, the bot
    # the lowest ids come first (discord.py yields each page reversed)
    first_page = [m.id async for m in guild.fetch_members(limit=3)]
    assert sorted(first_page) == sorted(g.members)[:3]
    with pytest.raises(discord.NotFound) as unknown:
        await guild.fetch_member(emu.create_user("stranger").id)
    assert unknown.value.code == 10007


async def test_add_and_remove_role_and_edit_nick(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Membership", members=[alice])
    vip = emu.create_role(g, "vip")
    bot = await started(bot_runner, members=True)
    guild = bot.get_guild(g.id)
    member = guild.get_member(alice.id)
    role = guild.get_role(vip.id)

    updated = expect(bot, "member_update", lambda b, a: a.id == alice.id and role in a.roles)
    await member.add_roles(role)
    await updated
    assert role in guild.get_member(alice.id).roles
    assert g.members[alice.id].roles == [vip.id]

    updated = expect(bot, "member_update", lambda b, a: a.id == alice.id and a.nick == "Ali")
    await member.edit(nick="Ali")
    await updated
    assert guild.get_member(alice.id).display_name == "Ali"
    assert g.members[alice.id].nick == "Ali"

    updated = expect(bot, "member_update", lambda b, a: a.id == alice.id and role not in a.roles)
    await member.remove_roles(role)
    await updated
    assert g.members[alice.id].roles == []

    updated = expect(bot, "member_update", lambda b, a: a.id == bot.user.id and a.nick == "Helper Bot")
    await guild.me.edit(nick="Helper Bot")
    await updated
    assert g.members[emu.bot_user.id].nick == "Helper Bot"


async def test_timeout_and_kick(discord_emulator, bot_runner):
    emu = discord_emulator
    alice, boss = emu.create_user("alice"), emu.create_user("boss")
    g = emu.create_guild("Moderation", members=[alice, boss])
    admins = emu.create_role(g, "admins", permissions=P.ADMINISTRATOR)
    emu.set_member_roles(g, boss, [admins])
    bot = await started(bot_runner, members=True)
    guild = bot.get_guild(g.id)
    member = guild.get_member(alice.id)

    until = discord.utils.utcnow() + datetime.timedelta(minutes=10)
    updated = expect(bot, "member_update", lambda b, a: a.id == alice.id and a.is_timed_out())
    await member.timeout(until)
    await updated
    assert g.members[alice.id].communication_disabled_until is not None
    updated = expect(bot, "member_update", lambda b, a: a.id == alice.id and not a.is_timed_out())
    await member.timeout(None)
    await updated
    assert g.members[alice.id].communication_disabled_until is None

    with pytest.raises(discord.Forbidden):  # administrators cannot be timed out
        await guild.get_member(boss.id).timeout(until)
    assert g.members[boss.id].communication_disabled_until is None

    removed = expect(bot, "member_remove", lambda m: m.id == alice.id)
    await member.kick()
    await removed
    assert guild.get_member(alice.id) is None
    assert alice.id not in g.members


async def test_guild_owner_cannot_be_managed(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Owned")
    bot = await started(bot_runner, members=True)
    guild = bot.get_guild(g.id)
    owner = guild.get_member(g.owner_id)
    assert guild.owner == owner

    with pytest.raises(discord.Forbidden) as nick:
        await owner.edit(nick="Pwned")
    assert nick.value.code == 50013
    with pytest.raises(discord.Forbidden):
        await owner.kick()
    with pytest.raises(discord.Forbidden):
        await owner.timeout(discord.utils.utcnow() + datetime.timedelta(minutes=5))
    assert g.members[g.owner_id].nick is None
    assert g.owner_id in g.members

    # nor a member whose top role is at or above the bot's
    peer = emu.add_member(g, "peer", roles=[emu.create_role(g, "peers", position=emu.bot_role(g).position)])
    await eventually(lambda: guild.get_member(peer.user_id) is not None)
    with pytest.raises(discord.Forbidden):
        await guild.get_member(peer.user_id).edit(nick="Nope")
    assert g.members[peer.user_id].nick is None
    assert g.members[g.owner_id].communication_disabled_until is None


# -- emojis and stickers ---------------------------------------------------------------------------
async def test_emoji_create_edit_delete(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Emojis")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)

    updated = expect(bot, "guild_emojis_update", lambda gu, before, after: len(after) == 1)
    emoji = await guild.create_custom_emoji(name="party", image=PNG)
    await updated
    assert [e.name for e in guild.emojis] == ["party"]
    assert guild.get_emoji(emoji.id) is not None  # bot.get_emoji looks in the client's emoji cache
    assert bot.get_emoji(emoji.id).name == "party"
    stored = g.emojis[emoji.id]
    assert (stored.name, stored.image, stored.animated) == ("party", PNG, False)

    updated = expect(
        bot, "guild_emojis_update", lambda gu, before, after: after and after[0].name == "fiesta"
    )
    await emoji.edit(name="fiesta")
    await updated
    assert g.emojis[emoji.id].name == "fiesta"

    updated = expect(bot, "guild_emojis_update", lambda gu, before, after: not after)
    await emoji.delete()
    await updated
    assert guild.emojis == ()
    assert g.emojis == {}

    with pytest.raises(discord.HTTPException) as bad_name:
        await guild.create_custom_emoji(name="x", image=PNG)
    assert bad_name.value.code == 50035


async def test_sticker_create_and_delete(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Stickers")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)

    updated = expect(bot, "guild_stickers_update", lambda gu, before, after: len(after) == 1)
    sticker = await guild.create_sticker(
        name="wave",
        description="Hello there",
        emoji="wave",
        file=discord.File(io.BytesIO(PNG), filename="wave.png"),
    )
    await updated
    assert [s.name for s in guild.stickers] == ["wave"]
    assert sticker.description == "Hello there"
    assert sticker.format == discord.StickerFormatType.png
    stored = g.stickers[sticker.id]
    assert (stored.name, stored.tags, stored.description, stored.image) == (
        "wave",
        "wave",
        "Hello there",
        PNG,
    )

    updated = expect(bot, "guild_stickers_update", lambda gu, before, after: not after)
    await sticker.delete()
    await updated
    assert guild.stickers == ()
    assert g.stickers == {}


# -- the guild itself --------------------------------------------------------------------------------
async def test_get_and_modify_guild(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Before", text_channels=("general", "announcements"))
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)

    fetched = await bot.fetch_guild(g.id)
    assert (fetched.id, fetched.name, fetched.owner_id) == (g.id, "Before", g.owner_id)
    assert fetched.verification_level == discord.VerificationLevel.none
    assert {r.id for r in fetched.roles} == set(g.roles)

    announcements = guild.get_channel(emu.channel_named(g, "announcements").id)
    updated = expect(bot, "guild_update", lambda before, after: after.name == "After")
    edited = await guild.edit(
        name="After",
        verification_level=discord.VerificationLevel.high,
        system_channel=announcements,
        afk_timeout=900,
        icon=PNG,
    )
    before, after = await updated
    assert before.name == "Before"
    assert edited.name == "After"
    assert after.verification_level == discord.VerificationLevel.high
    assert after.system_channel == announcements
    assert after.afk_timeout == 900
    assert after.icon is not None
    assert bot.get_guild(g.id).name == "After"

    assert g.name == "After"
    assert g.settings["verification_level"] == 3
    assert g.settings["system_channel_id"] == announcements.id
    assert g.settings["afk_timeout"] == 900
    assert g.images["icon"] == PNG
    assert g.settings["icon"] == after.icon.key


async def test_invalid_guild_edit_is_rejected_and_changes_nothing(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Stable")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)

    with pytest.raises(discord.HTTPException) as bad:
        await guild.edit(name="Changed", icon=PNG, afk_timeout=42)
    assert (bad.value.status, bad.value.code) == (400, 50035)
    assert "afk_timeout" in bad.value.text  # discord.py flattens Discord's field errors into the text
    assert g.name == "Stable"
    assert "afk_timeout" not in g.settings and "icon" not in g.settings
    assert g.images == {}
    assert guild.name == "Stable"
    assert (await bot.fetch_guild(g.id)).name == "Stable"

    with pytest.raises(discord.HTTPException) as short:
        await guild.edit(name="x")
    assert short.value.code == 50035
    assert g.name == "Stable"


async def test_guild_channel_settings_need_the_right_channel(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Settings", text_channels=("general", "welcome"))
    lounge = emu.create_channel(g, "Lounge", type=ChannelType.GUILD_VOICE)
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    welcome = guild.get_channel(emu.channel_named(g, "welcome").id)
    voice = guild.get_channel(lounge.id)

    with pytest.raises(discord.HTTPException) as not_text:
        await guild.edit(system_channel=voice)
    assert not_text.value.code == 50035
    with pytest.raises(discord.HTTPException) as not_voice:
        await guild.edit(afk_channel=welcome)
    assert not_voice.value.code == 50035
    await guild.edit(system_channel=welcome, afk_channel=voice)
    assert (g.settings["system_channel_id"], g.settings["afk_channel_id"]) == (welcome.id, voice.id)

    # deleting the channels a setting points at clears that setting
    cleared = expect(bot, "guild_update", lambda b, a: a.system_channel is None)
    await welcome.delete()
    await cleared
    assert g.settings["system_channel_id"] is None
    await voice.delete()
    assert g.settings["afk_channel_id"] is None
    fetched = await bot.fetch_guild(g.id)
    assert (fetched.system_channel, fetched.afk_channel) == (None, None)


# -- messages ----------------------------------------------------------------------------------------
async def test_edit_fetch_and_delete_message(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Msgs")
    bot = await started(bot_runner, message_content=True)
    channel = bot.get_channel(emu.channel_named(g, "general").id)

    message = await channel.send("first draft")
    edited = expect(bot, "message_edit", lambda before, after: after.id == message.id)
    await message.edit(content="final version", embed=discord.Embed(title="Notes"))
    before, after = await edited
    assert (before.content, after.content) == ("first draft", "final version")
    assert after.edited_at is not None
    stored = emu.state.messages[channel.id][message.id]
    assert stored.content == "final version"
    assert stored.embeds[0]["title"] == "Notes"
    assert stored.edited_timestamp is not None

    fetched = await channel.fetch_message(message.id)
    assert (fetched.content, fetched.embeds[0].title, fetched.author) == ("final version", "Notes", bot.user)

    deleted = expect(bot, "message_delete", lambda m: m.id == message.id)
    await message.delete()
    await deleted
    assert message.id not in emu.state.messages[channel.id]
    with pytest.raises(discord.NotFound) as gone:
        await channel.fetch_message(message.id)
    assert gone.value.code == 10008


async def test_bot_cannot_edit_a_users_message_but_may_delete_it(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Others", members=[alice])
    general = emu.channel_named(g, "general")
    bot = await started(bot_runner, message_content=True)
    channel = bot.get_channel(general.id)
    sent = await emu.send_message(general, alice, "mine")
    message = await channel.fetch_message(sent.id)
    with pytest.raises(discord.Forbidden) as refused:
        await message.edit(content="yours now")
    assert refused.value.code == 50005
    assert emu.state.messages[general.id][sent.id].content == "mine"
    await message.delete()  # Manage Messages
    assert sent.id not in emu.state.messages[general.id]


async def test_history_before_after_and_around(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("History", members=[alice])
    general = emu.channel_named(g, "general")
    sent = [await emu.send_message(general, alice, f"m{i}") for i in range(10)]
    bot = await started(bot_runner, message_content=True)
    channel = bot.get_channel(general.id)

    latest = [m.content async for m in channel.history(limit=3)]
    assert latest == ["m9", "m8", "m7"]
    before = [m.content async for m in channel.history(limit=3, before=discord.Object(sent[5].id))]
    assert before == ["m4", "m3", "m2"]
    after = [m.content async for m in channel.history(limit=3, after=discord.Object(sent[5].id))]
    assert after == ["m6", "m7", "m8"]  # oldest first by default with ``after``
    between = [
        m.content
        async for m in channel.history(
            limit=None, after=discord.Object(sent[2].id), before=discord.Object(sent[6].id)
        )
    ]
    assert between == ["m3", "m4", "m5"]
    everything = [m.content async for m in channel.history(limit=None, oldest_first=True)]
    assert everything == [f"m{i}" for i in range(10)]
    # Discord answers ``around`` with limit // 2 messages on each side of the target and the target itself
    around = [m.content async for m in channel.history(limit=4, around=discord.Object(sent[5].id))]
    assert around == ["m7", "m6", "m5", "m4", "m3"]
    around = [m.content async for m in channel.history(limit=5, around=discord.Object(sent[5].id))]
    assert around == ["m7", "m6", "m5", "m4", "m3"]


async def test_history_without_read_message_history_is_empty(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("NoHistory", members=[alice])
    general = emu.channel_named(g, "general")
    said = await emu.send_message(general, alice, "before the bot could read")
    emu.set_overwrite(general, emu.bot_role(g), deny=P.READ_MESSAGE_HISTORY)
    bot = await started(bot_runner)
    channel = bot.get_channel(general.id)

    # Discord answers the history with no messages rather than an error, but refuses a single message
    assert [m async for m in channel.history(limit=10)] == []
    with pytest.raises(discord.Forbidden) as fetch:
        await channel.fetch_message(said.id)
    assert fetch.value.code == 50013
    assert (await channel.send("I can still talk")).content == "I can still talk"


async def test_bulk_delete_with_purge_and_delete_messages(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Purge")
    bot = await started(bot_runner, message_content=True)
    channel = bot.get_channel(emu.channel_named(g, "general").id)
    messages = [await channel.send(f"n{i}") for i in range(6)]

    bulk = expect(bot, "bulk_message_delete")
    raw = expect(bot, "raw_bulk_message_delete")
    purged = await channel.purge(limit=3)
    assert sorted(m.id for m in purged) == [m.id for m in messages[3:]]
    assert sorted(m.id for m in await bulk) == [m.id for m in messages[3:]]
    assert (await raw).message_ids == {m.id for m in messages[3:]}
    assert list(emu.state.messages[channel.id]) == [m.id for m in messages[:3]]
    assert emu.requests_to("POST /channels/{channel_id}/messages/bulk-delete")

    bulk = expect(bot, "raw_bulk_message_delete")
    await channel.delete_messages(messages[:2])
    assert (await bulk).message_ids == {messages[0].id, messages[1].id}
    assert list(emu.state.messages[channel.id]) == [messages[2].id]


async def test_bulk_delete_refuses_messages_older_than_two_weeks(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Old", members=[alice])
    general = emu.channel_named(g, "general")
    three_weeks_ago = discord.utils.utcnow() - datetime.timedelta(days=21)
    old = emu.state.add_message(
        Message(
            id=discord.utils.time_snowflake(three_weeks_ago),
            channel_id=general.id,
            guild_id=g.id,
            author_id=alice.id,
            content="ancient",
        )
    )
    bot = await started(bot_runner)
    channel = bot.get_channel(general.id)
    recent = await channel.send("recent")

    with pytest.raises(discord.HTTPException) as too_old:
        await channel.delete_messages([discord.Object(old.id), recent])
    assert (too_old.value.status, too_old.value.code) == (400, 50034)
    assert set(emu.state.messages[general.id]) == {old.id, recent.id}
    # purge() knows the rule and deletes old messages one by one instead
    await channel.purge(limit=None)
    assert emu.state.messages[general.id] == {}


async def test_reactions_from_bot_and_user(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Reactions", members=[alice])
    bot = await started(bot_runner, members=True)
    channel = bot.get_channel(emu.channel_named(g, "general").id)
    message = await channel.send("vote here")
    stored = emu.state.messages[channel.id][message.id]

    raw = expect(bot, "raw_reaction_add", lambda p: p.user_id == bot.user.id)
    await message.add_reaction("👍")
    payload = await raw
    assert (payload.message_id, str(payload.emoji)) == (message.id, "👍")
    assert stored.reactions["👍"] == [emu.bot_user.id]

    reaction_add = expect(bot, "reaction_add", lambda r, u: u.id == alice.id)
    raw = expect(bot, "raw_reaction_add", lambda p: p.user_id == alice.id)
    await emu.add_reaction(stored, "👍", alice)
    reaction, user = await reaction_add
    assert (str(reaction.emoji), reaction.count, reaction.me) == ("👍", 2, True)
    assert isinstance(user, discord.Member) and user.id == alice.id
    assert (await raw).member.id == alice.id

    fetched = await channel.fetch_message(message.id)
    assert [(str(r.emoji), r.count, r.me) for r in fetched.reactions] == [("👍", 2, True)]
    users = [u.id async for u in fetched.reactions[0].users()]
    assert sorted(users) == sorted([emu.bot_user.id, alice.id])
    # Discord pages reaction users by user id
    assert [u.id async for u in fetched.reactions[0].users(limit=1)] == [min(users)]

    removed = expect(bot, "raw_reaction_remove", lambda p: p.user_id == bot.user.id)
    await message.remove_reaction("👍", bot.user)
    await removed
    assert stored.reactions["👍"] == [alice.id]
    removed = expect(bot, "raw_reaction_remove", lambda p: p.user_id == alice.id)
    await message.remove_reaction("👍", discord.Object(alice.id))
    await removed
    assert not stored.reactions.get("👍")


async def test_clearing_reactions_is_announced(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Clear", members=[alice])
    bot = await started(bot_runner, members=True)
    channel = bot.get_channel(emu.channel_named(g, "general").id)
    message = await channel.send("react to me")
    stored = emu.state.messages[channel.id][message.id]
    reacted = expect(bot, "raw_reaction_add", lambda p: str(p.emoji) == "🎉")
    for emoji in ("👍", "🎉"):
        await emu.add_reaction(stored, emoji, alice)
    await reacted

    cleared_one = expect(bot, "raw_reaction_clear_emoji", lambda p: str(p.emoji) == "👍")
    await message.clear_reaction("👍")
    assert (await cleared_one).message_id == message.id
    assert list(k for k, users in stored.reactions.items() if users) == ["🎉"]

    cleared_all = expect(bot, "reaction_clear", lambda m, reactions: m.id == message.id)
    await message.clear_reactions()
    _, reactions = await cleared_all
    assert [str(r.emoji) for r in reactions] == ["🎉"]
    assert not any(stored.reactions.values())
    assert (await channel.fetch_message(message.id)).reactions == []


async def test_reaction_emoji_and_permission_rules(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("ReactRules", members=[alice], text_channels=("general", "quiet"))
    quiet = emu.channel_named(g, "quiet")
    emu.set_overwrite(quiet, emu.bot_role(g), deny=P.ADD_REACTIONS)
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    general = guild.get_channel(emu.channel_named(g, "general").id)
    message = await general.send("emoji test")

    custom = await guild.create_custom_emoji(name="blob", image=PNG)
    await message.add_reaction(custom)
    assert list(emu.state.messages[general.id][message.id].reactions) == [str(custom.id)]
    with pytest.raises(discord.NotFound) as unknown_custom:
        await message.add_reaction(discord.PartialEmoji(name="ghost", id=emu.state.ids.next()))
    assert unknown_custom.value.code == 10014
    with pytest.raises(discord.NotFound) as not_emoji:
        await message.add_reaction("thumbsup")
    assert not_emoji.value.code == 10014

    # without Add Reactions the bot may join a reaction already there, not start a new one
    said = await emu.send_message(quiet, alice, "hello")
    await emu.add_reaction(said, "👋", alice)
    quiet_message = await guild.get_channel(quiet.id).fetch_message(said.id)
    with pytest.raises(discord.Forbidden) as new_reaction:
        await quiet_message.add_reaction("🎉")
    assert new_reaction.value.code == 50013
    await quiet_message.add_reaction("👋")
    assert said.reactions["👋"] == [alice.id, emu.bot_user.id]
    assert "🎉" not in said.reactions


async def test_pins(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Pins")
    bot = await started(bot_runner, message_content=True)
    channel = bot.get_channel(emu.channel_named(g, "general").id)
    keep = await channel.send("remember this")
    await channel.send("not this")

    pins_update = expect(bot, "guild_channel_pins_update", lambda ch, last: ch.id == channel.id)
    system = expect(bot, "message", lambda m: m.type == discord.MessageType.pins_add)
    await keep.pin()
    await pins_update
    notice = await system  # Discord posts "<bot> pinned a message to this channel."
    assert notice.reference is not None and notice.reference.message_id == keep.id
    assert emu.state.messages[channel.id][keep.id].pinned
    pinned = [m async for m in channel.pins()]
    assert [m.id for m in pinned] == [keep.id]
    assert pinned[0].pinned and pinned[0].pinned_at is not None

    await keep.unpin()
    assert not emu.state.messages[channel.id][keep.id].pinned
    assert [m async for m in channel.pins()] == []


async def test_file_attachment_round_trip(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Files")
    bot = await started(bot_runner)
    channel = bot.get_channel(emu.channel_named(g, "general").id)
    data = bytes(range(256)) * 40

    message = await channel.send(
        "report attached", file=discord.File(io.BytesIO(data), filename="report.bin")
    )
    [attachment] = message.attachments
    assert (attachment.filename, attachment.size) == ("report.bin", len(data))
    assert attachment.url.startswith(emu.base_url)
    assert await attachment.read() == data  # discord.py downloads it from the emulator
    async with aiohttp.ClientSession() as session, session.get(attachment.url) as response:
        assert response.status == 200
        assert await response.read() == data
    [stored] = emu.state.messages[channel.id][message.id].attachments
    assert (stored.filename, stored.data) == ("report.bin", data)


async def test_direct_messages(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    emu.create_guild("DMs", members=[alice])
    bot = await started(bot_runner)  # no message_content intent: DMs keep their content anyway

    user = await bot.fetch_user(alice.id)
    sent = await user.send("psst")
    assert isinstance(sent.channel, discord.DMChannel)
    assert sent.channel.recipient.id == alice.id
    dm = emu.state.channels[sent.channel.id]
    assert (dm.type, dm.recipient_ids) == (ChannelType.DM, [alice.id])
    assert [m.content for m in emu.messages_in(dm)] == ["psst"]
    assert (await user.send("again")).channel.id == dm.id  # the same DM channel

    reply = expect(bot, "message", lambda m: m.author.id == alice.id)
    await emu.send_message(dm, alice, "what?")
    message = await reply
    assert message.content == "what?"
    assert message.guild is None


async def test_direct_messages_need_a_shared_guild(discord_emulator, bot_runner):
    emu = discord_emulator
    stranger = emu.create_user("stranger")
    other_bot = emu.create_user("another-bot", bot=True)
    emu.create_guild("Shared", members=[other_bot])
    bot = await started(bot_runner)

    for target in (stranger, other_bot):
        user = await bot.fetch_user(target.id)
        with pytest.raises(discord.Forbidden) as refused:
            await user.send("hello?")
        assert (refused.value.status, refused.value.code) == (403, 50007)
    assert all(not emu.messages_in(c) for c in emu.state.channels.values() if c.type == ChannelType.DM)


# -- Discord's errors --------------------------------------------------------------------------------
async def test_unknown_channel_message_and_role(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Unknowns")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    channel = guild.get_channel(emu.channel_named(g, "general").id)
    missing = emu.state.ids.next()

    with pytest.raises(discord.NotFound) as no_channel:
        await bot.fetch_channel(missing)
    assert (no_channel.value.status, no_channel.value.code) == (404, 10003)
    with pytest.raises(discord.NotFound) as no_message:
        await channel.fetch_message(missing)
    assert no_message.value.code == 10008
    with pytest.raises(discord.NotFound) as no_role:
        await guild.fetch_role(missing)
    assert no_role.value.code == 10011
    role = await guild.create_role(name="short-lived")
    await role.delete()
    with pytest.raises(discord.NotFound) as no_role_edit:  # editing a role that was deleted meanwhile
        await role.edit(name="x")
    assert no_role_edit.value.code == 10011


async def test_missing_permissions_are_forbidden(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Powerless", members=[alice], bot_permissions=DEFAULT_EVERYONE_PERMISSIONS)
    role = emu.create_role(g, "someone")
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    channel = guild.get_channel(emu.channel_named(g, "general").id)
    roles, channels = dict(g.roles), list(g.channel_ids)

    with pytest.raises(discord.Forbidden) as manage_roles:
        await guild.create_role(name="nope")
    assert (manage_roles.value.status, manage_roles.value.code) == (403, 50013)
    with pytest.raises(discord.Forbidden):
        await guild.get_role(role.id).edit(name="nope")
    with pytest.raises(discord.Forbidden) as manage_channels:
        await guild.create_text_channel("nope")
    assert manage_channels.value.code == 50013
    with pytest.raises(discord.Forbidden):
        await channel.edit(name="nope")
    with pytest.raises(discord.Forbidden):
        await channel.delete()
    assert dict(g.roles) == roles and g.roles[role.id].name == "someone"
    assert g.channel_ids == channels and emu.state.channels[channel.id].name == "general"


async def test_send_denied_by_an_overwrite(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("ReadOnly", text_channels=("general", "announcements"))
    announcements = emu.channel_named(g, "announcements")
    emu.set_overwrite(announcements, emu.bot_role(g), deny=P.SEND_MESSAGES)
    bot = await started(bot_runner)
    channel = bot.get_channel(announcements.id)
    assert not channel.permissions_for(channel.guild.me).send_messages  # discord.py agrees

    with pytest.raises(discord.Forbidden) as denied:
        await channel.send("hello?")
    assert (denied.value.status, denied.value.code) == (403, 50013)
    assert emu.messages_in(announcements) == []
    assert (
        await bot.get_channel(emu.channel_named(g, "general").id).send("fine here")
    ).content == "fine here"

    # a member overwrite allowing it again wins over the role's deny
    updated = expect(bot, "guild_channel_update", lambda b, a: a.id == announcements.id)
    emu.set_overwrite(announcements, emu.bot_user, allow=P.SEND_MESSAGES)
    await updated
    assert channel.permissions_for(channel.guild.me).send_messages
    assert (await channel.send("now I can")).content == "now I can"


async def test_channel_access_and_attachment_permissions(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Access", text_channels=("general", "hidden", "no-files"))
    hidden, no_files = emu.channel_named(g, "hidden"), emu.channel_named(g, "no-files")
    emu.set_overwrite(hidden, emu.bot_role(g), deny=P.VIEW_CHANNEL)
    emu.set_overwrite(no_files, g.roles[g.id], deny=P.ATTACH_FILES)
    bot = await started(bot_runner)
    assert bot.get_channel(hidden.id) is not None  # in the cache, but not viewable

    with pytest.raises(discord.Forbidden) as no_access:
        await bot.get_channel(hidden.id).send("hello")
    assert (no_access.value.status, no_access.value.code) == (403, 50001)  # Missing Access, not 50013
    with pytest.raises(discord.Forbidden) as no_fetch:
        await bot.fetch_channel(hidden.id)
    assert no_fetch.value.code == 50001
    with pytest.raises(discord.Forbidden) as no_attach:
        await bot.get_channel(no_files.id).send(file=discord.File(io.BytesIO(PNG), filename="x.png"))
    assert no_attach.value.code == 50013
    assert (await bot.get_channel(no_files.id).send("text is fine")).content == "text is fine"
    assert emu.messages_in(hidden) == []


async def test_mentions_follow_discords_rules(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Mentions", members=[alice])
    general = emu.channel_named(g, "general")
    quiet = emu.create_role(g, "quiet")
    loud = emu.create_role(g, "loud", mentionable=True)
    bot = await started(bot_runner, message_content=True, members=True)
    channel = bot.get_channel(general.id)

    # a plain member has no Mention Everyone: @everyone and the non-mentionable role do not ping
    received = expect(bot, "message", lambda m: m.author.id == alice.id)
    await emu.send_message(
        general, alice, f"@everyone <@&{quiet.id}> <@&{loud.id}> <@{alice.id}> <@{alice.id}>"
    )
    message = await received
    assert not message.mention_everyone
    assert [r.id for r in message.role_mentions] == [loud.id]
    assert [u.id for u in message.mentions] == [alice.id]

    # the bot has Mention Everyone
    sent = await channel.send(f"@everyone <@&{quiet.id}>")
    assert sent.mention_everyone and [r.id for r in sent.role_mentions] == [quiet.id]
    silent = await channel.send(f"@everyone <@&{quiet.id}>", allowed_mentions=discord.AllowedMentions.none())
    assert not silent.mention_everyone and silent.role_mentions == []
    stored = emu.state.messages[general.id]
    assert (stored[sent.id].mention_everyone, stored[silent.id].mention_everyone) == (True, False)


async def test_invalid_message_bodies(discord_emulator, bot_runner):
    emu = discord_emulator
    g = emu.create_guild("Limits")
    bot = await started(bot_runner)
    channel = bot.get_channel(emu.channel_named(g, "general").id)

    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    assert "content" in too_long.value.text
    assert (await channel.send("x" * 2000)).content == "x" * 2000

    embeds = [discord.Embed(title=str(i)) for i in range(11)]
    with pytest.raises(ValueError, match="maximum of 10"):
        await channel.send(embeds=embeds)  # discord.py refuses before sending...
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    with pytest.raises(discord.HTTPException) as too_many:  # ...and so does Discord
        await bot.http.request(route, json={"embeds": [e.to_dict() for e in embeds]})
    assert (too_many.value.status, too_many.value.code) == (400, 50035)

    class SixRows(discord.ui.View):
        """Six action rows of one button each: discord.py would stop at five, Discord refuses six."""

        def __init__(self) -> None:
            super().__init__()
            self.buttons = [discord.ui.Button(label=f"b{i}", custom_id=f"b{i}") for i in range(6)]

        def to_components(self) -> list[dict[str, Any]]:
            return [{"type": 1, "components": [b.to_component_dict()]} for b in self.buttons]

    with pytest.raises(discord.HTTPException) as rows:
        await channel.send("pick one", view=SixRows())
    assert (rows.value.status, rows.value.code) == (400, 50035)

    class Crowded(discord.ui.View):
        """A select and a button in one row."""

        def to_components(self) -> list[dict[str, Any]]:
            select = discord.ui.Select(custom_id="s", options=[discord.SelectOption(label="a")])
            button = discord.ui.Button(label="b", custom_id="b")
            return [{"type": 1, "components": [select.to_component_dict(), button.to_component_dict()]}]

    with pytest.raises(discord.HTTPException) as crowded:
        await channel.send("pick", view=Crowded())
    assert crowded.value.code == 50035
    assert [m.content for m in emu.messages_in(channel.id)] == ["x" * 2000]


async def test_bad_token_is_a_login_failure(discord_emulator):
    bot = make_bot()
    try:
        with pytest.raises(discord.LoginFailure):
            await bot.login("not-the-token")
    finally:
        await bot.close()
    assert [r.status for r in discord_emulator.requests_to("GET /users/@me")] == [401]


# -- intents -----------------------------------------------------------------------------------------
def _large_guild(emu: Any, size: int = 300) -> Any:
    users = [emu.create_user(f"member{i:03}") for i in range(size)]
    return emu.create_guild("Large", members=users)


async def test_members_intent_chunks_a_large_guild(discord_emulator, bot_runner):
    emu = discord_emulator
    g = _large_guild(emu)
    bot = make_bot(members=True, enable_debug_events=True)
    events: list[str] = []
    sent_ops: list[int] = []

    async def on_socket_event_type(event: str) -> None:
        events.append(event)

    async def on_socket_raw_send(raw: str | bytes) -> None:
        sent_ops.append(json.loads(raw)["op"])

    bot.add_listener(on_socket_event_type)
    bot.add_listener(on_socket_raw_send)
    await bot_runner(bot)
    guild = bot.get_guild(g.id)

    assert guild.large and guild.member_count == 302
    assert guild.chunked
    assert len(guild.members) == len(g.members) == 302
    assert 8 in sent_ops  # REQUEST_GUILD_MEMBERS
    assert "GUILD_MEMBERS_CHUNK" in events
    assert (
        guild.get_member(next(u for u in g.members if emu.state.users[u].username == "member123")) is not None
    )

    # later joins arrive as GUILD_MEMBER_ADD
    joined = expect(bot, "member_join", lambda m: m.name == "latecomer")
    emu.add_member(g, "latecomer")
    await joined
    assert len(guild.members) == 303


async def test_without_members_intent_a_large_guild_is_not_chunked(discord_emulator, bot_runner):
    emu = discord_emulator
    g = _large_guild(emu)
    bot = await started(bot_runner)
    guild = bot.get_guild(g.id)
    assert guild.large and guild.member_count == 302
    assert not guild.chunked
    assert [m.id for m in guild.members] == [emu.bot_user.id]


async def test_message_content_intent(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Content", members=[alice])
    general = emu.channel_named(g, "general")
    bot = await started(bot_runner)

    received = expect(bot, "message", lambda m: m.author.id == alice.id)
    sent = await emu.send_message(general, alice, "secret plans", embeds=[{"title": "hidden"}])
    message = await received
    assert (message.content, message.embeds) == ("", [])
    assert emu.state.messages[general.id][sent.id].content == "secret plans"  # stored whole

    received = expect(bot, "message", lambda m: m.author.id == alice.id)
    await emu.send_message(general, alice, f"hey <@{emu.bot_user.id}> look")
    assert (await received).content == f"hey <@{emu.bot_user.id}> look"  # mentions keep content

    own = await bot.get_channel(general.id).send("the bot's own words")
    assert own.content == "the bot's own words"


async def test_message_content_intent_enabled(discord_emulator, bot_runner):
    emu = discord_emulator
    alice = emu.create_user("alice")
    g = emu.create_guild("Content", members=[alice])
    general = emu.channel_named(g, "general")
    bot = await started(bot_runner, message_content=True)
    received = expect(bot, "message", lambda m: m.author.id == alice.id)
    await emu.send_message(general, alice, "secret plans")
    assert (await received).content == "secret plans"
