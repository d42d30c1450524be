"""`diagnostics`, `diagnostics history`, `diagnostics errors` and `diagnostics stalls` by prefix
and by slash, for bot owners only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zoryx_diagnostics import diagnostics

if TYPE_CHECKING:
    from conftest import Poll, Starter, World

REPORT_FIELDS = {
    "System",
    "Platform",
    "Bot",
    "Commands",
    "Rates (last 5 min)",
    "Event-loop lag",
    "Blocked event loop",
    "Gateway latency",
    "Plugins and load times",
    "Database",
    "Health checks",
}


def _fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def _check_report(embed: dict[str, Any]) -> None:
    assert embed["title"].endswith("Diagnostics: healthy"), embed["title"]
    fields = _fields(embed)
    assert set(fields) == REPORT_FIELDS
    assert "Python 3." in fields["Platform"] and "discord.py 2." in fields["Platform"]
    assert "Guilds 1" in fields["Bot"] and "Shards 1" in fields["Bot"]
    assert "Failures 1, user errors 0" in fields["Rates (last 5 min)"]
    assert (
        "`zoryx-diagnostics`" in fields["Plugins and load times"]
        and " ms" in fields["Plugins and load times"]
    )
    assert "main.db quick_check ok" in fields["Database"]
    assert "✅ `zoryx-diagnostics` lag sampler: running" in fields["Health checks"]
    assert "Threads" in fields["System"] and "MiB RSS" in fields["System"]


async def test_commands_answer_owners_by_prefix_and_slash(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    emu = world.emu
    bot = await start_bot(extensions=["workload"], settings={"report_interval_seconds": 3600})
    await bot.tree.sync()
    diag = diagnostics(bot)
    await emu.converse(world.general, world.plain, "!boom")
    await poll(lambda: len(diag.errors) == 1, what="the failure to reach the error log")

    _check_report((await emu.converse(world.general, world.boss, "!diagnostics")).embeds[0])
    slashed = await emu.run_slash("diagnostics show", channel=world.general, user=world.boss)
    answer = (await slashed.wait_for_followup())[-1]
    assert answer.ephemeral
    _check_report(answer.embeds[0])

    for _ in range(8):
        await diag.write_report()
    history = await emu.converse(world.general, world.boss, "!diagnostics history")
    first = history.embeds[0]
    assert first["title"].endswith("Diagnostics history") and first["footer"]["text"].endswith("Page 1/2")
    assert first["description"].startswith("8 reports, newest first")
    assert len(first["fields"]) == 6 and all(
        "✅" in f["name"] and "healthy" in f["name"] for f in first["fields"]
    )
    second = await emu.click(history, user=world.boss, label="Next")
    assert second.embeds[0]["footer"]["text"].endswith("Page 2/2") and len(second.embeds[0]["fields"]) == 2
    slashed = await emu.run_slash("diagnostics history", channel=world.general, user=world.boss)
    assert slashed.ephemeral and slashed.embeds[0]["footer"]["text"].endswith("Page 1/2")

    errors = await emu.converse(world.general, world.boss, "!diagnostics errors")
    fields = _fields(errors.embeds[0])
    assert list(fields) == ["❌ boom: RuntimeError"]
    assert fields["❌ boom: RuntimeError"].startswith("boom on purpose\n")
    assert "UTC • prefix • failure" in fields["❌ boom: RuntimeError"]
    slashed = await emu.run_slash("diagnostics errors", channel=world.general, user=world.boss)
    assert slashed.ephemeral and "❌ boom: RuntimeError" in _fields(slashed.embeds[0])


async def test_non_owners_are_refused_and_the_refusals_are_logged_as_user_errors(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    emu = world.emu
    bot = await start_bot()
    await bot.tree.sync()
    diag = diagnostics(bot)
    for text in ("!diagnostics", "!diagnostics history", "!diagnostics errors"):
        refused = await emu.converse(world.general, world.plain, text)
        # The refusal names the subcommand typed (``diagnostics history``), not only the group.
        assert f"`{text[1:]}` is for the bot's owners only." in refused.embeds[0]["description"], text
    for command in ("diagnostics show", "diagnostics history", "diagnostics errors"):
        refused_slash = await emu.run_slash(command, channel=world.general, user=world.plain)
        assert refused_slash.ephemeral, command
        assert "for the bot's owners only" in refused_slash.embeds[0]["description"], command
    await poll(lambda: len(diag.errors) == 6, what="six refusals in the error log")
    assert all(e.user_error and e.error_type == "AccessDenied" for e in diag.recent_errors())
    rates = diag.rate_figures()
    assert rates.user_errors == 6 and rates.failures == 0 and rates.counted == 0

    listing = await emu.converse(world.general, world.boss, "!diagnostics errors")
    names = [f["name"] for f in listing.embeds[0]["fields"]]
    assert len(names) == 6 and all(name.startswith("⚠️ diagnostics") for name in names)
    assert names[0] == "⚠️ diagnostics errors: AccessDenied"


async def test_reload_stops_the_old_loops_and_serves_from_a_fresh_service(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    bot = await start_bot(settings={"lag_interval_seconds": 0.05})
    old = diagnostics(bot)
    await poll(lambda: old.lag.samples_taken > 0, what="the first lag sample")
    outcome = await bot.plugins.reload("zoryx-diagnostics")
    assert outcome.status.value == "loaded"
    new = diagnostics(bot)
    assert new is not old
    assert all(task.done() for task in old.tasks.values())
    await poll(lambda: new.lag.samples_taken > 0, what="the new sampler")
    assert [h.status for h in new.own_health()] == ["healthy"] * 5
    shown = await world.emu.converse(world.general, world.boss, "!diagnostics")
    assert shown.embeds[0]["title"].endswith("Diagnostics: healthy")


async def test_completed_commands_are_counted_from_the_core_without_a_hook_per_command(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    """Completed commands, by prefix and by slash, reach the rates from the core's running count;
    the plugin implements no per-command hook."""
    emu = world.emu
    bot = await start_bot()
    await bot.tree.sync()
    assert not bot.plugins.hooks.has("zoryx_command_executed", "zoryx-diagnostics")
    assert bot.plugins.hooks.has("zoryx_command_error", "zoryx-diagnostics")
    diag = diagnostics(bot)
    for _ in range(3):
        await emu.converse(world.general, world.boss, "!diagnostics")
    await emu.run_slash("diagnostics show", channel=world.general, user=world.boss)
    await poll(lambda: diag.rate_figures().completed == 4, what="four completed commands")
    assert diag.rate_figures().counted == 4


async def test_stalls_show_the_watchdogs_incidents_with_the_plugin(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    emu = world.emu
    bot = await start_bot(extensions=["workload"], core={"watchdog.blocked_loop_seconds": 0.3})
    await bot.tree.sync()
    quiet = await emu.converse(world.general, world.boss, "!diagnostics stalls")
    assert quiet.embeds[0]["description"] == "The event loop has not been blocked since start."

    assert (await emu.converse(world.general, world.boss, "!longblock", timeout=30)).content == "blocked long"
    diag = diagnostics(bot)
    await poll(
        lambda: any(b.plugin == "workload" and not b.ongoing for b in diag.blocked_loops()),
        what="the watchdog to close the incident",
    )
    listing = await emu.converse(world.general, world.boss, "!diagnostics stalls")
    embed = listing.embeds[0]
    assert embed["title"].endswith("Blocked event loop")
    assert "the watchdog reports blocks of 0.3 s or more" in embed["description"]
    ours = [f for f in embed["fields"] if "plugin `workload`" in f["value"]]
    assert ours and "workload.py:" in ours[0]["value"] and "in longblock`" in ours[0]["value"]
    assert "time.sleep(1.5)" in ours[0]["value"] and ours[0]["name"].endswith(" s")
    slashed = await emu.run_slash("diagnostics stalls", channel=world.general, user=world.boss)
    assert slashed.ephemeral and "plugin `workload`" in str(slashed.embeds[0]["fields"])

    report = _fields((await emu.converse(world.general, world.boss, "!diagnostics")).embeds[0])
    assert "kept; last " in report["Blocked event loop"]
    refused = await emu.converse(world.general, world.plain, "!diagnostics stalls")
    assert "`diagnostics stalls` is for the bot's owners only." in refused.embeds[0]["description"]
