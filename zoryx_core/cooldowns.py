"""The default cooldown for commands that declare none (``cooldowns.default_rate`` uses per
``cooldowns.default_per`` seconds, per user); bot owners are exempt."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from discord.ext import commands

if TYPE_CHECKING:
    from .bot import ZoryxBot

__all__ = ["PerUserCooldown", "apply_default_cooldown"]


class _Allowance(commands.Cooldown):
    """discord.py's :class:`~discord.ext.commands.Cooldown`, its ``update_rate_limit`` done in one
    call instead of two (it runs for every command); the same arithmetic."""

    __slots__ = ()

    def update_rate_limit(self, current: float | None = None, *, tokens: int = 1) -> float | None:
        current = current or time.time()
        self._last = current
        available = self.rate if current > self._window + self.per else max(self._tokens, 0)
        if available == self.rate:  # the first token of a new window
            self._window = current
        self._tokens = available - tokens
        if self._tokens < 0:
            return self.per - (current - self._window)
        return None


class PerUserCooldown(commands.CooldownMapping[Any]):
    """``rate`` uses per ``per`` seconds for each user, with a bucket of its own per user; users
    for whom ``is_exempt(user_id)`` is true have none.

    discord.py keeps one :class:`~discord.ext.commands.Cooldown` per key and copies the template
    for each new key, so every user has their own allowance. Buckets unused for a whole period
    are dropped at most once per period rather than on every use.
    """

    def __init__(self, rate: int, per: float, is_exempt: Callable[[int], bool]) -> None:
        super().__init__(_Allowance(rate, per), commands.BucketType.user)
        self._is_exempt = is_exempt
        self._per = per
        self._next_sweep = 0.0

    def copy(self) -> PerUserCooldown:
        """A mapping with the same rule and a copy of the current buckets (discord.py's contract)."""
        template = self._cooldown
        assert template is not None
        clone = PerUserCooldown(template.rate, template.per, self._is_exempt)
        clone._cache = {key: bucket.copy() for key, bucket in self._cache.items()}
        return clone

    def get_bucket(self, message: Any, current: float | None = None) -> commands.Cooldown | None:
        """The user's own bucket (``message`` is the context discord.py passes), or ``None`` for
        an exempt user. Keyed by user id, as discord.py's ``BucketType.user`` keys it."""
        user_id = message.author.id
        if self._is_exempt(user_id):
            return None
        now = current or time.time()
        if now >= self._next_sweep:  # discord.py's sweep of buckets unused for a whole period
            self._next_sweep = now + self._per
            self._verify_cache_integrity(now)
        bucket = self._cache.get(user_id)
        if bucket is None:
            template = self._cooldown
            assert template is not None
            bucket = self._cache[user_id] = template.copy()
        return bucket


def apply_default_cooldown(bot: ZoryxBot, command: commands.Command[Any, ..., Any]) -> None:
    """Give ``command`` (and its subcommands) the default cooldown unless they have their own."""
    rate = int(bot.settings["cooldowns.default_rate"])
    per = float(bot.settings["cooldowns.default_per"])
    if rate <= 0:
        return
    targets = [command]
    if isinstance(command, commands.Group):
        targets.extend(command.walk_commands())
    for target in targets:
        if target._buckets.valid:  # declared with @commands.cooldown or dynamic_cooldown
            continue
        # discord.py exposes no setter; this is the attribute its cooldown decorators set.
        target._buckets = PerUserCooldown(rate, per, bot.permissions.is_bot_owner)
