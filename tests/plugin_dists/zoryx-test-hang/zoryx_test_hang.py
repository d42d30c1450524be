"""Set-up that never finishes."""

import asyncio

from zoryx_core import hookimpl


@hookimpl
async def zoryx_setup() -> None:
    await asyncio.sleep(3600)
