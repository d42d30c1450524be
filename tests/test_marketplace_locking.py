"""The marketplace folder's lock (``install.lock``): one operation at a time across real processes,
waited for off the event loop, and never kept by a waiter that was cancelled."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from marketplace_client.locking import LOCK_FILE, exclusive

HOLDER = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from marketplace_client.locking import exclusive

    folder, held, release = (Path(arg) for arg in sys.argv[1:4])

    async def main() -> None:
        async with exclusive(folder):
            held.touch()
            while not release.exists():
                await asyncio.sleep(0.01)

    asyncio.run(main())
    """
)

PROBE = textwrap.dedent(
    """
    import sys
    from filelock import FileLock, Timeout

    try:
        with FileLock(sys.argv[1]).acquire(timeout=30):
            print("free")
    except Timeout:
        print("still held")
    """
)


async def _hold_in_another_process(tmp_path: Path, folder: Path) -> tuple[asyncio.subprocess.Process, Path]:
    held, release = tmp_path / "held", tmp_path / "release"
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(folder), str(held), str(release)
    )
    for _ in range(6000):
        if held.exists() or holder.returncode is not None:
            break
        await asyncio.sleep(0.01)
    assert held.exists(), "the holding process did not take the lock"
    return holder, release


async def test_a_second_process_waits_and_the_loop_keeps_running(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "marketplace"
    holder, release = await _hold_in_another_process(tmp_path, folder)
    ticks = 0
    entered = asyncio.Event()

    async def enter() -> None:
        async with exclusive(folder):
            entered.set()
            assert release.exists(), "entered while the other process held the lock"

    task = asyncio.create_task(enter())
    while ticks < 30:  # the loop runs on while the worker thread waits for the lock
        await asyncio.sleep(0.01)
        ticks += 1
    assert not entered.is_set()
    release.touch()
    await task
    assert await asyncio.wait_for(holder.wait(), 60) == 0
    assert (folder / LOCK_FILE).stat().st_mode & 0o777 == 0o600


async def test_a_cancelled_waiter_does_not_keep_the_lock(tmp_path: Path) -> None:
    folder = tmp_path / "marketplace"
    holder, release = await _hold_in_another_process(tmp_path, folder)

    async def enter() -> None:
        async with exclusive(folder):
            raise AssertionError("a cancelled waiter got in")

    task = asyncio.create_task(enter())
    await asyncio.sleep(0.1)
    task.cancel()
    release.touch()  # the worker may now get the lock before it sees the cancellation: it gives it back
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.wait_for(holder.wait(), 60) == 0
    probe = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", PROBE, str(folder / LOCK_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "free", probe.stderr
    async with exclusive(folder):  # and this process takes it again
        pass
