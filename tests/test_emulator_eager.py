"""The emulator answers a REST request in the callback that received it unless the route waits;
a route that waits goes on in a task, with results, errors and cancellation passed through."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from zoryx_core.testing.eager import start_eagerly
from zoryx_core.testing.models import iso_from_snowflake
from zoryx_core.testing.snowflake import DISCORD_EPOCH_MS, snowflake_time_ms


async def test_a_coroutine_that_never_waits_finishes_in_the_call() -> None:
    done: list[str] = []
    errors: list[BaseException] = []

    async def answer() -> None:
        done.append("answered")

    assert start_eagerly(answer(), errors.append) is None
    assert done == ["answered"] and errors == []


async def test_a_coroutine_that_waits_goes_on_in_a_task() -> None:
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    got: list[str] = []
    errors: list[BaseException] = []

    async def answer() -> None:
        got.append(await gate)
        await asyncio.sleep(0)  # a bare yield too
        got.append("after")

    task = start_eagerly(answer(), errors.append)
    assert task is not None and got == []
    gate.set_result("opened")
    await task
    assert got == ["opened", "after"] and errors == []


async def test_errors_reach_on_error_whether_raised_at_once_or_later() -> None:
    errors: list[BaseException] = []

    async def fails_at_once() -> None:
        raise ValueError("at once")

    async def fails_later() -> None:
        await asyncio.sleep(0)
        raise KeyError("later")

    assert start_eagerly(fails_at_once(), errors.append) is None
    task = start_eagerly(fails_later(), errors.append)
    assert task is not None
    with pytest.raises(KeyError):
        await task
    assert [type(e) for e in errors] == [ValueError, KeyError]


async def test_cancelling_the_task_cancels_what_the_coroutine_waits_on() -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleaned: list[str] = []

    async def answer() -> None:
        try:
            await gate
        finally:
            cleaned.append("finally ran")

    task = start_eagerly(answer(), lambda error: None)
    assert task is not None
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gate.cancelled() and cleaned == ["finally ran"]


def test_message_timestamps_read_as_datetime_writes_them() -> None:
    start = 1_780_000_000_000  # ms since 1970: whole seconds, milliseconds, and a new day
    stamps = [start + step for step in range(0, 3000, 7)] + [start + 86_399_000 + k for k in (0, 999, 1000)]
    for ms in stamps:
        snowflake = (ms - DISCORD_EPOCH_MS) << 22 | 12345
        assert snowflake_time_ms(snowflake) == ms
        expected = dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat()
        assert iso_from_snowflake(snowflake) == expected


async def test_a_task_cancelled_before_its_first_step_still_stops_the_coroutine() -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleaned: list[str] = []

    async def answer() -> None:
        try:
            await gate
        finally:
            cleaned.append("finally ran")

    task = start_eagerly(answer(), lambda error: None)
    assert task is not None
    task.cancel()  # before the task ever ran
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == ["finally ran"]


async def test_the_continuation_can_be_awaited_directly() -> None:
    from zoryx_core.testing.eager import _Continuation

    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    got: list[str] = []

    async def answer() -> None:
        got.append(await gate)

    coro = answer()
    first = coro.send(None)
    asyncio.get_running_loop().call_soon(gate.set_result, "through await")
    await _Continuation(coro, first)
    assert got == ["through await"]
