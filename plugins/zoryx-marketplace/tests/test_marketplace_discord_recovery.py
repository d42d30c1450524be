"""An install a crash interrupted after pip had finished (the journal says so) is finished when the
bot starts: the plugin is loaded, the outcome logged, emitted and shown on the menu, and the
operation's working folder deleted."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import ECHO, accept_terms, fields

from marketplace_client import JOURNAL_FILE, Journal, JournalEntry, Phase, RecoveryOutcome

if TYPE_CHECKING:
    from conftest import World


async def test_an_install_interrupted_after_pip_is_finished_when_the_bot_starts(
    world: World,
    catalog: Any,
    market_wheels: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await world.env.pip_install("--no-deps", str(market_wheels / "zoryx_mpt_echo-0.2.0-py3-none-any.whl"))
    data = tmp_path / "bot-data"
    journal = Journal(data / "marketplace")
    work = journal.new_work_dir("interrupted")
    (work / "tmp" / "pip-unpack-left-behind").mkdir()
    journal.write(
        JournalEntry(
            operation="install",
            name=ECHO,
            version="0.2.0",
            previous_version=None,
            module="zoryx_mpt_echo",
            phase=Phase.INSTALLED,
            work_dir=str(work),
            before={},
        )
    )
    caplog.set_level(logging.WARNING, logger="zoryx.marketplace")
    bot = await world.start(catalog, data_dir=str(data))
    # the plugin host imports the plugin afresh for each bot: ask the module the bot runs
    service = importlib.import_module("zoryx_marketplace").find_service(bot)
    assert service is not None
    report = await asyncio.wait_for(service.recovered(), 120)  # it runs in the background
    assert report is not None and report.outcome is RecoveryOutcome.FINISHED
    assert ECHO in bot.plugins.loaded
    assert not (data / "marketplace" / JOURNAL_FILE).exists() and not work.exists()
    said = "an interrupted install of zoryx-mpt-echo 0.2.0 was finished: zoryx-mpt-echo 0.2.0 stays installed"
    assert said in caplog.text

    menu = await accept_terms(world, world.member)
    assert fields(menu)["Interrupted operation"] == said
    assert json.dumps(menu.embeds).count("interrupted") == 1
