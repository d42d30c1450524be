"""A private thread reaches only its members and those with Manage Threads, as on Discord: the
emulator sends a real discord.py bot outside it no gateway event about it, answers its GET routes
with 403 and leaves it out of every thread listing, until the bot is added to it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import discord
import pytest

from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.models import Channel
from zoryx_core.testing.permissions import DEFAULT_BOT_PERMISSIONS, P

pytestmark = pytest.mark.emulator_strict_routes


class Watcher(discord.Client):
    """Records the threads and messages that reach the bot."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.all(), guild_ready_timeout=0.05)
        self.threads_seen: list[int] = []
        self.messages: list[str] = []

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.threads_seen.append(thread.id)

    async def on_thread_join(self, thread: discord.Thread) -> None:
        self.threads_seen.append(thread.id)

    async def on_message(self, message: discord.Message) -> None:
        self.messages.append(message.content)


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_private_thread_reaches_only_its_members_and_thread_managers(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    alice, bob = emu.create_user("alice"), emu.create_user("bob")
    # the bot can see and talk in the channels but may not manage threads
    guild = emu.create_guild(
        "Club", members=[alice, bob], bot_permissions=DEFAULT_BOT_PERMISSIONS & ~P.MANAGE_THREADS
    )
    general = emu.channel_named(guild, "general")
    early = emu.create_thread(general, alice, "early-secret", private=True)
    # a guild where the bot holds Manage Threads sees every private thread
    staff = emu.create_guild("Staff", members=[alice, bob])
    staff_general = emu.channel_named(staff, "general")
    moderated = emu.create_thread(staff_general, alice, "moderated", private=True)

    client = Watcher()
    await bot_runner(client)
    club = client.get_guild(guild.id)
    assert club is not None
    # GUILD_CREATE lists only the threads the bot may see
    assert club.get_thread(early.id) is None
    staff_guild = client.get_guild(staff.id)
    assert staff_guild is not None and staff_guild.get_thread(moderated.id) is not None

    async def settle(marker: str) -> None:
        """Events reach the bot in order: once a later message arrived, earlier events did too."""
        await emu.send_message(general, alice, marker)
        await until(lambda: marker in client.messages)

    secret = emu.create_thread(general, alice, "secret", private=True)
    with pytest.raises(ValueError, match="cannot see thread #secret"):
        await emu.send_message(secret, bob, "let me in")
    emu.join_thread(secret, bob)
    await emu.send_message(secret, bob, "hush")
    public = emu.create_thread(general, bob, "open-talk")
    await emu.send_message(public, alice, "hello all")
    await settle("marker-1")

    # no gateway event: no thread in the cache, no message event
    assert secret.id not in client.threads_seen and club.get_thread(secret.id) is None
    assert "hush" not in client.messages
    assert public.id in client.threads_seen and "hello all" in client.messages  # the control
    # GET routes answer 403 Missing Access; listings leave the thread out
    with pytest.raises(discord.Forbidden):
        await client.fetch_channel(secret.id)
    with pytest.raises(discord.Forbidden):
        await client.http.get_thread_members(secret.id)
    active = {thread.id for thread in await club.active_threads()}
    assert public.id in active and secret.id not in active and early.id not in active

    # added to the thread, the bot gets THREAD_CREATE, then its messages, and may read it
    emu.join_thread(secret, emu.bot_user)
    await until(lambda: club.get_thread(secret.id) is not None)
    await emu.send_message(secret, bob, "welcome")
    await until(lambda: "welcome" in client.messages)
    fetched = await client.fetch_channel(secret.id)
    assert isinstance(fetched, discord.Thread) and fetched.is_private()
    assert secret.id in {thread.id for thread in await club.active_threads()}

    # with Manage Threads, a new private thread the bot is not in reaches it at once
    later = emu.create_thread(staff_general, bob, "later", private=True)
    await emu.send_message(later, bob, "mods only")
    await until(lambda: "mods only" in client.messages)
    assert later.id in client.threads_seen
    assert isinstance(await client.fetch_channel(later.id), discord.Thread)


def test_thread_visibility_follows_membership_and_manage_threads() -> None:
    emu = DiscordEmulator()
    alice, bob = emu.create_user("alice"), emu.create_user("bob")
    guild = emu.create_guild("Club", members=[alice, bob], bot_permissions=DEFAULT_BOT_PERMISSIONS)
    general = emu.channel_named(guild, "general")
    thread: Channel = emu.create_thread(general, alice, "secret", private=True)
    payload = emu.state.gateway_guild_payload(guild, viewer_id=bob.id)
    assert [t["id"] for t in payload["threads"]] == []
    assert [t["id"] for t in emu.state.gateway_guild_payload(guild, viewer_id=alice.id)["threads"]] == [
        str(thread.id)
    ]
    emu.join_thread(thread, bob)
    assert [t["id"] for t in emu.state.gateway_guild_payload(guild, viewer_id=bob.id)["threads"]] == [
        str(thread.id)
    ]
