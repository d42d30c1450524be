"""A marketplace test plugin whose import waits while the file named by ZORYX_TEST_HOLD exists
(at most two minutes), so a test can interrupt an install during its import check."""

from __future__ import annotations

import os
import time

from zoryx_core import PluginContext, ZoryxBot, hookimpl

VERSION = "0.1.0"

_HOLD = os.environ.get("ZORYX_TEST_HOLD", "")
_deadline = time.monotonic() + 120
while _HOLD and os.path.exists(_HOLD) and time.monotonic() < _deadline:
    time.sleep(0.05)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    return None
