"""A stopped emulator that nothing refers to any more is freed, with everything it stored."""

from __future__ import annotations

import gc
import weakref

import aiohttp

from zoryx_core.testing import DiscordEmulator


async def test_a_stopped_emulator_is_not_kept_alive_by_aiohttp() -> None:
    emu = DiscordEmulator()
    await emu.start()
    async with aiohttp.ClientSession() as session:
        # served by aiohttp, not the fast front: a multipart body and a control-API path
        form = aiohttp.FormData({"payload_json": '{"content": "hi"}'}, default_to_multipart=True)
        guild = emu.create_guild("Kept")
        channel = emu.channel_named(guild, "general")
        headers = {"Authorization": f"Bot {emu.token}"}
        url = f"{emu.api_url}/channels/{channel.id}/messages"
        async with session.post(url, data=form, headers=headers) as posted:
            assert posted.status == 200
        async with session.get(f"{emu.base_url}/_zoryx/limits") as limits:
            assert limits.status == 200
    await emu.stop()
    alive = weakref.ref(emu)
    del emu, guild, channel
    gc.collect()
    assert alive() is None, "aiohttp's middleware cache (or something else) still holds the emulator"
