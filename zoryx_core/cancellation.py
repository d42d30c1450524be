"""Stopping background tasks so that a stop always ends.

``task.cancel()`` asks once. On Python 3.11, ``asyncio.wait_for`` (which redis-py, asyncpg and
much other code use inside their calls) drops a cancellation that arrives in the same turn of the
event loop as the awaited result: the call returns normally, and a ``while True`` loop around it
carries on as if it had never been cancelled. A stop that cancels such a loop and then waits for
it waits forever. :func:`cancel_and_wait` cancels again whatever is still running after a short
grace, and gives up (returning what ignored it) after a bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["cancel_and_wait"]

RECANCEL_AFTER = 1.0
"""Seconds a cancelled task gets to finish its clean-up before it is cancelled again."""


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[Any]], *, timeout: float = 5.0
) -> list[asyncio.Task[Any]]:
    """Cancels ``tasks`` and waits until they end, for at most ``timeout`` seconds.

    A task still running :data:`RECANCEL_AFTER` seconds after a cancellation is cancelled again
    (its first one may have been lost, see the module's documentation). Returns the tasks still
    running at the end; the calling task itself, if among ``tasks``, is left alone."""
    current = asyncio.current_task()
    pending = {task for task in tasks if not task.done() and task is not current}
    if not pending:
        return []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for task in pending:
        task.cancel()
    while pending:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_AFTER, remaining))
        for task in pending:
            task.cancel()
    return sorted(pending, key=lambda task: task.get_name())
