"""The UI kit (zoryx_core.ui): embeds, progress bars, and views driven through the emulator."""

from __future__ import annotations

import asyncio
import datetime
import platform
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.conftest import make_bot
from zoryx_core import __version__
from zoryx_core.testing import Channel, DiscordEmulator, Message, User
from zoryx_core.ui import (
    Colors,
    EmbedKind,
    Paginator,
    ZoryxView,
    about_embed,
    confirm,
    error_embed,
    field_pages,
    info_embed,
    make_embed,
    progress_bar,
    success_embed,
    warning_embed,
)

Runner = Callable[..., Awaitable[Any]]


# --- progress bars -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "total", "width", "expected"),
    [
        (6, 10, 10, "▰▰▰▰▰▰▱▱▱▱ 60%"),
        (0, 10, 10, "▱▱▱▱▱▱▱▱▱▱ 0%"),
        (10, 10, 10, "▰▰▰▰▰▰▰▰▰▰ 100%"),
        (15, 10, 10, "▰▰▰▰▰▰▰▰▰▰ 100%"),  # over the total: full, not more
        (-3, 10, 10, "▱▱▱▱▱▱▱▱▱▱ 0%"),  # negative: empty
        (0, 0, 10, "▱▱▱▱▱▱▱▱▱▱ 0%"),  # nothing to do: no division by zero
        (5, 0, 10, "▱▱▱▱▱▱▱▱▱▱ 0%"),
        (3, -1, 4, "▱▱▱▱ 0%"),
        (29, 100, 10, "▰▰▱▱▱▱▱▱▱▱ 29%"),  # 0.29 * 100 is 28.999... in floats
        (1, 3, 5, "▰▱▱▱▱ 33%"),
        (99, 100, 10, "▰▰▰▰▰▰▰▰▰▱ 99%"),  # a full bar only when done
        (1, 2, 0, "▱ 50%"),  # width below 1 becomes 1
        (float("nan"), 10, 4, "▱▱▱▱ 0%"),
    ],
)
def test_progress_bar(value: float, total: float, width: int, expected: str) -> None:
    assert progress_bar(value, total, width=width) == expected


def test_progress_bar_options() -> None:
    assert progress_bar(1, 4, width=4, filled="#", empty="-", show_percent=False) == "#---"


# --- embeds --------------------------------------------------------------------------------------


def test_status_embeds_have_colour_emoji_timestamp_and_footer() -> None:
    for build, colour, emoji in (
        (success_embed, Colors.SUCCESS, "✅"),
        (error_embed, Colors.ERROR, "❌"),
        (warning_embed, Colors.WARNING, "⚠️"),
        (info_embed, Colors.INFO, "\u2139\ufe0f"),
    ):
        embed = build("Done", "All good", fields=[("a", "1"), ("b", "2", True)])
        assert embed.title == f"{emoji} Done"
        assert embed.colour is not None and embed.colour.value == colour
        assert embed.timestamp is not None and embed.timestamp.utcoffset() == datetime.timedelta(0)
        assert abs((discord.utils.utcnow() - embed.timestamp).total_seconds()) < 5
        assert embed.footer.text == f"Zoryx v{__version__}"
        assert [(f.name, f.value, f.inline) for f in embed.fields] == [("a", "1", False), ("b", "2", True)]
    assert success_embed("✅ Already prefixed").title == "✅ Already prefixed"
    assert error_embed("x", footer="custom").footer.text == "custom"
    menu = make_embed(EmbedKind.MENU, "Menu", color=0x123456)
    assert menu.title == "Menu" and menu.colour is not None and menu.colour.value == 0x123456
    assert make_embed("credits", "Thanks").colour == discord.Colour(Colors.CREDITS)
    assert [c.value for c in Colors] == [0x00FF00, 0xFF0000, 0xFFFF00, 0x5865F2, 0x2B2D31, 0xFFD700]


def test_embeds_are_truncated_to_discords_limits() -> None:
    embed = info_embed(
        "T" * 300,
        "D" * 5000,
        fields=[(f"name{i}" + "n" * 300, "v" * 2000) for i in range(30)],
        footer="F" * 3000,
    )
    assert embed.title is not None and len(embed.title) == 256 and embed.title.endswith("…")
    assert len(embed.fields) <= 25
    for field in embed.fields:
        assert len(field.name or "") <= 256 and len(field.value or "") <= 1024
    assert embed.footer.text is not None and len(embed.footer.text) == 2048
    assert len(embed) <= 6000
    assert embed.description is not None and embed.description.endswith("…")

    many = info_embed("Many", fields=[(str(i), "x") for i in range(30)])
    assert len(many.fields) == 25
    assert (many.fields[-1].name, many.fields[-1].value) == ("…", "6 more not shown")
    assert [f.name for f in many.fields[:24]] == [str(i) for i in range(24)]

    blank = info_embed("Blank", fields=[("", "")])
    assert (blank.fields[0].name, blank.fields[0].value) == ("\u200b", "\u200b")
    exact = info_embed("Exact", "D" * 4096)
    assert exact.description == "D" * 4096


def test_field_pages_chunk_lines() -> None:
    pages = field_pages([(f"n{i}", f"v{i}") for i in range(12)], title="Items", per_page=5)
    assert [len(p.fields) for p in pages] == [5, 5, 2]
    assert pages[2].fields[1].name == "n11"
    (empty,) = field_pages([], title="Items", empty="None yet.")
    assert empty.description == "None yet."


# --- views through the emulator ------------------------------------------------------------------


class Refuser:
    """A stand-in for ZoryxBot.permissions: refuses `guarded` while `closed` is set."""

    def __init__(self) -> None:
        self.closed = False
        self.asked: list[tuple[int, str]] = []

    async def component_refusal(self, interaction: discord.Interaction[Any], command_name: str) -> str | None:
        self.asked.append((interaction.user.id, command_name))
        return "`guarded` is closed for you now." if self.closed else None


class Exploding(ZoryxView):
    @discord.ui.button(label="Boom")
    async def boom(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Exploding]) -> None:
        raise RuntimeError("kaboom")

    @discord.ui.button(label="Late boom")
    async def late_boom(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Exploding]
    ) -> None:
        await interaction.response.send_message("working on it")
        raise RuntimeError("kaboom after answering")


class Counter(ZoryxView):
    clicks = 0

    @discord.ui.button(label="Count")
    async def count(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Counter]) -> None:
        self.clicks += 1
        await interaction.response.edit_message(content=f"clicked {self.clicks}")


def build_bot() -> commands.Bot:
    bot = make_bot()
    bot.permissions = Refuser()  # type: ignore[attr-defined]

    def pages(count: int) -> list[discord.Embed]:
        return field_pages([(f"item {i}", f"value {i}") for i in range(count)], title="Items", per_page=2)

    @bot.command(name="pages")
    async def pages_command(ctx: commands.Context[commands.Bot], count: int, timeout: float = 60) -> None:
        await Paginator(pages(count), author=ctx.author, timeout=timeout).send(ctx)

    @bot.tree.command(name="slashpages", description="Paged items")
    async def slash_pages(interaction: discord.Interaction, deferred: bool = False) -> None:
        if deferred:
            await interaction.response.defer()
        await Paginator(pages(6), author=interaction.user, timeout=0.5).send(interaction)

    @bot.command()
    async def ask(ctx: commands.Context[commands.Bot], timeout: float = 30, window: float = 10) -> None:
        ok = await confirm(ctx, "Delete everything?", author=ctx.author, timeout=timeout, arm_window=window)
        await ctx.send(f"result {ok}")

    @bot.command()
    async def boom(ctx: commands.Context[commands.Bot]) -> None:
        await Exploding(ctx.author).send(ctx, "explosives")

    @bot.command()
    async def guarded(ctx: commands.Context[commands.Bot]) -> None:
        await Counter(ctx.author, command_name="guarded", allowed_user_ids=[]).send(ctx, "guarded counter")

    @bot.command()
    async def huge(ctx: commands.Context[commands.Bot]) -> None:
        fields = [("n" * 400, "v" * 3000) for _ in range(40)]
        await ctx.send(embed=warning_embed("T" * 999, "D" * 9999, fields=fields, footer="F" * 5000))

    @bot.command()
    async def about(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send(embed=about_embed(ctx.bot))

    return bot


def buttons(message: Message) -> dict[str, dict[str, Any]]:
    """The message's buttons by label."""
    found = {}
    for row in message.components:
        for component in row.get("components") or []:
            if component.get("type") == 2:
                found[component.get("label") or ""] = component
    return found


def disabled(message: Message) -> dict[str, bool]:
    return {label: bool(button.get("disabled")) for label, button in buttons(message).items()}


def last_message(emu: DiscordEmulator, channel: Channel) -> Message:
    """The newest message in ``channel`` (ephemeral answers included)."""
    return emu.messages_in(channel)[-1]


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def world(
    discord_emulator: DiscordEmulator, bot_runner: Runner
) -> tuple[commands.Bot, Channel, User, User]:
    alice = discord_emulator.create_user("alice")
    bob = discord_emulator.create_user("bob")
    guild = discord_emulator.create_guild("UI", members=[alice, bob])
    bot = await bot_runner(build_bot())
    return bot, discord_emulator.channel_named(guild, "general"), alice, bob


async def test_paginator_buttons_follow_the_page(
    discord_emulator: DiscordEmulator, world: tuple[commands.Bot, Channel, User, User]
) -> None:
    emu = discord_emulator
    _bot, general, alice, bob = world
    message = await emu.converse(general, alice, "!pages 5")  # 3 pages of 2, 2 and 1 items
    assert list(buttons(message)) == ["First", "Previous", "Next", "Last"]
    assert disabled(message) == {"First": True, "Previous": True, "Next": False, "Last": False}
    assert message.embeds[0]["footer"]["text"] == f"Zoryx v{__version__} • Page 1/3"

    result = await emu.click(message, user=alice, label="Next")
    assert result.response_type == 7 and result.message is not None
    assert result.embeds[0]["footer"]["text"].endswith("Page 2/3")
    assert [f["name"] for f in result.embeds[0]["fields"]] == ["item 2", "item 3"]
    assert disabled(result.message) == {"First": False, "Previous": False, "Next": False, "Last": False}

    result = await emu.click(message, user=alice, label="Last")
    assert result.embeds[0]["footer"]["text"].endswith("Page 3/3")
    assert disabled(result.message) == {"First": False, "Previous": False, "Next": True, "Last": True}
    result = await emu.click(message, user=alice, label="Previous")
    assert result.embeds[0]["footer"]["text"].endswith("Page 2/3")
    result = await emu.click(message, user=alice, label="First")
    assert result.embeds[0]["footer"]["text"].endswith("Page 1/3")

    before = [dict(e) for e in message.embeds]
    refused = await emu.click(message, user=bob, label="Next")
    assert refused.ephemeral and refused.content == "❌ Only alice can use these controls."
    assert emu.state.message(general.id, message.id).embeds == before

    single = await emu.converse(general, alice, "!pages 2")
    assert single.components == []
    assert "Page" not in (single.embeds[0].get("footer") or {}).get("text", ""), "one page: no page marker"


async def test_paginator_disables_itself_on_timeout_prefix_and_slash(
    discord_emulator: DiscordEmulator, world: tuple[commands.Bot, Channel, User, User]
) -> None:
    emu = discord_emulator
    bot, general, alice, _bob = world
    message = await emu.converse(general, alice, "!pages 5 0.5")
    await wait_until(lambda: all(disabled(emu.state.message(general.id, message.id)).values()))

    await bot.tree.sync()
    answered = await emu.run_slash("slashpages", channel=general, user=alice)
    slashed = answered.message
    assert slashed is not None and not all(disabled(slashed).values())
    after_click = await emu.click(slashed, user=alice, label="Next")
    assert after_click.embeds[0]["footer"]["text"].endswith("Page 2/3")
    await wait_until(lambda: all(disabled(emu.state.message(general.id, slashed.id)).values()))

    deferred = await emu.run_slash("slashpages", channel=general, user=alice, options={"deferred": True})
    (followup,) = await deferred.wait_for_followup()
    assert buttons(followup)
    await wait_until(lambda: all(disabled(emu.state.message(general.id, followup.id)).values()))


async def test_confirm_needs_two_clicks(
    discord_emulator: DiscordEmulator, world: tuple[commands.Bot, Channel, User, User]
) -> None:
    emu = discord_emulator
    _bot, general, alice, bob = world
    prompt = await emu.converse(general, alice, "!ask")
    assert prompt.embeds[0]["title"] == "⚠️ Please confirm"
    assert prompt.embeds[0]["description"] == "Delete everything?"
    assert list(buttons(prompt)) == ["Confirm", "Cancel"]

    refused = await emu.click(prompt, user=bob, label="Confirm")
    assert refused.ephemeral and "Only alice" in refused.content

    armed = await emu.click(prompt, user=alice, label="Confirm")
    assert armed.response_type == 7 and armed.message is not None
    armed_button = buttons(armed.message)["Click again to confirm"]
    assert armed_button["style"] == discord.ButtonStyle.danger.value
    mark = last_message(emu, general)
    with pytest.raises(asyncio.TimeoutError):  # armed, not confirmed: no result yet
        await emu.wait_for_message(general, after=mark, timeout=0.3)

    done = await emu.click(prompt, user=alice, label="Click again to confirm")
    assert done.response_type == 7 and done.message is not None
    assert all(disabled(done.message).values()) and "Confirmed" in buttons(done.message)
    reply = await emu.wait_for_message(general, after=mark)
    assert reply.content == "result True"


async def test_confirm_cancel_timeout_and_arm_window(
    discord_emulator: DiscordEmulator, world: tuple[commands.Bot, Channel, User, User]
) -> None:
    emu = discord_emulator
    _bot, general, alice, _bob = world
    prompt = await emu.converse(general, alice, "!ask")
    await emu.click(prompt, user=alice, label="Confirm")
    cancelled = await emu.click(prompt, user=alice, label="Cancel")
    assert cancelled.message is not None and "Cancelled" in buttons(cancelled.message)
    assert (await emu.wait_for_message(general, after=prompt)).content == "result False"

    prompt = await emu.converse(general, alice, "!ask 0.5")
    reply = await emu.wait_for_message(general, after=prompt, timeout=5)
    assert reply.content == "result False"
    await wait_until(lambda: all(disabled(emu.state.message(general.id, prompt.id)).values()))

    prompt = await emu.converse(general, alice, "!ask 30 0.5")  # the armed state lasts 0.5 s
    await emu.click(prompt, user=alice, label="Confirm")
    await asyncio.sleep(0.6)
    rearmed = await emu.click(prompt, user=alice, label="Click again to confirm")
    assert rearmed.response_type == 7  # too late: armed again, not confirmed
    assert last_message(emu, general).id == prompt.id
    await emu.click(prompt, user=alice, label="Click again to confirm")
    assert (await emu.wait_for_message(general, after=prompt)).content == "result True"


async def test_view_errors_are_logged_and_answered_once(
    discord_emulator: DiscordEmulator,
    world: tuple[commands.Bot, Channel, User, User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    emu = discord_emulator
    _bot, general, alice, _bob = world
    message = await emu.converse(general, alice, "!boom")
    result = await emu.click(message, user=alice, label="Boom")
    assert result.ephemeral and "Something went wrong" in result.content
    assert "kaboom" in caplog.text and "RuntimeError" in caplog.text

    late = await emu.click(message, user=alice, label="Late boom")
    assert late.content == "working on it" and not late.ephemeral
    (followup,) = await late.wait_for_followup()
    assert followup.ephemeral and "Something went wrong" in followup.content
    await asyncio.sleep(0.2)
    assert len(late.followups) == 1


async def test_view_asks_the_permission_service(
    discord_emulator: DiscordEmulator, world: tuple[commands.Bot, Channel, User, User]
) -> None:
    emu = discord_emulator
    bot, general, alice, bob = world
    refuser: Refuser = bot.permissions  # type: ignore[attr-defined]
    message = await emu.converse(general, alice, "!guarded")
    assert (await emu.click(message, user=alice, label="Count")).content == "clicked 1"
    assert refuser.asked == [(alice.id, "guarded")]

    refuser.closed = True
    refused = await emu.click(message, user=alice, label="Count")
    assert refused.ephemeral and refused.content == "❌ `guarded` is closed for you now."
    assert emu.state.message(general.id, message.id).content == "clicked 1"
    outsider = await emu.click(message, user=bob, label="Count")  # not the invoker: refused first
    assert outsider.ephemeral and "Only alice" in outsider.content
    assert refuser.asked[-1] == (alice.id, "guarded")


async def test_oversized_embed_is_accepted_and_about_embed(
    discord_emulator: DiscordEmulator, world: tuple[commands.Bot, Channel, User, User]
) -> None:
    emu = discord_emulator
    bot, general, alice, _bob = world
    huge = await emu.converse(general, alice, "!huge")
    (embed,) = huge.embeds
    assert len(embed["title"]) == 256 and len(embed["fields"]) <= 25

    about = (await emu.converse(general, alice, "!about")).embeds[0]
    assert about["color"] == Colors.CREDITS
    values = {f["name"]: f["value"] for f in about["fields"]}
    assert values["Zoryx"] == f"v{__version__}"
    assert values["discord.py"] == f"v{discord.__version__}"
    assert values["Python"].endswith(platform.python_version())
    assert "discord.py" in values["🏆 Credits"] and "plugin" in about["description"]
    assert bot.user is not None and bot.user.display_name in about["title"]


def test_tab_buttons_mark_the_current_tab() -> None:
    import discord

    from zoryx_core.ui import tab_buttons

    chosen: list[str] = []

    def handler(key: str):  # type: ignore[no-untyped-def]
        async def click(interaction: object) -> None:
            chosen.append(key)

        return click

    tabs = [("one", "One", "1️⃣"), ("two", "Two", "2️⃣")]
    first, second = tab_buttons(tabs, "two", handler, row=1)
    assert (first.label, first.disabled, first.style) == ("One", False, discord.ButtonStyle.secondary)
    assert (second.label, second.disabled, second.style) == ("Two", True, discord.ButtonStyle.primary)
    assert first.row == second.row == 1


def test_one_page_marker_one_emoji_and_the_right_plural() -> None:
    from zoryx_core.ui import EmbedKind, make_embed, plural, with_page_footer

    page = make_embed(EmbedKind.INFO, "Audit log", "x", footer="Newest first · Page 1/4")
    assert with_page_footer(page, 2, 4).footer.text == "Newest first • Page 2/4"
    assert with_page_footer(with_page_footer(page, 1, 4), 1, 4).footer.text == "Newest first • Page 1/4"
    assert with_page_footer(page, 1, 1).footer.text == "Newest first"
    assert make_embed(EmbedKind.INFO, "🔌 Plugins").title == "🔌 Plugins"
    assert make_embed(EmbedKind.ERROR, "❌ second").title == "❌ second"
    assert make_embed(EmbedKind.INFO, "Bot statistics").title.endswith(" Bot statistics")
    assert [plural(n, "server") for n in (0, 1, 2, 1500)] == [
        "0 servers",
        "1 server",
        "2 servers",
        "1,500 servers",
    ]
    assert plural(1, "category") == "1 category" and plural(3, "category") == "3 categories"


def test_no_number_stands_before_a_plural_noun_without_plural() -> None:
    """The class of "1 servers": an f-string that puts a count before a plural noun must go
    through :func:`zoryx_core.ui.plural`. Constants (ALL_CAPS) are always many."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    nouns = re.compile(
        r"^\s(servers|guilds|members|users|commands|plugins|roles|channels|categories|shards|backups|"
        r"messages|files|items|errors|entries|versions|emojis|stickers|failures|samples|pages|grants)\b"
    )
    allowed = {("plugins/zoryx-marketplace/src/zoryx_marketplace/render.py", "status.value.title()")}
    found = []
    sources = [*(root / "zoryx_core").rglob("*.py"), *(root / "marketplace_client").rglob("*.py")]
    sources += [p for p in (root / "plugins").rglob("*.py") if "/src/" in str(p)]
    for path in sources:
        if "/testing/" in str(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for value, after in zip(node.values, node.values[1:], strict=False):
                if not (isinstance(value, ast.FormattedValue) and isinstance(after, ast.Constant)):
                    continue
                expression = ast.unparse(value.value)
                if not isinstance(after.value, str) or not nouns.match(after.value):
                    continue
                if re.fullmatch(r"[A-Z_][A-Z0-9_]*", expression):
                    continue
                if (str(path.relative_to(root)), expression) in allowed:
                    continue
                found.append(f"{path.relative_to(root)}:{node.lineno}: {{{expression}}}{after.value[:12]}")
    assert found == [], "\n".join(found)
