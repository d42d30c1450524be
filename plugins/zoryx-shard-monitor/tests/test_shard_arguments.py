"""Shard numbers and thresholds are plain whole numbers: other Unicode digits and numbers of any
size get a format error naming what is allowed, not a lookup of the wrong shard or a crash."""

from __future__ import annotations

from conftest import Starter, World

from zoryx_core.testing.argument_audit import plain_integer_parameters


async def test_bad_shard_numbers_get_a_format_error(world: World, start: Starter) -> None:
    emu = world.emu
    bot, _ = await start()
    assert plain_integer_parameters(bot) == []
    channel = world.channels[0]
    for text in ("\u0661", "²", "1_0", "99999999999999999999999999"):  # Arabic-Indic one
        details = await emu.converse(channel, world.boss, f"!sharddetails {text}")
        assert (
            "`shard_id` must be a shard number from 0 to 9007199254740991 (digits 0-9)"
            in (details.embeds[0]["description"])
        )
        reset = await emu.converse(channel, world.boss, f"!shardreset {text}")
        assert (
            "`shard_id` must be a shard number (or -1 for every shard) from -1"
            in reset.embeds[0]["description"]
        )
    refused = await emu.converse(channel, world.boss, "!shardalerts ٣")
    assert "`threshold` must be a number of failed samples from 1" in refused.embeds[0]["description"]
    shown = await emu.converse(channel, world.boss, "!sharddetails 1")
    assert "Shard 1" in shown.embeds[0]["title"]
