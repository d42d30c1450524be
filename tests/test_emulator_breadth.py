"""Emulator breadth beyond the community cogs: unserved routes named and failed on request, forum
posts with tags, auto-archive, THREAD_LIST_SYNC, webhooks into threads, entity selects with
``data.resolved``, selects by label, ``allowed_mentions.replied_user`` (issue 17)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import discord
import pytest
from discord.ext import commands

from tests.conftest import make_bot
from zoryx_core.testing import DiscordEmulator, P
from zoryx_core.testing.coverage import route_template_for

REPO = Path(__file__).resolve().parent.parent


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_unserved_route_is_named_and_recorded(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    guild = emu.create_guild("Strictness")
    bot = make_bot()
    await bot_runner(bot)
    with pytest.raises(discord.NotFound) as caught:
        await bot.http.request(
            discord.http.Route("POST", "/guilds/{guild_id}/mfa", guild_id=guild.id), json={"level": 1}
        )
    assert caught.value.text == "not emulated: POST /guilds/{guild_id}/mfa"
    assert emu.not_emulated == ["POST /guilds/{guild_id}/mfa"]
    assert route_template_for("PUT", "/guilds/1/bans/2") == "PUT /guilds/{guild_id}/bans/{user_id}"
    assert route_template_for("GET", "/no/such/thing") is None
    emu.not_emulated.clear()  # this test asked for it on purpose


def test_strict_routes_marker_fails_a_test_that_hit_an_unserved_route(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            import discord, pytest
            from discord.ext import commands

            @pytest.mark.emulator_strict_routes
            async def test_calls_mfa(discord_emulator, bot_runner):
                guild = discord_emulator.create_guild("Inner")
                bot = commands.Bot(
                    command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
                )
                await bot_runner(bot)
                route = discord.http.Route("POST", "/guilds/{guild_id}/mfa", guild_id=guild.id)
                try:
                    await bot.http.request(route, json={"level": 1})
                except discord.NotFound:
                    pass

            async def test_lenient(discord_emulator, bot_runner):
                guild = discord_emulator.create_guild("Inner")
                bot = commands.Bot(
                    command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
                )
                await bot_runner(bot)
                route = discord.http.Route("POST", "/guilds/{guild_id}/mfa", guild_id=guild.id)
                with pytest.raises(discord.NotFound):
                    await bot.http.request(route, json={"level": 1})
            """
        ),
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    # the strict test's body passes; the fixture then fails it at teardown, naming the route
    assert "2 passed" in run.stdout and "1 error" in run.stdout, run.stdout[-2000:]
    assert "ERROR at teardown of test_calls_mfa" in run.stdout
    assert (
        "the bot called routes the Discord emulator does not serve: POST /guilds/{guild_id}/mfa" in run.stdout
    )


async def test_forum_posts_threads_and_webhooks(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Forums", members=[alice])  # not Administrator: overwrites apply
    general = emu.channel_named(guild, "general")
    hidden = emu.create_channel(guild, "staff-room")
    emu.set_overwrite(hidden, emu.bot_role(guild), deny=P.VIEW_CHANNEL)
    forum = emu.create_channel(
        guild, "help", type=15, available_tags=[{"name": "question"}, {"name": "solved", "moderated": True}]
    )
    synced: list[list[int]] = []
    posts: list[tuple[str, list[str]]] = []
    bot = make_bot(enable_debug_events=True)  # for on_socket_event_type

    @bot.event
    async def on_thread_create(thread: discord.Thread) -> None:
        if isinstance(thread.parent, discord.ForumChannel):
            posts.append((thread.name, sorted(t.name for t in thread.applied_tags)))

    @bot.event
    async def on_socket_event_type(event: str) -> None:
        if event == "THREAD_LIST_SYNC":
            synced.append([t.id for t in bot.get_guild(guild.id).threads])  # type: ignore[union-attr]

    await bot_runner(bot)

    # a member's forum post with a tag; the bot answers in it and posts one of its own
    post, starter = await emu.forum_post(
        forum, alice, "How do I deploy?", "Step by step please", tags=["question"]
    )
    assert starter.id == post.id and starter.channel_id == post.id
    await until(lambda: posts == [("How do I deploy?", ["question"])])
    bot_forum = bot.get_channel(forum.id)
    assert isinstance(bot_forum, discord.ForumChannel)
    solved = next(t for t in bot_forum.available_tags if t.name == "solved")
    created = await bot_forum.create_thread(name="FAQ", content="Read me first", applied_tags=[solved])
    assert created.thread.applied_tags[0].name == "solved" and created.message.id == created.thread.id

    # a webhook posts into a thread and opens a forum post
    text = bot.get_channel(general.id)
    assert isinstance(text, discord.TextChannel)
    thread = await text.create_thread(name="side talk", type=discord.ChannelType.public_thread)
    hook = await text.create_webhook(name="Relay")
    sent = await hook.send("into the thread", thread=thread, wait=True)
    assert sent.channel.id == thread.id and emu.state.message(thread.id, sent.id).webhook_id == hook.id
    forum_hook = await bot_forum.create_webhook(name="Forum relay")
    await forum_hook.send("new topic body", thread_name="From a webhook", wait=True)
    assert any(c.name == "From a webhook" and c.parent_id == forum.id for c in emu.state.channels.values())

    # auto-archive after inactivity; sending in an archived thread reopens it
    archived = emu.auto_archive_threads(idle_minutes=1440)
    assert thread.id in {c.id for c in archived}
    await until(lambda: bot.get_guild(guild.id).get_thread(thread.id) is None)  # type: ignore[union-attr]
    await emu.send_message(emu.state.channels[thread.id], alice, "anyone?")
    assert emu.state.channels[thread.id].thread.archived is False  # type: ignore[union-attr]

    # a thread in a channel the bot cannot see arrives with THREAD_LIST_SYNC once it can
    secret = emu.create_thread(hidden, alice, "secret plans")
    emu.set_overwrite(hidden, emu.bot_role(guild), allow=P.VIEW_CHANNEL)
    await until(lambda: synced and secret.id in synced[-1])


async def test_entity_selects_by_label_and_replied_user(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    alice, bob = emu.create_user("alice"), emu.create_user("bob")
    guild = emu.create_guild("Selects", members=[alice, bob])
    general = emu.channel_named(guild, "general")
    helpers = emu.create_role(guild, "helpers")
    picked: list[str] = []

    class Picker(discord.ui.View):
        @discord.ui.select(cls=discord.ui.UserSelect, custom_id="who")
        async def who(self, interaction: discord.Interaction, select: discord.ui.UserSelect[Picker]) -> None:
            picked.extend(f"user:{u.name}:{type(u).__name__}" for u in select.values)
            await interaction.response.send_message("ok", ephemeral=True)

        @discord.ui.select(cls=discord.ui.RoleSelect, custom_id="role")
        async def role(self, interaction: discord.Interaction, select: discord.ui.RoleSelect[Picker]) -> None:
            picked.extend(f"role:{r.name}" for r in select.values)
            await interaction.response.send_message("ok", ephemeral=True)

        @discord.ui.select(cls=discord.ui.ChannelSelect, custom_id="where")
        async def where(
            self, interaction: discord.Interaction, select: discord.ui.ChannelSelect[Picker]
        ) -> None:
            picked.extend(f"channel:{c.name}" for c in select.values)
            await interaction.response.send_message("ok", ephemeral=True)

        @discord.ui.select(
            custom_id="fruit", options=[discord.SelectOption(label="Red apple", value="apple")]
        )
        async def fruit(self, interaction: discord.Interaction, select: discord.ui.Select[Picker]) -> None:
            picked.append(f"fruit:{select.values[0]}")
            await interaction.response.send_message("ok", ephemeral=True)

    bot = make_bot(members=True)

    @bot.command()
    async def pick(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pick", view=Picker())

    @bot.command()
    async def quiet(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.reply("not pinging you", mention_author=False)

    @bot.command()
    async def loud(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.reply("pinging you")

    @bot.command()
    async def quoted(ctx: commands.Context[commands.Bot]) -> None:
        reference = ctx.message.reference
        assert reference is not None and isinstance(reference.resolved, discord.Message)
        await ctx.send(f"you replied to {reference.resolved.author.name}: {reference.resolved.content}")

    await bot_runner(bot)
    panel = await emu.converse(general, alice, "!pick")
    await emu.choose(panel, [bob], user=alice, custom_id="who")
    await emu.choose(panel, [helpers], user=alice, custom_id="role")
    await emu.choose(panel, [general.id], user=alice, custom_id="where")
    await emu.choose(panel, user=alice, custom_id="fruit", labels=["Red apple"])
    assert picked == ["user:bob:Member", "role:helpers", "channel:general", "fruit:apple"]
    with pytest.raises(ValueError, match="Green pear"):
        await emu.choose(panel, user=alice, custom_id="fruit", labels=["Green pear"])

    silent_reply = await emu.converse(general, alice, "!quiet")
    assert silent_reply.mention_ids == [] and silent_reply.type == 19
    pinging_reply = await emu.converse(general, alice, "!loud")
    assert pinging_reply.mention_ids == [alice.id]
    original = await emu.send_message(general, bob, "lunch at noon?")
    asked = await emu.send_message(general, alice, "!quoted", reply_to=original)
    answer = await emu.wait_for_message(general, after=asked)
    assert answer.content == "you replied to bob: lunch at noon?"


async def test_follow_and_crosspost(discord_emulator: DiscordEmulator, bot_runner) -> None:
    emu = discord_emulator
    source = emu.create_guild("Upstream")
    news = emu.create_channel(source, "releases", type=5)
    downstream = emu.create_guild("Downstream", text_channels=("updates",))
    updates = emu.channel_named(downstream, "updates")
    bot = make_bot()
    await bot_runner(bot)
    announcements = bot.get_channel(news.id)
    target = bot.get_channel(updates.id)
    assert isinstance(announcements, discord.TextChannel) and announcements.is_news()
    assert isinstance(target, discord.TextChannel)
    follower = await announcements.follow(destination=target, reason="stay informed")
    assert follower.channel_id == updates.id and follower.type is discord.WebhookType.channel_follower

    posted = await announcements.send("version 2.0 is out")
    await posted.publish()
    copy = await emu.wait_for_message(updates, author=emu.state.users[follower.id])
    assert copy.content == "version 2.0 is out" and copy.flags & 2  # IS_CROSSPOST
    assert copy.message_reference is not None and copy.message_reference["message_id"] == str(posted.id)
    assert emu.state.message(news.id, posted.id).flags & 1  # CROSSPOSTED
    with pytest.raises(discord.HTTPException, match="already been crossposted"):
        await posted.publish()


async def test_no_message_events_from_channels_the_bot_cannot_see(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Private", members=[alice], text_channels=("general", "staff"))
    general, staff = emu.channel_named(guild, "general"), emu.channel_named(guild, "staff")
    emu.set_overwrite(staff, emu.bot_role(guild), deny=P.VIEW_CHANNEL)
    seen: list[str] = []
    bot = make_bot()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    @bot.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        seen.append(f"reaction {payload.emoji}")

    await bot_runner(bot)
    secret = await emu.send_message(staff, alice, "secret")
    await emu.add_reaction(secret, "👀", alice)
    await emu.edit_message(secret, "still secret")
    await emu.start_typing(staff, alice)
    await emu.send_message(general, alice, "public")
    await until(lambda: "public" in seen)
    assert seen == ["public"]  # nothing from #staff came before the message sent after it
    emu.set_overwrite(staff, emu.bot_role(guild), allow=P.VIEW_CHANNEL)
    await emu.send_message(staff, alice, "now visible")
    await until(lambda: "now visible" in seen)
