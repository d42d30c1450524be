"""Shared helpers for the core test suite. The emulator fixtures come from zoryx_core's pytest plugin."""

from __future__ import annotations

import discord
from discord.ext import commands


def make_bot(
    *, prefix: str = "!", members: bool = False, sharded: bool = False, **options: object
) -> commands.Bot:
    """A plain discord.py bot as a user would write it, with a short ready timeout for tests."""
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = members
    cls = commands.AutoShardedBot if sharded else commands.Bot
    return cls(command_prefix=prefix, intents=intents, guild_ready_timeout=0.05, help_command=None, **options)
