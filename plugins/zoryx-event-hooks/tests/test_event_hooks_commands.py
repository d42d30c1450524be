"""The owners' commands end to end: ``hooks``, ``hookhistory``, ``hook enable|disable``, by prefix
and by slash; non-owners are refused; the history keeps 100 executions and 20 per event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from zoryx_event_hooks import event_hooks

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.testing import Channel, DiscordEmulator, User
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

Runner = Callable[..., Awaitable[Any]]

PLUGIN = "zoryx-event-hooks"

GREETER_EXTENSION = """
from discord.ext import commands
from zoryx_core import hookimpl


class Greeter(commands.Cog):
    def __init__(self, plugin):
        self.plugin = plugin
        self.heard = []

    @commands.command()
    async def greet(self, ctx):
        await self.plugin.emit("greet", who=ctx.author.name)
        await ctx.send("greeted")

    async def loud(self, bot, who, **kwargs):
        self.heard.append(("loud", who))

    async def quiet(self, bot, who, **kwargs):
        self.heard.append(("quiet", who))


@hookimpl
async def zoryx_setup(bot, plugin):
    cog = Greeter(plugin)
    await bot.add_cog(cog)
    bot.register_hook("greet", cog.quiet, priority=1)
    bot.register_hook("greet", cog.loud, priority=5)
"""


@pytest.fixture
def people(discord_emulator: DiscordEmulator) -> tuple[Channel, User, User]:
    emu = discord_emulator
    boss, plain = emu.create_user("boss"), emu.create_user("plain")
    guild = emu.create_guild("Hooks", members=[boss, plain])
    return emu.channel_named(guild, "general"), boss, plain


async def until(predicate: Callable[[], bool], what: str, *, tries: int = 500) -> None:
    """Poll ``predicate`` (every 20 ms, a bounded number of times) until it holds."""
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def start(tmp_path: Path, bot_runner: Runner, owner: User, **settings: Any) -> ZoryxBot:
    (tmp_path / "extensions").mkdir(exist_ok=True)
    (tmp_path / "extensions" / "greeter.py").write_text(GREETER_EXTENSION)
    config: dict[str, Any] = {"cooldowns.default_rate": 0}
    config.update({f"plugin_settings.{PLUGIN}.{key}": value for key, value in settings.items()})
    bot = make_zoryx_bot(tmp_path, plugins=[PLUGIN, "greeter"], config=config, owner_id=owner.id)
    await bot_runner(bot)
    assert bot.plugins.outcomes["greeter"].status is PluginStatus.LOADED
    await bot.tree.sync()
    return bot


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


async def test_hooks_and_hookhistory_answer_owners_by_prefix_and_slash(
    discord_emulator: DiscordEmulator,
    bot_runner: Runner,
    tmp_path: Path,
    people: tuple[Channel, User, User],
) -> None:
    emu = discord_emulator
    channel, boss, plain = people
    bot = await start(tmp_path, bot_runner, boss, workers=1)
    hooks = event_hooks(bot)
    loud, quiet = hooks.entries("greet")

    listing = (await emu.converse(channel, boss, "!hooks")).embeds[0]
    assert listing["title"].endswith("Event hooks: 2 callbacks on 1 event")
    assert "Queue: **0/1000** waiting" in listing["description"] and "**0 dropped**" in listing["description"]
    greet = fields(listing)["greet (2)"]
    assert greet.index(f"`{loud.id}` · priority **5** · `Greeter.loud` · plugin `greeter`") < greet.index(
        f"`{quiet.id}` · priority **1** · `Greeter.quiet`"
    )
    assert greet.count("✅ enabled") == 2 and "failures 0/5 in 300 s" in greet

    assert (await emu.converse(channel, plain, "!greet")).content == "greeted"
    cog: Any = bot.get_cog("Greeter")
    await until(lambda: len(cog.heard) == 2, "both callbacks ran")
    assert cog.heard == [("loud", "plain"), ("quiet", "plain")]

    history = (await emu.converse(channel, boss, "!hookhistory 5")).embeds[0]
    assert "2 most recent" in history["title"]
    runs = [(field["name"], field["value"]) for field in history["fields"]]
    assert [name.split(" · ")[1] for name, _ in runs] == ["greet", "greet"]
    assert runs[0][1].startswith("✅ **ok** · `Greeter.quiet`") and f"`{quiet.id}`" in runs[0][1]
    assert runs[1][1].startswith("✅ **ok** · `Greeter.loud`") and "`greeter`" in runs[1][1]
    assert runs[0][0].endswith("UTC · greet")

    for bad in ("0", "101"):
        refused = (await emu.converse(channel, boss, f"!hookhistory {bad}")).embeds[0]
        assert "Invalid limit" in refused["title"]
        assert "from 1 to 100" in refused["description"] and f"you gave {bad}" in refused["description"]

    slashed = await emu.run_slash("hooks", channel=channel, user=boss)
    assert f"`{loud.id}`" in fields(slashed.embeds[0])["greet (2)"]
    one = await emu.run_slash("hookhistory", channel=channel, user=boss, options={"limit": 1})
    assert "1 most recent" in one.embeds[0]["title"] and len(one.embeds[0]["fields"]) == 1
    too_many = await emu.run_slash("hookhistory", channel=channel, user=boss, options={"limit": 500})
    assert too_many.ephemeral and "from 1 to 100" in too_many.embeds[0]["description"]

    for text in ("!hooks", "!hookhistory", f"!hook disable {loud.id}"):
        refusal = await emu.converse(channel, plain, text)
        assert "for the bot's owners only" in refusal.embeds[0]["description"], text
    for command, options in (("hooks", {}), ("hookhistory", {}), ("hook enable", {"hook_id": loud.id})):
        denied = await emu.run_slash(command, channel=channel, user=plain, options=options)
        assert denied.ephemeral and "owners only" in denied.embeds[0]["description"], command
    assert not loud.disabled


async def test_history_keeps_100_overall_and_20_per_event(
    discord_emulator: DiscordEmulator,
    bot_runner: Runner,
    tmp_path: Path,
    people: tuple[Channel, User, User],
) -> None:
    emu = discord_emulator
    channel, boss, _ = people
    bot = await start(tmp_path, bot_runner, boss, workers=1)
    hooks = event_hooks(bot)
    seen: list[tuple[str, int]] = []

    async def alpha(bot: ZoryxBot, n: int, **kwargs: Any) -> None:
        seen.append(("alpha", n))

    async def beta(bot: ZoryxBot, n: int, **kwargs: Any) -> None:
        seen.append(("beta", n))

    hooks.register("alpha", alpha)
    hooks.register("beta", beta)
    for n in range(30):
        assert await hooks.emit("alpha", n=n)
    for n in range(90):
        assert await hooks.emit("beta", n=n)
    await until(lambda: len(seen) == 120, "120 runs")

    kept = hooks.history(100)
    assert len(kept) == 100 and len(hooks.history(1000)) == 100
    assert [e.event for e in kept].count("beta") == 90 and [e.event for e in kept].count("alpha") == 10
    assert all(e.event == "beta" for e in kept[:90])  # most recent first
    assert len(hooks.history(100, event="alpha")) == 20 and len(hooks.history(100, event="beta")) == 20
    assert len(bot.get_hook_history(limit=100)) == 100  # type: ignore[attr-defined]

    first = await emu.converse(channel, boss, "!hookhistory 100")
    page = first.embeds[0]
    assert "100 most recent" in page["title"] and page["footer"]["text"].endswith("Page 1/10")
    assert "last 100 executions are kept, and the last 20 of each event" in page["description"]
    assert len(page["fields"]) == 10
    second = await emu.click(first, user=boss, label="Next")
    assert second.embeds[0]["footer"]["text"].endswith("Page 2/10")

    only_alpha = (await emu.converse(channel, boss, "!hookhistory 100 alpha")).embeds[0]
    assert "20 most recent of `alpha`" in only_alpha["title"]
    assert all(name.endswith("· alpha") for name in fields(only_alpha))
    nothing = (await emu.converse(channel, boss, "!hookhistory 5 nosuchevent")).embeds[0]
    assert "No callback has run of `nosuchevent` yet." in nothing["description"]


async def test_owner_disables_and_enables_callbacks_by_id(
    discord_emulator: DiscordEmulator,
    bot_runner: Runner,
    tmp_path: Path,
    people: tuple[Channel, User, User],
) -> None:
    emu = discord_emulator
    channel, boss, _ = people
    bot = await start(
        tmp_path, bot_runner, boss, workers=1, **{"breaker.failures": 2, "breaker.cooldown": 600}
    )
    hooks = event_hooks(bot)
    calls: list[str] = []

    async def fragile(bot: ZoryxBot, **kwargs: Any) -> None:
        calls.append("fragile")
        raise ValueError("fragile broke")

    fragile_id = hooks.register("tick", fragile)
    entry = hooks.get(fragile_id)
    assert await hooks.emit("tick") and await hooks.emit("tick")
    await until(lambda: entry.errors == 2, "two failures")
    listing = json.dumps((await emu.converse(channel, boss, "!hooks")).embeds, ensure_ascii=False)
    assert "⚡ tripped until" in listing and " UTC" in listing and "2 errors" in listing

    enabled = (await emu.converse(channel, boss, f"!hook enable {fragile_id}")).embeds[0]
    assert "Hook enabled" in enabled["title"]
    assert "Was: ⚡ tripped until" in enabled["description"] and "Now: ✅ enabled" in enabled["description"]
    assert entry.state == "enabled"

    disabled = (await emu.converse(channel, boss, f"!hook disable {fragile_id}")).embeds[0]
    assert "Hook disabled" in disabled["title"] and "Now: ⛔ disabled" in disabled["description"]
    assert await bot.storage.get(PLUGIN, "disabled_hooks") == [fragile_id]
    for _ in range(3):
        await hooks.emit("tick")
    await until(lambda: entry.skips == 3, "three skips")
    assert calls == ["fragile", "fragile"]
    assert hooks.history(1, event="tick")[0].detail == "disabled by an owner"
    # registering the callback again does not switch it back on
    assert hooks.unregister("tick", fragile)
    assert hooks.register("tick", fragile) == fragile_id and hooks.get(fragile_id).state == "disabled"
    assert f"`hook enable {fragile_id}`" in json.dumps(
        (await emu.converse(channel, boss, "!hooks")).embeds, ensure_ascii=False
    )

    result = await emu.run_slash("hook enable", channel=channel, user=boss, options={"hook_id": fragile_id})
    assert "Hook enabled" in result.embeds[0]["title"]
    assert await bot.storage.get(PLUGIN, "disabled_hooks") == []
    await hooks.emit("tick")
    await until(lambda: len(calls) == 3, "the callback runs again")

    unknown = (await emu.converse(channel, boss, "!hook disable nope")).embeds[0]
    assert "Unknown hook" in unknown["title"]
    assert "`nope`" in unknown["description"] and "Run `hooks`" in unknown["description"]
    near = (await emu.converse(channel, boss, f"!hook enable {fragile_id[:-1]}x")).embeds[0]
    assert f"Did you mean `{fragile_id}`" in near["description"]
    usage = (await emu.converse(channel, boss, "!hook")).embeds[0]
    assert "hook disable <id>" in usage["description"]


async def test_a_disabled_callback_stays_disabled_after_a_restart(
    discord_emulator: DiscordEmulator,
    bot_runner: Runner,
    tmp_path: Path,
    people: tuple[Channel, User, User],
) -> None:
    emu = discord_emulator
    channel, boss, _ = people
    bot = await start(tmp_path, bot_runner, boss)
    loud = event_hooks(bot).entries("greet")[0]
    assert (
        "Hook disabled" in (await emu.converse(channel, boss, f"!hook disable {loud.id}")).embeds[0]["title"]
    )
    await bot.close()

    again = await start(tmp_path, bot_runner, boss)  # same folder: same config, storage and extension
    entry = event_hooks(again).get(loud.id)
    assert entry.name == "Greeter.loud" and entry.state == "disabled"
    assert event_hooks(again).entries("greet")[1].state == "enabled"
