"""A server for the command tests: its owner, an administrator, a plain member and a bot owner,
and a bot with zoryx-backup answering them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoryx_backup import BackupService, backup_service

from zoryx_core import ZoryxBot
from zoryx_core.testing import Channel, DiscordEmulator, Guild, Message, P, User, start_bot
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

BASE_CONFIG: dict[str, Any] = {"cooldowns.default_rate": 0, "errors.delete_after": 0}


def backup_config(**values: Any) -> dict[str, Any]:
    """Dotted config keys for zoryx-backup settings, on top of :data:`BASE_CONFIG`."""
    return {**BASE_CONFIG, **{f"plugin_settings.zoryx-backup.{k}": v for k, v in values.items()}}


@dataclass
class Staff:
    emu: DiscordEmulator
    guild: Guild
    general: Channel
    owner: User
    """The server's owner."""
    admin: User
    """A member with a role that has the Administrator permission."""
    plain: User
    """A member with no special rights."""
    boss: User
    """The bot's owner (also a member)."""

    def embed(self, message: Message, index: int = 0) -> dict[str, Any]:
        assert message.embeds, f"no embed in {message.content!r}"
        return message.embeds[index]


def make_staff(emu: DiscordEmulator, name: str = "Staffed") -> Staff:
    owner = emu.create_user(f"{name.lower()}-owner")
    guild = emu.create_guild(name, owner=owner)
    admins = emu.create_role(guild, "admins", permissions=P.ADMINISTRATOR)
    emu.create_role(guild, "helpers", permissions=P.SEND_MESSAGES)
    admin = emu.create_user("admin")
    emu.add_member(guild, admin, roles=[admins])
    plain = emu.create_user("plain")
    emu.add_member(guild, plain)
    boss = emu.create_user("boss")
    emu.add_member(guild, boss)
    general = emu.channel_named(guild, "general")
    emu.create_channel(guild, "lobby")
    return Staff(emu, guild, general, owner, admin, plain, boss)


BotStarter = Callable[..., Awaitable[tuple[ZoryxBot, BackupService]]]


def bot_starter(emu: DiscordEmulator, staff: Staff, started: list[ZoryxBot]) -> BotStarter:
    """``await start(home, core={...}, **settings)``: a bot with zoryx-backup (``settings``) living
    in ``home`` (the same home twice is a restart), with ``staff.boss`` as its owner; ``core``
    holds other dotted config keys."""

    async def start(
        home: Path, *, core: dict[str, Any] | None = None, **settings: Any
    ) -> tuple[ZoryxBot, BackupService]:
        config = {**backup_config(**settings), **(core or {})}
        bot = make_zoryx_bot(home, plugins=["zoryx-backup"], config=config, owner_id=staff.boss.id)
        await start_bot(emu, bot)
        started.append(bot)
        return bot, backup_service(bot)

    return start
