"""The driver's waits share one timer (zoryx_core.testing.deadlines): a wait still times out, an
answered one leaves nothing that fires, and a new event loop starts afresh."""

from __future__ import annotations

import asyncio
import time

import pytest

from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.deadlines import GRANULARITY, Deadlines


async def test_an_unanswered_wait_times_out_and_answered_ones_are_dropped() -> None:
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    answered = [loop.create_future() for _ in range(200)]
    for future in answered:
        deadlines.add(future, 0.2)
        future.set_result(None)
    waiting = loop.create_future()
    started = time.monotonic()
    deadlines.add(waiting, 0.3)
    with pytest.raises(TimeoutError):
        await waiting
    assert time.monotonic() - started >= 0.3
    assert len(deadlines) == 0, "every entry whose time came is gone"


async def test_an_earlier_deadline_rearms_the_timer() -> None:
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    late, early = loop.create_future(), loop.create_future()
    deadlines.add(late, 30.0)
    deadlines.add(early, 0.05)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(early), 5)
    assert not late.done()
    late.cancel()


def test_a_new_event_loop_starts_afresh() -> None:
    deadlines = Deadlines()

    async def one_wait(timeout: float) -> None:
        future = asyncio.get_running_loop().create_future()
        deadlines.add(future, timeout)
        await future

    with pytest.raises(TimeoutError):
        asyncio.run(one_wait(0.01))
    asyncio.run(asyncio.sleep(0))
    with pytest.raises(TimeoutError):
        asyncio.run(one_wait(0.01 + GRANULARITY))


async def test_the_drivers_wait_for_a_message_times_out_with_its_message() -> None:
    emu = DiscordEmulator()
    member = emu.create_user("member")
    guild = emu.create_guild("Quiet", members=[member])
    channel = emu.channel_named(guild, "general")
    with pytest.raises(TimeoutError, match=r"no message from user \d+ in #general within 0\.1s"):
        await emu.wait_for_message(channel, author=member, timeout=0.1)
    sent = await emu.send_message(channel, member, "hello")
    found = await emu.wait_for_message(channel, author=member, timeout=0.1)
    assert found.id == sent.id


async def test_an_answered_wait_leaves_nothing_behind() -> None:
    emu = DiscordEmulator()
    member = emu.create_user("member")
    guild = emu.create_guild("Quiet", members=[member])
    channel = emu.channel_named(guild, "general")
    waiting = asyncio.ensure_future(emu.wait_for_message(channel, author=member, timeout=30))
    await asyncio.sleep(0)
    assert len(emu.state.deadlines) == 1
    sent = await emu.send_message(channel, member, "hello")
    assert (await waiting).id == sent.id
    assert len(emu.state.deadlines) == 0, "the answered wait's future is not kept until its deadline"


async def test_an_infinite_timeout_never_expires() -> None:
    deadlines = Deadlines()
    future = asyncio.get_running_loop().create_future()
    ticket = deadlines.add(future, float("inf"))
    assert len(deadlines) == 0
    deadlines.discard(future, ticket)
    future.cancel()
