"""The default cooldown for commands that declare none (``cooldowns.default_rate`` uses per
``cooldowns.default_per`` seconds, per user); bot owners are exempt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from discord.ext import commands

if TYPE_CHECKING:
    from .bot import ZoryxBot

__all__ = ["apply_default_cooldown"]


def apply_default_cooldown(bot: ZoryxBot, command: commands.Command[Any, ..., Any]) -> None:
    """Give ``command`` (and its subcommands) the default cooldown unless they have their own."""
    rate = int(bot.settings["cooldowns.default_rate"])
    per = float(bot.settings["cooldowns.default_per"])
    if rate <= 0:
        return
    cooldown = commands.Cooldown(rate, per)

    def factory(message: Any) -> commands.Cooldown | None:  # discord.py passes ctx.message
        return None if bot.permissions.is_bot_owner(message.author.id) else cooldown

    targets = [command]
    if isinstance(command, commands.Group):
        targets.extend(command.walk_commands())
    for target in targets:
        if target._buckets.valid:  # declared with @commands.cooldown or dynamic_cooldown
            continue
        # discord.py exposes no setter; this is what @commands.dynamic_cooldown stores.
        target._buckets = commands.DynamicCooldownMapping(factory, commands.BucketType.user)
