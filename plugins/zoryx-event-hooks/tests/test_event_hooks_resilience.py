"""Failing, hanging and flooding callbacks: the circuit breaker, the per-callback timeout and the
bounded queue, in a running bot."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from zoryx_event_hooks import Outcome, event_hooks

from zoryx_core import ZoryxBot
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]

PLUGIN = "zoryx-event-hooks"


def hook_settings(**values: Any) -> dict[str, Any]:
    return {f"plugin_settings.{PLUGIN}.{key}": value for key, value in values.items()}


async def until(predicate: Callable[[], bool], what: str, *, tries: int = 500) -> None:
    """Poll ``predicate`` (every 20 ms, a bounded number of times) until it holds."""
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def test_breaker_trips_skips_and_closes_after_the_cooldown(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory
) -> None:
    discord_emulator.create_guild("Hooks")
    bot = await zoryx_bot(plugins=[PLUGIN], config=hook_settings(workers=1, **{"breaker.cooldown": 1.0}))
    hooks = event_hooks(bot)
    state = {"fail": True, "calls": 0}

    async def flaky(bot: ZoryxBot, **kwargs: Any) -> None:
        state["calls"] += 1
        if state["fail"]:
            raise RuntimeError(f"flaky failure {state['calls']}")

    hook_id = hooks.register("flaky", flaky)
    entry = hooks.get(hook_id)
    for _ in range(5):
        assert await hooks.emit("flaky")
    await until(lambda: entry.errors == 5, "five failures")
    assert entry.state == "tripped" and entry.breaker.trips == 1
    errors = hooks.history(5, event="flaky")
    assert [e.outcome for e in errors] == [Outcome.ERROR] * 5
    assert errors[0].detail == "RuntimeError: flaky failure 5"

    # while tripped the callback is skipped, and the history says why (poll: emit until a skip)
    for _ in range(50):
        await hooks.emit("flaky")
        await hooks.drain(5)
        if entry.skips:
            break
    skipped = hooks.history(1, event="flaky")[0]
    assert skipped.outcome == Outcome.SKIPPED and "circuit breaker tripped until" in (skipped.detail or "")
    assert skipped.duration == 0.0

    # after the cool-down it runs again by itself
    state["fail"] = False
    for _ in range(500):
        await hooks.emit("flaky")
        await hooks.drain(5)
        if hooks.history(1, event="flaky")[0].outcome == Outcome.OK:
            break
        await asyncio.sleep(0.02)
    assert hooks.history(1, event="flaky")[0].outcome == Outcome.OK
    assert entry.state == "enabled" and entry.breaker.recent_failures() == 0


async def test_hanging_callback_times_out_and_the_worker_carries_on(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory
) -> None:
    discord_emulator.create_guild("Hooks")
    bot = await zoryx_bot(plugins=[PLUGIN], config=hook_settings(workers=1, callback_timeout=0.2))
    hooks = event_hooks(bot)
    ran: list[str] = []
    cancelled = asyncio.Event()

    async def hang(bot: ZoryxBot, **kwargs: Any) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def next_in_line(bot: ZoryxBot, **kwargs: Any) -> None:
        ran.append("same event")

    async def later(bot: ZoryxBot, **kwargs: Any) -> None:
        ran.append("next event")

    hang_id = hooks.register("stuck", hang, priority=1)
    hooks.register("stuck", next_in_line)
    hooks.register("after", later)
    assert await hooks.emit("stuck") and await hooks.emit("after")
    await until(lambda: ran == ["same event", "next event"], "the worker carried on")
    assert cancelled.is_set()
    stuck = hooks.history(2, event="stuck")
    assert [e.outcome for e in stuck] == [Outcome.OK, Outcome.TIMEOUT]
    assert stuck[1].hook_id == hang_id and "did not finish within 0.2 s" in (stuck[1].detail or "")
    assert hooks.get(hang_id).timeouts == 1 and hooks.get(hang_id).breaker.recent_failures() == 1


async def test_full_queue_refuses_at_once_counts_and_loses_nothing_accepted(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    boss = discord_emulator.create_user("boss")
    general = discord_emulator.channel_named(
        discord_emulator.create_guild("Hooks", members=[boss]), "general"
    )
    bot = await zoryx_bot(
        plugins=[PLUGIN], owner_id=boss.id, config=hook_settings(workers=1, queue_size=3, callback_timeout=60)
    )
    hooks = event_hooks(bot)
    gate = asyncio.Event()
    blocked = asyncio.Event()
    items: list[int] = []

    async def block(bot: ZoryxBot, **kwargs: Any) -> None:
        blocked.set()
        await gate.wait()

    async def item(bot: ZoryxBot, n: int, **kwargs: Any) -> None:
        items.append(n)

    hooks.register("block", block)
    hooks.register("item", item)
    assert await bot.emit_hook("block")  # type: ignore[attr-defined]
    await asyncio.wait_for(blocked.wait(), 5)  # the only worker is now held
    caplog.set_level(logging.WARNING, logger="zoryx.plugin.zoryx-event-hooks")
    accepted = [await bot.emit_hook("item", n=n) for n in range(5)]  # type: ignore[attr-defined]
    assert accepted == [True, True, True, False, False]
    assert hooks.dropped == 2 and hooks.queue_depth == 3
    warning = next(r.getMessage() for r in caplog.records if "queue full" in r.getMessage())
    assert "(3 of 3 waiting): dropped item" in warning and "1 since start" in warning

    listing = json.dumps(
        (await discord_emulator.converse(general, boss, "!hooks")).embeds, ensure_ascii=False
    )
    assert "Queue: **3/3** waiting" in listing and "**2 dropped** (queue full)" in listing

    health = next(r for r in await bot.plugins.health_checks() if r.plugin == PLUGIN)
    assert health.status == "degraded" and "1/1 workers, queue 3/3, 2 dropped" in health.detail

    # unloading right after the worker is released still handles every accepted event first
    workers = list(hooks._workers)
    gate.set()
    await bot.plugins.unload(PLUGIN)
    assert items == [0, 1, 2] and hooks.queue_depth == 0
    assert hooks.accepted == 4 and hooks.processed == 4 and hooks.dropped == 2
    assert all(task.done() for task in workers) and not hasattr(bot, "emit_hook")
