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
    task = asyncio.get_running_loop().create_task(_Continuation(coro, awaited))

    def done(finished: asyncio.Task[None]) -> None:
        if not finished.cancelled() and finished.exception() is not None:
            on_error(finished.exception())  # type: ignore[arg-type]

    task.add_done_callback(done)
    return task


class _Continuation(Coroutine[Any, Any, None]):
    """``coro`` resumed inside a task from where it stopped.

    The task's first step gets the object ``coro`` was waiting on (a future, or None for a bare
    yield); later steps and exceptions, cancellation included, go straight to ``coro``. Being the
    task's coroutine itself (rather than awaited by one) means a task cancelled before its first
    step still delivers the cancellation to ``coro``.
    """

    def __init__(self, coro: Coroutine[Any, Any, None], awaited: Any) -> None:
        self._coro = coro
        self._first: list[Any] = [awaited]

    def send(self, value: Any) -> Any:
        if self._first:
            return self._first.pop()
        return self._coro.send(value)

    def throw(self, error: Any, value: Any = None, traceback: Any = None) -> Any:
        self._first.clear()
        if value is None and traceback is None:
            return self._coro.throw(error)
        return self._coro.throw(error, value, traceback)  # the legacy three-argument form

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, None]:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                yielded = self.send(value) if error is None else self.throw(error)
            except StopIteration:
                return
            value, error = None, None
            try:
                value = yield yielded
            except BaseException as raised:  # passed on, as a task passes it to its coroutine
                error = raised
