"""The report history file: always complete JSON while reports are written (by the periodic loop
and forced, concurrently) and read at the same time; capped at its size; a corrupt file is moved
aside, never patched."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoryx_diagnostics import diagnostics

from zoryx_core import PluginStatus

if TYPE_CHECKING:
    from conftest import Poll, Starter, World


def _read_raw(path: Path, stop: threading.Event, seen: list[int], problems: list[str]) -> None:
    """Read the file straight from disk (no cache, no lock) until told to stop."""
    while not stop.is_set():
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            time.sleep(0.001)
            continue
        try:
            document = json.loads(text)
            seen.append(len(document["reports"]))
        except (ValueError, KeyError, TypeError) as error:
            problems.append(f"{type(error).__name__}: {error}: {text[:80]!r}")
        time.sleep(0.001)


async def test_history_file_stays_valid_json_and_capped_under_concurrent_writes(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    bot = await start_bot(settings={"report_interval_seconds": 0.1, "history_size": 5})
    diag = diagnostics(bot)
    path = bot.data_dir / "plugins" / "zoryx-diagnostics" / "reports.json"
    assert diag.history.path == path

    stop = threading.Event()
    seen: list[int] = []
    problems: list[str] = []
    readers = [
        asyncio.create_task(asyncio.to_thread(_read_raw, path, stop, seen, problems)) for _ in range(2)
    ]
    try:
        for _ in range(3):
            await asyncio.gather(*(diag.write_report() for _ in range(10)))
            cached = await bot.storage.json.read(path)
            assert len(cached["reports"]) == 5
        await poll(
            lambda: diag.reports_written >= 40, what="the periodic loop to add its reports", timeout=20
        )
    finally:
        stop.set()
        await asyncio.gather(*readers)
    assert problems == [], problems[:3]
    assert seen and max(seen) == 5, "readers saw the file, never with more than 5 reports"

    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == 1 and document["history_size"] == 5 and len(document["reports"]) == 5
    moments = [entry["generated_at"] for entry in document["reports"]]
    assert moments == sorted(moments) and document["updated_at"] == moments[-1]
    for entry in document["reports"]:
        assert entry["status"] in ("healthy", "degraded")
        assert {"system", "bot", "rates", "lag", "latency", "plugins", "database", "health"} <= set(entry)
    assert sorted(p.name for p in path.parent.iterdir()) == ["reports.json", "reports.json.lock"]
    history = await diag.read_history()
    assert [r.generated_at for r in history] == moments
    assert history[-1].bot.guilds == 1 and history[-1].database.ok


async def test_a_corrupt_history_file_is_moved_aside_and_a_new_history_starts(
    world: World, start_bot: Starter
) -> None:
    bot = await start_bot(settings={"report_interval_seconds": 3600})
    diag = diagnostics(bot)
    await diag.write_report()
    path = diag.history.path
    path.write_text('{"format": 1, "reports": [{"status": "heal', encoding="utf-8")  # a torn write elsewhere
    bot.storage.json.invalidate(path)
    report = await diag.write_report()
    document = json.loads(path.read_text(encoding="utf-8"))
    assert [entry["generated_at"] for entry in document["reports"]] == [report.generated_at]
    aside = [p for p in path.parent.iterdir() if p.name.startswith("reports.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8").startswith('{"format": 1, "reports"')
    assert diag.last_write_error is None


async def test_settings_out_of_range_fail_the_load_with_the_key_and_the_limits(
    world: World, start_bot: Starter
) -> None:
    bot = await start_bot(settings={"error_rate_threshold": 5})
    outcome = bot.plugins.outcomes["zoryx-diagnostics"]
    assert outcome.status is PluginStatus.FAILED
    assert "error_rate_threshold" in outcome.reason and "from 0 to 1" in outcome.reason
    assert bot.get_cog("Diagnostics") is None
