"""The built-in interactive help (plugin core.help, F-CORE-6), end to end on the emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from zoryx_core import PluginStatus, ZoryxBot, __version__, hookimpl
from zoryx_core.testing import Channel, DiscordEmulator, Guild, Message, User

BotFactory = Callable[..., Awaitable[ZoryxBot]]


class Tools(commands.Cog):
    """Handy tools for the help tests."""

    @commands.hybrid_command(aliases=["a1"])
    @commands.cooldown(2, 30, commands.BucketType.user)
    async def alpha(self, ctx: commands.Context[ZoryxBot], target: str, count: int = 1) -> None:
        """Run the alpha tool.

        It does alpha things to the target, count times."""
        await ctx.send("alpha")

    @commands.hybrid_command(description="Run the bravo tool.")
    async def bravo(self, ctx: commands.Context[ZoryxBot]) -> None:
        await ctx.send("bravo")

    @commands.command()
    async def charlie(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Run the charlie tool."""

    @commands.command()
    async def delta(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Run the delta tool."""

    @commands.command()
    async def echo(self, ctx: commands.Context[ZoryxBot], *, text: str) -> None:
        """Say it again."""

    @commands.hybrid_command()
    async def golf(self, ctx: commands.Context[ZoryxBot]) -> None:
        """A hybrid the slash limit made prefix-only (says the test's marker plugin)."""

    @app_commands.command(name="zulu", description="A slash-only tool.")
    async def zulu(self, interaction: discord.Interaction, thing: str) -> None:
        await interaction.response.send_message(f"zulu {thing}")

    @commands.command(hidden=True)
    async def secret(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Never listed."""

    @commands.command()
    @commands.is_owner()
    async def shutdownx(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Only for the bot's owners."""

    @commands.command()
    @commands.has_permissions(administrator=True)
    async def nuke(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Only for administrators."""


class Admin(commands.Cog):
    """Server administration."""

    @commands.command()
    @commands.has_permissions(administrator=True)
    async def purge(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Delete messages."""


@commands.command()
async def loose(ctx: commands.Context[ZoryxBot]) -> None:
    """A command in no cog."""


class SlashLimitMarker:
    """Stands in for the slash-limiter plugin: marks `golf` through the help marker hook."""

    @hookimpl
    def zoryx_help_marker(self, bot: ZoryxBot, command: Any) -> str | None:
        return "prefix-only (slash limit)" if getattr(command, "qualified_name", "") == "golf" else None


class Scene:
    def __init__(self, emu: DiscordEmulator, guild: Guild, alice: User, bob: User) -> None:
        self.emu = emu
        self.guild = guild
        self.alice = alice
        self.bob = bob
        self.general: Channel = emu.channel_named(guild, "general")


@pytest.fixture
def scene(discord_emulator: DiscordEmulator) -> Scene:
    alice = discord_emulator.create_user("alice")
    bob = discord_emulator.create_user("bob")
    guild = discord_emulator.create_guild("Help", members=[alice, bob])
    return Scene(discord_emulator, guild, alice, bob)


async def start(zoryx_bot: BotFactory, config: dict[str, Any] | None = None, **options: Any) -> ZoryxBot:
    # the default per-user cooldown would throttle the many `help` calls of one test
    config = {"cooldowns.default_rate": 0, **(config or {})}
    bot = await zoryx_bot(plugins=["zoryx-hello"], config=config, **options)
    assert bot.plugins.outcomes["core.help"].status is PluginStatus.LOADED  # loaded by default
    await bot.add_cog(Tools())
    await bot.add_cog(Admin())
    bot.add_command(loose)
    bot.plugins.manager.register(SlashLimitMarker(), name="test-help-marker")
    return bot


def buttons(message: Message) -> dict[str, dict[str, Any]]:
    return {
        c.get("label") or "": c
        for row in message.components
        for c in row.get("components") or []
        if c.get("type") == 2
    }


def select(message: Message) -> dict[str, Any]:
    (found,) = [c for row in message.components for c in row.get("components") or [] if c.get("type") == 3]
    return found


def enabled(message: Message) -> dict[str, bool]:
    return {label: not button.get("disabled") for label, button in buttons(message).items()}


def fields(message: Message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields") or []}


def category_count(message: Message, name: str) -> int | None:
    for option in select(message)["options"]:
        if option["label"] == name:
            return int(option["description"].split()[0])
    return None


async def test_menu_navigation_markers_and_refusal(zoryx_bot: BotFactory, scene: Scene) -> None:
    emu, general, alice, bob = scene.emu, scene.general, scene.alice, scene.bob
    await start(zoryx_bot)

    home = await emu.converse(general, alice, "!help")
    embed = home.embeds[0]
    assert embed["title"] == "📚 Help" and embed["color"] == 0x2B2D31
    assert "**Tools**: 7 commands" in embed["description"]
    assert "**Other**" in embed["description"] and "Server administration" not in embed["description"]
    assert embed["footer"]["text"].startswith(f"Zoryx v{__version__} • ")
    labels = [o["label"] for o in select(home)["options"]]
    assert "Tools" in labels and "Help" in labels and labels[-1] == "Other" and "Admin" not in labels
    assert category_count(home, "Tools") == 7 and category_count(home, "Other") == 1
    assert list(buttons(home)) == ["About"]

    page = await emu.choose(home, ["Tools"], user=alice)
    assert page.response_type == 7 and page.message is not None and page.message.id == home.id
    embed = page.embeds[0]
    assert embed["title"] == "📂 Tools" and embed["description"] == "Handy tools for the help tests."
    assert embed["footer"]["text"].endswith("Page 1/2")
    assert list(fields(page.message)) == [
        "`!alpha <target> [count=1]`",
        "`!bravo`",
        "`!charlie`",
        "`!delta`",
        "`!echo <text>`",
    ]
    values = list(fields(page.message).values())
    assert values[0] == "Run the alpha tool.\n`hybrid`"
    assert values[1] == "Run the bravo tool.\n`hybrid`"
    assert values[2] == "Run the charlie tool.\n`prefix-only`"
    assert enabled(page.message) == {"Previous": False, "Next": True, "Back": True}

    page = await emu.click(home, user=alice, label="Next")
    assert page.response_type == 7 and page.message is not None
    assert page.embeds[0]["footer"]["text"].endswith("Page 2/2")
    assert fields(page.message) == {
        "`!golf`": "A hybrid the slash limit made prefix-only (says the test's marker plugin).\n"
        "`prefix-only (slash limit)`",
        "`/zulu <thing>`": "A slash-only tool.\n`slash-only`",
    }
    assert enabled(page.message) == {"Previous": True, "Next": False, "Back": True}

    before = [dict(e) for e in emu.state.message(general.id, home.id).embeds]
    refused = await emu.click(home, user=bob, label="Previous")
    assert refused.ephemeral and refused.content == "❌ Only alice can use these controls."
    assert emu.state.message(general.id, home.id).embeds == before

    page = await emu.click(home, user=alice, label="Previous")
    assert page.embeds[0]["footer"]["text"].endswith("Page 1/2")
    back = await emu.click(home, user=alice, label="Back")
    assert back.embeds[0]["title"] == "📚 Help" and list(buttons(home)) == ["About"]

    about = await emu.click(home, user=alice, label="About")
    assert about.response_type == 7 and about.message is not None
    assert "About" in about.embeds[0]["title"] and about.embeds[0]["color"] == 0xFFD700
    assert {f["name"] for f in about.embeds[0]["fields"]} >= {"Zoryx", "discord.py", "Python"}
    assert list(buttons(about.message)) == ["Back"] and not any(
        c.get("type") == 3 for row in about.message.components for c in row["components"]
    )
    back = await emu.click(home, user=alice, label="Back")
    assert back.embeds[0]["title"] == "📚 Help"


async def test_unrunnable_commands_are_not_listed(zoryx_bot: BotFactory, scene: Scene) -> None:
    emu, general, alice, bob = scene.emu, scene.general, scene.alice, scene.bob
    await start(zoryx_bot, owner_id=alice.id)

    everyone = await emu.converse(general, bob, "!help")
    owner = await emu.converse(general, alice, "!help")
    assert category_count(everyone, "Tools") == 7 and category_count(owner, "Tools") == 8
    assert category_count(everyone, "Admin") is None  # nothing in it bob may run: not shown

    listed = await emu.choose(owner, ["Tools"], user=alice)
    assert listed.message is not None
    await emu.click(owner, user=alice, label="Next")
    names = " ".join(fields(emu.state.message(general.id, owner.id)))
    assert "shutdownx" in names and "nuke" not in names and "secret" not in names

    details = await emu.converse(general, alice, "!help shutdownx")
    assert fields(details)["Access"] == "🔒 Only the bot's owners can run this command."
    for user, name in ((bob, "shutdownx"), (alice, "nuke"), (bob, "secret"), (bob, "purge")):
        answer = await emu.converse(general, user, f"!help {name}")
        assert answer.embeds[0]["title"] == "❌ Unknown command", name


async def test_help_for_one_command_slash_and_autocomplete(zoryx_bot: BotFactory, scene: Scene) -> None:
    emu, general, alice, bob = scene.emu, scene.general, scene.alice, scene.bob
    bot = await start(zoryx_bot, owner_id=alice.id)

    details = await emu.converse(general, bob, "!help alpha")
    embed = details.embeds[0]
    assert embed["title"] == "\u2139\ufe0f Help: alpha" and embed["color"] == 0x5865F2
    assert embed["description"].startswith("Run the alpha tool.\n\nIt does alpha things")
    assert fields(details) == {
        "Usage": "`!alpha <target> [count=1]`",
        "Type": "`hybrid`",
        "Category": "Tools",
        "Aliases": "`a1`",
        "Cooldown": "2 uses every 30 s per user",
    }
    assert fields(await emu.converse(general, bob, "!help a1"))["Usage"] == "`!alpha <target> [count=1]`"
    assert fields(await emu.converse(general, bob, "!help /zulu"))["Type"] == "`slash-only`"

    unknown = await emu.converse(general, bob, "!help alpah")
    assert unknown.embeds[0]["title"] == "❌ Unknown command" and unknown.embeds[0]["color"] == 0xFF0000
    assert unknown.embeds[0]["description"] == (
        "There is no command named `alpah` that you can use.\nDid you mean `alpha`?"
    )

    await bot.tree.sync()
    slashed = await emu.run_slash("help", channel=general, user=bob)
    assert slashed.response_type == 4 and slashed.embeds[0]["title"] == "📚 Help"
    assert slashed.message is not None and not slashed.ephemeral
    page = await emu.choose(slashed.message, ["Tools"], user=bob)
    assert page.response_type == 7 and page.embeds[0]["title"] == "📂 Tools"
    assert "`!alpha <target> [count=1]`" in fields(emu.state.message(general.id, slashed.message.id))
    refused = await emu.click(slashed.message, user=alice, label="Next")
    assert refused.ephemeral and refused.content == "❌ Only bob can use these controls."

    one = await emu.run_slash("help", channel=general, user=bob, options={"command": "zulu"})
    assert one.message is not None and fields(one.message)["Usage"] == "`/zulu <thing>`"
    missing = await emu.run_slash("help", channel=general, user=bob, options={"command": "zulo"})
    assert missing.ephemeral and "Did you mean `zulu`?" in missing.embeds[0]["description"]

    choices = await emu.autocomplete("help", focused="command", value="al", channel=general, user=bob)
    assert [c["value"] for c in choices] == ["alpha"]
    for user, expected in ((bob, []), (alice, ["shutdownx"])):
        choices = await emu.autocomplete("help", focused="command", value="shut", channel=general, user=user)
        assert [c["value"] for c in choices] == expected


async def test_controls_are_disabled_after_the_timeout(zoryx_bot: BotFactory, scene: Scene) -> None:
    emu, general, alice = scene.emu, scene.general, scene.alice
    await start(zoryx_bot, config={"help.timeout": 1})
    home = await emu.converse(general, alice, "!help")
    await emu.choose(home, ["Tools"], user=alice)

    def controls() -> list[dict[str, Any]]:
        message = emu.state.message(general.id, home.id)
        return [c for row in message.components for c in row.get("components") or []]

    assert not all(c.get("disabled") for c in controls())
    deadline = time.monotonic() + 5
    while not all(c.get("disabled") for c in controls()):
        assert time.monotonic() < deadline, controls()
        await asyncio.sleep(0.05)
    assert len(controls()) == 4  # the dropdown, Previous, Next, Back: all still there, disabled
    with pytest.raises(ValueError, match="disabled"):
        await emu.click(emu.state.message(general.id, home.id), user=alice, label="Back")


def extra_cog(number: int) -> commands.Cog:
    class Extra(commands.Cog, name=f"Extra{number:02}"):
        @commands.command(name=f"extra{number:02}")
        async def run(self, ctx: commands.Context[ZoryxBot]) -> None:
            """An extra command."""

    return Extra()


async def test_many_categories_page_the_dropdown(zoryx_bot: BotFactory, scene: Scene) -> None:
    emu, general, alice = scene.emu, scene.general, scene.alice
    bot = await start(zoryx_bot)
    for number in range(30):
        await bot.add_cog(extra_cog(number))
    home = await emu.converse(general, alice, "!help")
    first = [o["label"] for o in select(home)["options"]]
    assert len(first) == 24 and first[-1] == "More categories" and first[0] == "Extra00"

    await emu.choose(home, ["zoryx:help:more-categories"], user=alice)
    second = [o["label"] for o in select(emu.state.message(general.id, home.id))["options"]]
    assert second[0] == "Previous categories" and second[-1] == "Other" and "More categories" not in second
    shown = first[:-1] + second[1:]  # every category once, in order
    assert shown == sorted(set(shown), key=lambda name: (name == "Other", name.lower()))
    assert [name for name in shown if name.startswith("Extra")] == [f"Extra{n:02}" for n in range(30)]
    assert "Tools" in shown and "Admin" not in shown

    page = await emu.choose(home, ["Extra29"], user=alice)
    assert page.embeds[0]["title"] == "📂 Extra29"
    assert list(fields(emu.state.message(general.id, home.id))) == ["`!extra29`"]
    page = await emu.choose(home, ["zoryx:help:previous-categories"], user=alice)
    assert page.embeds[0]["title"] == "📂 Extra29"  # paging the dropdown keeps the page shown
    assert select(emu.state.message(general.id, home.id))["options"][0]["label"] == "Extra00"
