"""Stopping background tasks: a cancellation that a library call drops does not hang the stop."""

from __future__ import annotations

import asyncio
import sys

from zoryx_core.cancellation import cancel_and_wait


class PollingLoop:
    """A loop shaped like a plugin's polling task: each turn awaits a call that uses
    ``asyncio.wait_for`` inside (as redis-py's and asyncpg's calls do). ``answer_and_cancel``
    cancels the task in the same turn of the event loop in which the call's answer arrives."""

    def __init__(self) -> None:
        self.answer: asyncio.Future[str] | None = None
        self.turns = 0
        self.waiting = asyncio.Event()
        self.task = asyncio.create_task(self._run(), name="polling loop")

    async def _call(self) -> str:
        self.answer = asyncio.get_running_loop().create_future()
        self.waiting.set()
        return await asyncio.wait_for(self.answer, 30)

    async def _run(self) -> None:
        while True:
            await self._call()
            self.turns += 1
            self.waiting.clear()
            await asyncio.sleep(0.05)

    async def answer_and_cancel(self) -> None:
        await self.waiting.wait()
        assert self.answer is not None
        self.answer.set_result("OK")
        self.task.cancel()


async def test_a_loop_ends_even_when_its_first_cancellation_is_dropped() -> None:
    loop = PollingLoop()
    await loop.answer_and_cancel()
    await asyncio.sleep(0.2)
    if sys.version_info < (3, 12):
        # Python 3.11's wait_for returns the answer and drops the cancellation: the loop goes on
        assert not loop.task.done() and loop.turns >= 1
    assert await cancel_and_wait([loop.task], timeout=5) == []
    assert loop.task.cancelled()


async def test_a_task_that_ignores_every_cancellation_is_returned_after_the_timeout() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    started = asyncio.get_running_loop().time()
    assert await cancel_and_wait([task], timeout=0.3) == [task]
    assert asyncio.get_running_loop().time() - started < 2
    release.set()
    task.cancel()
    await asyncio.wait([task], timeout=5)
    assert task.done()


async def test_clean_up_after_a_cancellation_runs_and_the_calling_task_is_left_alone() -> None:
    cleaned: list[str] = []

    async def tidy() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.1)  # clean-up shorter than the grace before a second cancel
            cleaned.append("done")

    task = asyncio.create_task(tidy())
    await asyncio.sleep(0)
    finished = asyncio.create_task(asyncio.sleep(0))
    await finished
    current = asyncio.current_task()
    assert current is not None
    assert await cancel_and_wait([task, finished, current]) == []
    assert cleaned == ["done"] and task.cancelled() and not current.cancelled()
