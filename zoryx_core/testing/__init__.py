"""A local Discord for end-to-end tests of unmodified discord.py bots over real sockets.

``DiscordEmulator`` serves Discord's REST API under ``/api/v10`` and its gateway over WebSocket,
keeps a state model (guilds, channels, threads, roles, members, messages, polls, commands, bans,
audit log, webhooks, invites, voice states, scheduled events, AutoMod rules), emits the events
Discord would, answers with Discord's errors and rate-limit headers, and can inject faults. Its
driver methods act as users and moderators: send, edit and delete messages, run slash and
context-menu commands, click buttons, choose in selects, submit modals, react, vote, join by
invite, join voice, start threads, kick and ban. ``python -m zoryx_core.testing coverage``
measures what it covers. The pytest plugin in :mod:`zoryx_core.testing.pytest_plugin` gives any
project that installs zoryx-core the ``discord_emulator`` and ``bot_runner`` fixtures.
"""

from __future__ import annotations

from .actions import InteractionResult
from .audit import AuditAction
from .bots import running_bot, start_bot, stop_bot
from .coverage import CoverageReport, measure
from .entities import AuditLogEntry, AutoModRule, Ban, Invite, ScheduledEvent, ThreadInfo, VoiceState, Webhook
from .errors import DiscordError, ErrorCode
from .gateway import Intents
from .images import sample_gif, sample_png
from .interactions_state import CallbackType
from .models import (
    ApplicationCommand,
    Attachment,
    Channel,
    ChannelType,
    Emoji,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    Sticker,
    User,
)
from .permissions import ALL_PERMISSIONS, DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, P
from .server import DiscordEmulator, RequestRecord

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "ApplicationCommand",
    "Attachment",
    "AuditAction",
    "AuditLogEntry",
    "AutoModRule",
    "Ban",
    "CallbackType",
    "Channel",
    "ChannelType",
    "CoverageReport",
    "DiscordEmulator",
    "DiscordError",
    "Emoji",
    "ErrorCode",
    "Guild",
    "Intents",
    "InteractionResult",
    "Invite",
    "Member",
    "Message",
    "Overwrite",
    "P",
    "RequestRecord",
    "Role",
    "ScheduledEvent",
    "Sticker",
    "ThreadInfo",
    "User",
    "VoiceState",
    "Webhook",
    "measure",
    "running_bot",
    "sample_gif",
    "sample_png",
    "start_bot",
    "stop_bot",
]
