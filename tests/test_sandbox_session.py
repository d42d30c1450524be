"""The sandbox session drives a real discord.py bot on the emulator and shows what it answered."""

from __future__ import annotations

import asyncio
import builtins
import io

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from rich.console import Console

from tests.conftest import make_bot
from zoryx_core.sandbox import SandboxSession, message_to_text, modal_to_text
from zoryx_core.testing import DiscordEmulator, Message


class Greeting(discord.ui.Modal, title="Greeting"):
    name: discord.ui.TextInput[Greeting] = discord.ui.TextInput(label="Your name", custom_id="name")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Nice to meet you, {self.name.value}!")


class Panel(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.clicks = 0
        self.add_item(discord.ui.Button(label="Docs", url="https://example.com/docs"))

    @discord.ui.button(label="Count", custom_id="panel:count", style=discord.ButtonStyle.primary)
    async def count(self, interaction: discord.Interaction, button: discord.ui.Button[Panel]) -> None:
        self.clicks += 1
        await interaction.response.edit_message(content=f"clicked {self.clicks}")

    @discord.ui.button(label="Greet", custom_id="panel:greet")
    async def greet(self, interaction: discord.Interaction, button: discord.ui.Button[Panel]) -> None:
        await interaction.response.send_modal(Greeting())

    @discord.ui.select(
        custom_id="panel:colour",
        placeholder="Pick a colour",
        options=[discord.SelectOption(label=c.title(), value=c) for c in ("red", "green", "blue")],
    )
    async def colour(self, interaction: discord.Interaction, select: discord.ui.Select[Panel]) -> None:
        await interaction.response.send_message(f"you chose {select.values[0]}", ephemeral=True)


def build_bot() -> commands.Bot:
    bot = make_bot()

    @bot.command()
    async def info(ctx: commands.Context[commands.Bot]) -> None:
        embed = discord.Embed(title="Server info", description="A small guild", colour=0x3498DB)
        embed.add_field(name="Members", value="2", inline=True)
        embed.set_footer(text="sandbox")
        await ctx.send(embed=embed)

    @bot.command()
    async def whoami(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send(f"you are {ctx.author.name} in #{getattr(ctx.channel, 'name', '?')}")

    @bot.command()
    async def later(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("first")
        await asyncio.sleep(0.3)
        await ctx.send("late")

    @bot.command()
    async def react(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.message.add_reaction("👍")

    @bot.command()
    async def dm(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.author.send("psst")

    @bot.command()
    async def panel(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("panel", view=Panel())

    @bot.hybrid_command(description="Adds two numbers")
    async def add(ctx: commands.Context[commands.Bot], a: int, b: int) -> None:
        await ctx.send(f"{a} + {b} = {a + b}")

    maths = app_commands.Group(name="maths", description="Arithmetic")

    @maths.command(description="Multiplies")
    async def mul(interaction: discord.Interaction, x: int, y: int) -> None:
        await interaction.response.send_message(f"{x} * {y} = {x * y}", ephemeral=True)

    bot.tree.add_command(maths)

    @bot.tree.command(description="Slow answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("done thinking")

    @bot.tree.command(description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None

    return bot


async def test_scripted_conversation(discord_emulator: DiscordEmulator, bot_runner) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Sandbox", members=[alice], text_channels=("general", "random"))
    general = discord_emulator.channel_named(guild, "general")
    bot = await bot_runner(build_bot())
    await bot.tree.sync()
    output = io.StringIO()
    session = SandboxSession(
        discord_emulator,
        guild,
        general,
        alice,
        console=Console(file=output, width=100, color_system=None),
        reply_timeout=2.0,
        settle=0.1,
    )

    played = await session.run_script(
        [
            "# a comment, then a blank line: both ignored",
            "",
            "!info",
            "/add a=2 b=40",
            '/maths mul x=6 y="7"',
            "/slow",
            "!panel",
            ":click Count",
            ":choose panel:colour Green",
            ":click panel:greet",
            ':modal name="Alice Smith"',
        ]
    )
    text = "\n".join(played)
    assert "# a comment" not in text
    assert "alice> !info" in text and "alice> /add a=2 b=40" in text
    # the embed reply, with the bot marked
    assert "Zoryx Test Bot [BOT]" in text
    assert "▌ Server info" in text and "▌ Members" in text and "▌ sandbox" in text
    # slash commands: option values typed from the command's options, subcommands by path
    assert "╭─ alice used /add" in text and "2 + 40 = 42" in text
    assert "6 * 7 = 42" in text
    assert "(ephemeral: only you can see this)" in text
    # a deferred response shows its follow-up, not the loading placeholder
    assert "done thinking" in text and "is thinking" not in text
    # the panel: buttons with their ids and styles, the link, the select and its options
    assert "[Count] (id: panel:count) primary" in text
    assert "[Greet] (id: panel:greet) secondary" in text
    assert "[Docs] ↗ https://example.com/docs link" in text
    assert '▾ select "Pick a colour" (id: panel:colour) options: Red=red, Green=green, Blue=blue' in text
    # clicking edits the panel; choosing by option label answers ephemerally
    after_click = text.split("alice> :click Count", 1)[1].split("alice> :choose", 1)[0]
    assert "(edited)" in after_click and "clicked 1" in after_click
    after_choose = text.split("alice> :choose", 1)[1].split("alice> :click panel:greet", 1)[0]
    assert "you chose green" in after_choose and "(ephemeral: only you can see this)" in after_choose
    # the modal is shown with its fields, then submitted
    assert "▌ modal Greeting" in text and "▌ Your name (id: name) short, required" in text
    assert "Nice to meet you, Alice Smith!" in text
    assert session.transcript == played
    assert "Server info" in output.getvalue()


async def test_switching_member_and_channel_and_input_errors(
    discord_emulator: DiscordEmulator, bot_runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Sandbox", members=[alice], text_channels=("general", "random"))
    general = discord_emulator.channel_named(guild, "general")
    bot = await bot_runner(build_bot())
    await bot.tree.sync()
    session = SandboxSession(
        discord_emulator,
        guild,
        general,
        alice,
        console=Console(file=io.StringIO(), width=100),
        reply_timeout=0.4,
        settle=0.1,
    )

    switched = await session.handle(":as bob")
    assert switched == ["now acting as bob (new user, joined Sandbox)"]
    assert await session.handle(":channel #random") == ["now in #random"]
    reply = "\n".join(await session.handle("!whoami"))
    assert "you are bob in #random" in reply

    # what the bot does besides replying here: reactions, direct messages, late messages
    assert await session.handle("!react") == ['reactions on bob\'s message "!react": 👍 1']
    assert await session.handle("!dm") == ["in a direct message:", "Zoryx Test Bot [BOT]", "  psst"]
    assert "first" in "\n".join(await session.handle("!later"))
    assert "late" in "\n".join(await session.handle(":wait 0.4"))

    async def one_line(line: str) -> str:
        lines = await session.handle(line)
        assert len(lines) == 1, lines
        return lines[0]

    assert (await one_line(":frobnicate")).startswith("error: unknown command ':frobnicate'")
    assert "must be a whole number" in await one_line("/add a=x b=1")
    assert "no slash command /nope" in await one_line("/nope")
    assert "needs a subcommand: mul" in await one_line("/maths")
    assert "no button 'Nope'" in await one_line(":click Nope")
    assert "no modal is open" in await one_line(":modal name=x")
    assert "no channel #nowhere" in await one_line(":channel nowhere")
    assert "cannot read" in await one_line(':click "unclosed')
    assert await one_line("/silent") == (
        'the bot did not respond to /silent within 0.4s (Discord shows "This interaction failed")'
    )
    assert await one_line("nobody answers this") == "(no reply)"
    assert "input:" in await session.handle(":help")
    assert await session.handle(":quit") == ["(session ended)"]
    assert session.finished

    # interactive mode reads lines without blocking the loop, until :quit
    typed = iter(["!whoami", "", ":quit", "never read"])
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(builtins, "input", fake_input)
    again = SandboxSession(
        discord_emulator, guild, general, alice, console=Console(file=io.StringIO()), settle=0.1
    )
    await again.interactive()
    assert prompts == ["alice> "] * 3
    assert "alice> !whoami" in again.transcript and "  you are alice in #general" in again.transcript


def test_render_message_with_embed_and_components() -> None:
    message = {
        "id": "10",
        "author": {"id": "1", "username": "helper", "bot": True},
        "content": "hello <@2>",
        "mentions": [{"id": "2", "username": "alice"}],
        "flags": 64,
        "edited_timestamp": "2024-05-01T10:00:00+00:00",
        "embeds": [
            {
                "title": "Report",
                "url": "https://example.com/report",
                "description": "All good",
                "color": 0xFF0000,
                "author": {"name": "Monitor"},
                "fields": [
                    {"name": "CPU", "value": "3%", "inline": True},
                    {"name": "RAM", "value": "1 GB", "inline": True},
                    {"name": "Notes", "value": "none", "inline": False},
                ],
                "footer": {"text": "checked"},
                "timestamp": "2024-05-01T10:00:00+00:00",
                "image": {"url": "https://example.com/graph.png"},
                "thumbnail": {"url": "https://example.com/icon.png"},
            }
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 3, "label": "Ack", "custom_id": "ack", "emoji": {"name": "✅"}},
                    {"type": 2, "style": 4, "label": "Stop", "custom_id": "stop", "disabled": True},
                    {"type": 2, "style": 5, "label": "Open", "url": "https://example.com"},
                ],
            },
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "custom_id": "level",
                        "placeholder": "Level",
                        "max_values": 2,
                        "options": [{"label": "Low", "value": "1"}, {"label": "High", "value": "2"}],
                    }
                ],
            },
        ],
        "attachments": [{"filename": "log.txt", "size": 2048}],
        "reactions": [{"emoji": {"name": "👍", "id": None}, "count": 3}],
    }
    text = message_to_text(message)
    lines = text.splitlines()
    assert lines[0] == "helper [BOT] (edited) (ephemeral: only you can see this)"
    assert lines[1] == "  hello @alice"
    assert "  ▌ Monitor" in lines
    assert "  ▌ Report <https://example.com/report>" in lines
    assert "  ▌ CPU   RAM" in lines and "  ▌ 3%    1 GB" in lines
    assert "  ▌ Notes" in lines
    assert "  ▌ image: https://example.com/graph.png" in lines
    assert "  ▌ thumbnail: https://example.com/icon.png" in lines
    assert "  ▌ checked • 2024-05-01 10:00 UTC" in lines
    assert (
        "  [✅ Ack] (id: ack) success  [Stop] (id: stop) danger, disabled  [Open] ↗ https://example.com link"
        in lines
    )
    assert '  ▾ select "Level" (id: level) pick 1-2 options: Low=1, High=2' in lines
    assert "  📎 log.txt (2.0 KB)" in lines
    assert "  👍 3" in lines
    # a row too wide for the terminal moves whole controls to the next line
    narrow = message_to_text(message, width=60).splitlines()
    assert "  [Open] ↗ https://example.com link" in narrow

    stored = Message(id=5, channel_id=1, author_id=7, content="plain", application_id=3)
    assert message_to_text(stored, author_name="bot") == "bot [BOT]\n  plain"
    modal = {
        "title": "Feedback",
        "custom_id": "fb",
        "components": [
            {"type": 18, "label": "Comment", "component": {"type": 4, "custom_id": "c", "style": 2}},
        ],
    }
    assert modal_to_text(modal).splitlines() == [
        "▌ modal Feedback (id: fb)",
        "▌ Comment (id: c) paragraph, required",
    ]


async def test_reactions_context_menus_leaving_and_bans(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    emu = discord_emulator
    alice, bob, carol = emu.create_user("alice"), emu.create_user("bob"), emu.create_user("carol")
    guild = emu.create_guild("Sandbox", owner=alice, members=[bob, carol])
    general = emu.channel_named(guild, "general")
    bot = make_bot(members=True)
    bot.intents.reactions = True

    @bot.event
    async def on_reaction_add(reaction: discord.Reaction, user: discord.User) -> None:
        await reaction.message.channel.send(f"{user.name} reacted {reaction.emoji}")

    @bot.event
    async def on_member_remove(member: discord.Member) -> None:
        await general_channel().send(f"goodbye {member.name}")

    @bot.event
    async def on_member_ban(guild_: discord.Guild, user: discord.User) -> None:
        await general_channel().send(f"{user.name} was banned")

    def general_channel() -> discord.TextChannel:
        channel = bot.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        return channel

    @bot.tree.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}")

    @bot.tree.context_menu(name="Profile")
    async def profile(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"{member.name} joined this server")

    await bot_runner(bot)
    await bot.tree.sync()
    session = SandboxSession(
        emu,
        guild,
        general,
        alice,
        console=Console(file=io.StringIO(), width=100, color_system=None),
        reply_timeout=2.0,
        settle=0.1,
    )
    text = "\n".join(
        await session.run_script(
            [
                "hello there",
                ":react 👋",
                ":menu Quote",
                ":menu Profile bob",
                ":as carol",
                ":leave",
                ":as alice",
                ":ban bob spamming",
                ":menu Nope",
            ]
        )
    )
    assert "alice reacted 👋" in text
    assert "> hello there" in text
    assert "bob joined this server" in text
    assert "goodbye carol" in text
    assert "bob was banned" in text and bob.id in guild.bans
    assert "error: no command 'Nope'" in text


def test_discord_markdown_is_rendered_as_discord_shows_it() -> None:
    from datetime import UTC, datetime

    from zoryx_core.sandbox.markdown import MentionNames, discord_text

    names = MentionNames(users={"11": "alice"}, channels={"22": "general"}, roles={"33": "Helpers"})
    now = datetime(2026, 1, 1, tzinfo=UTC)
    text = discord_text(
        "**bold** *it* __under__ ~~gone~~ `code` <@11> <#22> <@&33> <@99>\n"
        "> quoted\n# Title\n<t:0:D> <t:1767225600:R> <t:1767232800:R>\n```py\nprint(1)\n```",
        names,
        now=now,
    )
    plain = text.plain
    assert plain.splitlines()[0] == "bold it under gone code @alice #general @Helpers @unknown-user"
    assert "▎ quoted" in plain and "\nTitle\n" in plain
    assert "1 January 1970 0 seconds ago in 2 hours" in plain
    assert plain.endswith("print(1)")
    styles = {plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert "bold" in styles["bold"] and "italic" in styles["it"] and "underline" in styles["under"]
    assert "strike" in styles["gone"] and "bold underline" in styles["Title"]


async def test_typed_mentions_reach_the_bot_and_replies_show_names(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Sandbox", members=[alice], text_channels=("general", "random"))
    general = discord_emulator.channel_named(guild, "general")
    bot = make_bot(prefix=commands.when_mentioned_or("!"))

    @bot.command()
    async def where(ctx: commands.Context[commands.Bot], channel: discord.TextChannel) -> None:
        await ctx.send(f"**{ctx.author.name}** asked about {channel.mention} at <t:0:D>")

    await bot_runner(bot)
    output = io.StringIO()
    session = SandboxSession(
        discord_emulator,
        guild,
        general,
        alice,
        console=Console(file=output, width=100, color_system=None),
        reply_timeout=2.0,
        settle=0.1,
    )
    played = "\n".join(await session.run_script(["@zoryx test bot where #random"]))
    assert "alice asked about #random at 1 January 1970" in played, played


async def test_an_unanswered_message_ends_when_the_bot_is_idle_not_at_the_timeout(
    discord_emulator: DiscordEmulator, bot_runner
) -> None:
    """With the bot in this process the session knows when it has done all it will: an input it
    does not answer reports "(no reply)" long before ``reply_timeout`` (here 10 minutes)."""
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Quiet", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    bot = await bot_runner(build_bot())
    session = SandboxSession(
        discord_emulator,
        guild,
        general,
        alice,
        console=Console(file=io.StringIO(), width=100, color_system=None),
        reply_timeout=600.0,
        settle=0.1,
        bot=bot,
    )
    played = await asyncio.wait_for(session.run_script(["just chatting", "!info"]), timeout=60)
    text = "\n".join(played)
    assert "alice> just chatting\n(no reply)" in text
    assert "Server info" in text
