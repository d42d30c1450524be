"""A plain discord.py bot round-trips every kind of interaction through the emulator (F-EMU-1)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from tests.conftest import make_bot
from zoryx_core.testing import Channel, DiscordEmulator, Guild, P, User


class Greeting(discord.ui.Modal, title="Greeting"):
    name: discord.ui.TextInput[Greeting] = discord.ui.TextInput(label="Your name", custom_id="name")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Nice to meet you, {self.name.value}!")


class Panel(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.clicks = 0

    @discord.ui.button(label="Count", custom_id="panel:count", style=discord.ButtonStyle.primary)
    async def count(self, interaction: discord.Interaction, button: discord.ui.Button[Panel]) -> None:
        self.clicks += 1
        await interaction.response.edit_message(content=f"clicked {self.clicks}")

    @discord.ui.select(
        custom_id="panel:colour",
        options=[discord.SelectOption(label=c, value=c) for c in ("red", "green", "blue")],
    )
    async def colour(self, interaction: discord.Interaction, select: discord.ui.Select[Panel]) -> None:
        await interaction.response.send_message(f"you chose {select.values[0]}", ephemeral=True)

    @discord.ui.button(label="Greet", custom_id="panel:greet")
    async def greet(self, interaction: discord.Interaction, button: discord.ui.Button[Panel]) -> None:
        await interaction.response.send_modal(Greeting())


def build_bot(*, members: bool = False) -> commands.Bot:
    bot = make_bot(members=members)

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    @bot.hybrid_command(description="Adds two numbers")
    async def add(ctx: commands.Context[commands.Bot], a: int, b: int) -> None:
        await ctx.send(f"{a} + {b} = {a + b}")

    @bot.tree.command(description="Shows a role")
    @app_commands.describe(role="The role to show")
    async def whois(interaction: discord.Interaction, role: discord.Role) -> None:
        await interaction.response.send_message(
            f"{role.name} has {len(role.members)} members", ephemeral=True
        )

    @bot.tree.command(description="Slow answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await interaction.followup.send("done thinking")  # becomes the deferred answer
        await interaction.followup.send("and a second message", ephemeral=False)

    @bot.command()
    async def panel(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("panel", view=Panel())

    return bot


async def _world(emu: DiscordEmulator) -> tuple[User, Guild, Channel]:
    alice = emu.create_user("alice")
    guild = emu.create_guild("Round Trip", members=[alice])
    return alice, guild, emu.channel_named(guild, "general")


async def test_prefix_command_round_trip(discord_emulator: DiscordEmulator, bot_runner) -> None:
    alice, _guild, general = await _world(discord_emulator)
    await bot_runner(build_bot())
    reply = await discord_emulator.converse(general, alice, "!ping")
    assert reply.content == "pong"
    assert reply.author_id == discord_emulator.bot_user.id
    # an unknown command gets no answer: the next reply after it belongs to the next command
    unknown = await discord_emulator.send_message(general, alice, "!unknown")
    await discord_emulator.send_message(general, alice, "!ping")
    following = await discord_emulator.wait_for_message(general, after=unknown)
    assert following.content == "pong"
    bot_replies = [m.content for m in discord_emulator.messages_in(general) if m.author_id != alice.id]
    assert bot_replies == ["pong", "pong"]


async def test_hybrid_command_used_both_ways(discord_emulator: DiscordEmulator, bot_runner) -> None:
    alice, _guild, general = await _world(discord_emulator)
    bot = await bot_runner(build_bot())
    synced = await bot.tree.sync()
    assert {c.name for c in synced} == {"add", "whois", "slow"}
    by_prefix = await discord_emulator.converse(general, alice, "!add 2 3")
    assert by_prefix.content == "2 + 3 = 5"
    by_slash = await discord_emulator.run_slash("add", channel=general, user=alice, options={"a": 4, "b": 5})
    assert by_slash.content == "4 + 5 = 9"
    assert not by_slash.ephemeral
    assert by_slash.message is not None and by_slash.message.interaction_metadata["name"] == "add"


async def test_slash_command_with_resolved_role_and_deferral(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    alice, guild, general = await _world(discord_emulator)
    mods = discord_emulator.create_role(guild, "mods", permissions=P.KICK_MEMBERS)
    discord_emulator.set_member_roles(guild, alice, [mods])
    bot = await bot_runner(build_bot(members=True))  # role.members reads the member cache
    await bot.tree.sync()
    result = await discord_emulator.run_slash("whois", channel=general, user=alice, options={"role": mods})
    assert result.content == "mods has 1 members"
    assert result.ephemeral
    # ephemeral answers never reach the channel as MESSAGE_CREATE and are not in history
    assert all(m.id != result.message.id for m in [m async for m in bot.get_channel(general.id).history()])

    deferred = await discord_emulator.run_slash("slow", channel=general, user=alice)
    assert deferred.response_type == 5
    first, second = await deferred.wait_for_followup(2)
    # as on Discord, the first follow-up replaces the "thinking" message, keeping the
    # ephemerality chosen when deferring; the next ones are messages of their own
    assert first.id == deferred.record.original_message_id
    assert first.content == "done thinking" and first.ephemeral and not first.flags & 128
    assert second.id != first.id and second.content == "and a second message" and not second.ephemeral


async def test_button_select_and_modal(discord_emulator: DiscordEmulator, bot_runner) -> None:
    alice, _guild, general = await _world(discord_emulator)
    await bot_runner(build_bot())
    panel = await discord_emulator.converse(general, alice, "!panel")
    # discord.py packs the two buttons into one row and the select into the next
    assert [len(row["components"]) for row in panel.components] == [2, 1]

    clicked = await discord_emulator.click(panel, user=alice, label="Count")
    assert clicked.response_type == 7
    assert clicked.content == "clicked 1"
    again = await discord_emulator.click(panel, user=alice, custom_id="panel:count")
    assert again.content == "clicked 2"

    chosen = await discord_emulator.choose(panel, ["green"], user=alice)
    assert chosen.content == "you chose green"
    assert chosen.ephemeral

    opened = await discord_emulator.click(panel, user=alice, label="Greet")
    assert opened.response_type == 9
    assert opened.modal is not None and opened.modal["title"] == "Greeting"
    submitted = await discord_emulator.submit_modal(opened, {"name": "Alice"})
    assert submitted.content == "Nice to meet you, Alice!"


async def test_interaction_can_only_be_answered_once(discord_emulator: DiscordEmulator, bot_runner) -> None:
    alice, _guild, general = await _world(discord_emulator)
    bot = build_bot()
    errors: list[BaseException] = []

    @bot.tree.command(description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        try:
            await interaction.response.send_message("second")
        except discord.InteractionResponded as exc:  # discord.py itself refuses
            errors.append(exc)
        try:
            await interaction.followup.send("a follow-up is fine")
        except discord.HTTPException as exc:
            errors.append(exc)

    await bot_runner(bot)
    await bot.tree.sync()
    result = await discord_emulator.run_slash("twice", channel=general, user=alice)
    assert result.content == "first"
    await result.wait_for_followup()
    assert [type(e) for e in errors] == [discord.InteractionResponded]


async def test_command_sync_refuses_the_101st_global_command(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    bot = await bot_runner(make_bot())
    assert bot.application_id == discord_emulator.application_id
    # discord.py's tree already refuses a 101st command locally, so send the bulk overwrite itself
    payloads = [{"name": f"cmd{i}", "description": "x", "type": 1} for i in range(101)]
    try:
        await bot.http.bulk_upsert_global_commands(bot.application_id, payloads)
    except discord.HTTPException as exc:
        assert exc.status == 400 and exc.code == 30032
    else:
        raise AssertionError("registering 101 global chat commands must fail like Discord")
    assert discord_emulator.state.global_commands == {}
    # context-menu commands have their own cap and do not count against the 100
    payloads = [*payloads[:100], {"name": "Inspect", "type": 3}]
    assert len(await bot.http.bulk_upsert_global_commands(bot.application_id, payloads)) == 101
    fetched = await bot.tree.fetch_commands()
    assert len(fetched) == 101


async def test_bot_without_manage_roles_gets_forbidden(discord_emulator: DiscordEmulator, bot_runner) -> None:
    guild_model = discord_emulator.create_guild("Locked", bot_permissions=P.VIEW_CHANNEL | P.SEND_MESSAGES)
    bot = await bot_runner(make_bot())
    guild = bot.get_guild(guild_model.id)
    assert guild is not None and not guild.me.guild_permissions.manage_roles
    try:
        await guild.create_role(name="nope")
    except discord.Forbidden as exc:
        assert exc.code == 50013
    else:
        raise AssertionError("creating a role without Manage Roles must be refused")
    assert [r.name for r in guild_model.roles.values() if r.name == "nope"] == []
    # once granted, the same call works and discord.py's cache sees the new role through the gateway
    discord_emulator.set_bot_permissions(guild_model, P.VIEW_CHANNEL | P.SEND_MESSAGES | P.MANAGE_ROLES)
    role = await guild.create_role(name="allowed")
    created = (
        await bot.wait_for("guild_role_create", check=lambda r: r.id == role.id, timeout=5)
        if guild.get_role(role.id) is None
        else guild.get_role(role.id)
    )
    assert created.name == "allowed"
