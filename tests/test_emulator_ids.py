"""Emulator ids stay unique across processes: parallel test processes share Redis and PostgreSQL,
where a bot's keys and rows are named after its application id."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.snowflake import SnowflakeGenerator, snowflake_time_ms


def _process_bits(snowflake: int) -> int:
    return (snowflake >> 12) & 0x1F


def test_two_processes_in_the_same_millisecond_make_different_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("zoryx_core.testing.snowflake.time.time", lambda: 1_700_000_000.0)
    first, second = SnowflakeGenerator(process_id=3).next(), SnowflakeGenerator(process_id=4).next()
    assert snowflake_time_ms(first) == snowflake_time_ms(second) == 1_700_000_000_000
    assert first != second
    assert (_process_bits(first), _process_bits(second)) == (3, 4)


def test_an_emulators_ids_carry_its_process_id() -> None:
    here = DiscordEmulator().application_id
    script = (
        "import os; from zoryx_core.testing import DiscordEmulator;"
        "print(DiscordEmulator().application_id, os.getpid())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    there, pid = map(int, result.stdout.split())
    assert _process_bits(here) == os.getpid() & 0x1F
    assert _process_bits(there) == pid & 0x1F
