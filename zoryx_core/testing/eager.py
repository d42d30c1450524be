"""Running a coroutine at once, in the caller, and making a task of it only if it has to wait.

Most REST requests are answered without ever waiting (the state is in memory), so a task per
request would only add a task object, a scheduling round and a context switch to every answer.
:func:`start_eagerly` runs the coroutine up to its first real suspension right away, as Python
3.12's eager task factory does; a coroutine that suspends is continued inside a task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator
from typing import Any

__all__ = ["start_eagerly"]


def start_eagerly(
    coro: Coroutine[Any, Any, None], on_error: Callable[[BaseException], None]
) -> asyncio.Task[None] | None:
    """Runs ``coro`` now; returns None when it finished, else the task that carries it on.

    ``on_error`` receives an exception the coroutine raised (synchronously or in its task).
    """
    try:
        awaited = coro.send(None)
    except StopIteration:
        return None
    except Exception as error:  # handed to on_error, as a task's exception would be
        on_error(error)
        return None
    task = asyncio.get_running_loop().create_task(_carry_on(coro, awaited))

    def done(finished: asyncio.Task[None]) -> None:
        if not finished.cancelled() and finished.exception() is not None:
            on_error(finished.exception())  # type: ignore[arg-type]

    task.add_done_callback(done)
    return task


async def _carry_on(coro: Coroutine[Any, Any, None], awaited: Any) -> None:
    await _Continuation(coro, awaited)


class _Continuation:
    """Awaitable that resumes ``coro`` from where it stopped: it first yields the object ``coro``
    was waiting on (a future, or None for a bare yield), then relays every value and exception."""

    def __init__(self, coro: Coroutine[Any, Any, None], awaited: Any) -> None:
        self._coro = coro
        self._awaited = awaited

    def __await__(self) -> Generator[Any, Any, None]:
        coro, awaited = self._coro, self._awaited
        while True:
            try:
                sent = yield awaited
            except BaseException as error:  # cancellation included: passed on to the coroutine
                try:
                    awaited = coro.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    awaited = coro.send(sent)
                except StopIteration:
                    return
