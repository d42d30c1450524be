"""Counting a process's instructions with callgrind (valgrind), switched on and off from outside.

A process started under :func:`launcher` collects nothing until ``callgrind_control --instr=on``;
:func:`dumped_total` writes the counters out (which zeroes them) and returns the instructions
counted since the last dump. Used by ``command_instructions.py`` and ``emulator_instructions.py``.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

__all__ = ["available", "control", "dumped_total", "launcher"]

TOTALS = re.compile(rb"^totals:\s*(\d+)", re.MULTILINE)


def available() -> bool:
    """Whether valgrind and callgrind_control are on PATH."""
    return shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None


def launcher(folder: Path, name: str) -> list[str]:
    """The command line prefix that starts a program under callgrind, collection off, its dumps
    written to ``folder/name.<pid>[.<n>]``."""
    return [
        "valgrind",
        "--tool=callgrind",
        "-q",
        "--instr-atstart=no",
        "--collect-jumps=no",
        f"--callgrind-out-file={folder}/{name}.%p",
    ]


async def control(pid: int, *arguments: str) -> None:
    """``callgrind_control ARGUMENTS PID`` (``--instr=on``, ``--instr=off``, ``--dump``)."""
    proc = await asyncio.create_subprocess_exec(
        "callgrind_control",
        *arguments,
        str(pid),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"callgrind_control {' '.join(arguments)} {pid} failed: {err.decode().strip()}")


def _dumps(folder: Path, name: str) -> set[Path]:
    return {path for path in folder.glob(f"{name}.*") if path.stat().st_size > 0}


def _total(dump: Path) -> int | None:
    match = TOTALS.search(dump.read_bytes())
    return int(match[1]) if match else None


async def dumped_total(pid: int, folder: Path, name: str) -> int:
    """Dump the counters of ``pid`` (which zeroes them); the instructions in that dump."""
    before = await asyncio.to_thread(_dumps, folder, name)
    await control(pid, "--dump")
    for _ in range(600):
        new = await asyncio.to_thread(_dumps, folder, name) - before
        if new:
            await asyncio.sleep(0.5)  # written in one go, but let it finish
            total = await asyncio.to_thread(_total, new.pop())
            if total is not None:
                return total
        await asyncio.sleep(0.1)
    raise RuntimeError(f"callgrind wrote no dump for pid {pid} in {folder}")
