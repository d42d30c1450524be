"""The emulator's world: users, guilds, channels, messages, commands, and how they render."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .deadlines import Deadlines
from .errors import ErrorCode, NotFound
from .models import (
    ApplicationCommand,
    Attachment,
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Role,
    User,
    numbered_components,
)
from .permissions import sees_thread
from .snowflake import SnowflakeGenerator

if TYPE_CHECKING:
    from .entities import Invite, ScheduledEvent, VoiceState, Webhook

__all__ = [
    "DEFAULT_GUILD_SETTINGS",
    "EmulatorState",
    "MessageWaiter",
    "poll_payload",
    "scheduled_event_payload",
    "voice_state_payload",
]

DEFAULT_GUILD_SETTINGS: dict[str, Any] = {
    "icon": None,
    "banner": None,
    "splash": None,
    "discovery_splash": None,
    "description": None,
    "verification_level": 0,
    "default_message_notifications": 0,
    "explicit_content_filter": 0,
    "afk_channel_id": None,
    "afk_timeout": 300,
    "system_channel_id": None,
    "system_channel_flags": 0,
    "rules_channel_id": None,
    "public_updates_channel_id": None,
    "safety_alerts_channel_id": None,
    "preferred_locale": "en-US",
    "features": [],
    "mfa_level": 0,
    "nsfw_level": 0,
    "premium_tier": 0,
    "premium_subscription_count": 0,
    "premium_progress_bar_enabled": False,
    "vanity_url_code": None,
    "max_members": 500000,
    "max_video_channel_users": 25,
    "max_stage_video_channel_users": 50,
    "widget_enabled": False,
    "widget_channel_id": None,
    "application_id": None,
    "home_header": None,
    "region": "deprecated",
}
# Settings that hold ids: rendered as strings.
GUILD_ID_SETTINGS = frozenset(
    {
        "afk_channel_id",
        "system_channel_id",
        "rules_channel_id",
        "public_updates_channel_id",
        "safety_alerts_channel_id",
        "widget_channel_id",
        "application_id",
    }
)


@dataclass
class MessageWaiter:
    """A pending wait for a message matching a predicate."""

    channel_id: int | None
    author_id: int | None
    after_id: int
    future: asyncio.Future[Message] = field(repr=False)


class EmulatorState:
    """Everything the emulator knows. Lookups raise Discord's 404 errors."""

    def __init__(self) -> None:
        self.ids = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, OrderedDict[int, Message]] = {}
        self.global_commands: dict[int, ApplicationCommand] = {}
        self.guild_commands: dict[int, dict[int, ApplicationCommand]] = {}
        self.dm_channels: dict[frozenset[int], int] = {}
        self.attachments: dict[int, Attachment] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.invites: dict[str, Invite] = {}
        self.app_extras: dict[str, Any] = {}
        """The application's smaller stores: emojis, entitlements, subscriptions, command permissions."""
        self._waiters: dict[int | None, list[MessageWaiter]] = {}  # by channel id; None: any channel
        self.deadlines = Deadlines()
        """The timeouts of the driver's waits for messages."""

    # -- lookups --------------------------------------------------------------------------------
    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise NotFound(ErrorCode.UNKNOWN_USER, "User") from None

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise NotFound(ErrorCode.UNKNOWN_GUILD, "Guild") from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise NotFound(ErrorCode.UNKNOWN_CHANNEL, "Channel") from None

    def message(self, channel_id: int, message_id: int) -> Message:
        try:
            return self.messages[channel_id][message_id]
        except KeyError:
            raise NotFound(ErrorCode.UNKNOWN_MESSAGE, "Message") from None

    def role(self, guild: Guild, role_id: int) -> Role:
        try:
            return guild.roles[role_id]
        except KeyError:
            raise NotFound(ErrorCode.UNKNOWN_ROLE, "Role") from None

    def member(self, guild: Guild, user_id: int) -> Member:
        try:
            return guild.members[user_id]
        except KeyError:
            raise NotFound(ErrorCode.UNKNOWN_MEMBER, "Member") from None

    def guild_channels(self, guild: Guild) -> list[Channel]:
        return [self.channels[c] for c in guild.channel_ids]

    # -- mutations shared by routes and the driver ------------------------------------------------
    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        user = User(id=self.ids.next(), username=username, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_channel(self, channel: Channel) -> Channel:
        self.channels[channel.id] = channel
        self.messages[channel.id] = OrderedDict()
        if channel.guild_id is not None:
            self.guilds[channel.guild_id].channel_ids.append(channel.id)
        return channel

    def remove_channel(self, channel: Channel) -> None:
        del self.channels[channel.id]
        self.messages.pop(channel.id, None)
        if channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            guild.channel_ids.remove(channel.id)
            for other in self.guild_channels(guild):
                if other.parent_id == channel.id:
                    other.parent_id = None

    def dm_channel(self, bot_id: int, user_id: int) -> Channel:
        key = frozenset({bot_id, user_id})
        if key in self.dm_channels:
            return self.channels[self.dm_channels[key]]
        channel = self.add_channel(Channel(id=self.ids.next(), type=ChannelType.DM, recipient_ids=[user_id]))
        self.dm_channels[key] = channel.id
        return channel

    def add_message(self, message: Message) -> Message:
        self.messages[message.channel_id][message.id] = message
        channel = self.channels[message.channel_id]
        channel.last_message_id = message.id
        if channel.thread is not None:
            channel.thread.message_count += 1
            channel.thread.total_message_sent += 1
            channel.thread.last_activity = time.time()
        self._wake_waiters(message)
        return message

    # -- waiting for messages (driver side) ----------------------------------------------------
    def wait_for_message(
        self, *, channel_id: int | None, author_id: int | None, after_id: int
    ) -> asyncio.Future[Message]:
        """A future for the first message, existing or future, that matches."""
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        existing = self._first_stored(channel_id, author_id, after_id)
        if existing is not None:
            future.set_result(existing)
        else:
            self._waiters.setdefault(channel_id, []).append(
                MessageWaiter(channel_id, author_id, after_id, future)
            )
        return future

    def _first_stored(self, channel_id: int | None, author_id: int | None, after_id: int) -> Message | None:
        """The oldest stored match newer than ``after_id``; walks back from the newest (ids only grow)."""
        channels = [channel_id] if channel_id is not None else list(self.messages)
        found: Message | None = None
        for cid in channels:
            for message in reversed(self.messages.get(cid, {}).values()):
                if message.id <= after_id:
                    break
                if author_id in (None, message.author_id) and (found is None or message.id < found.id):
                    found = message
        return found

    def _wake_waiters(self, message: Message) -> None:
        if not self._waiters:
            return
        for key in (message.channel_id, None):
            waiters = self._waiters.get(key)
            if not waiters:
                continue
            remaining = []
            for waiter in waiters:
                if waiter.future.done():
                    continue
                if message.id > waiter.after_id and waiter.author_id in (None, message.author_id):
                    waiter.future.set_result(message)
                else:
                    remaining.append(waiter)
            if remaining:
                self._waiters[key] = remaining
            else:
                del self._waiters[key]

    # -- rendering --------------------------------------------------------------------------------
    def guild_settings_payload(self, guild: Guild) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, default in DEFAULT_GUILD_SETTINGS.items():
            value = guild.settings.get(key, default)
            if key in GUILD_ID_SETTINGS and value is not None:
                value = str(value)
            data[key] = value
        return data

    def guild_payload(self, guild: Guild) -> dict[str, Any]:
        """The REST shape (GET /guilds/{id})."""
        data = self.guild_settings_payload(guild)
        data.update(
            {
                "id": str(guild.id),
                "name": guild.name,
                "owner_id": str(guild.owner_id),
                "roles": [r.payload() for r in sorted(guild.roles.values(), key=lambda r: r.position)],
                "emojis": [e.payload() for e in guild.emojis.values()],
                "stickers": [s.payload() for s in guild.stickers.values()],
                "nsfw": False,
                "approximate_member_count": len(guild.members),
                "approximate_presence_count": 0,
                "max_presences": None,
                "incidents_data": None,
            }
        )
        return data

    def gateway_guild_payload(
        self, guild: Guild, *, large_threshold: int = 250, viewer_id: int | None = None
    ) -> dict[str, Any]:
        """The GUILD_CREATE shape: REST fields plus channels, members and run-time state.

        Its ``threads`` are the open threads ``viewer_id`` (default: the guild's bot) can see.
        """
        viewer = self.bot_id_for(guild) if viewer_id is None else viewer_id
        data = self.guild_payload(guild)
        large = len(guild.members) > large_threshold
        members = list(guild.members.values())
        if large:
            # Like Discord, a large guild sends only a few members (the bot first); clients chunk the rest.
            members = sorted(members, key=lambda m: not self.users[m.user_id].bot)[:1]
        data.update(
            {
                # no "unavailable" key: "false" would tell clients a known guild came back
                "large": large,
                "member_count": len(guild.members),
                "joined_at": guild.members[self.bot_id_for(guild)].joined_at
                if self.bot_id_for(guild) in guild.members
                else None,
                "channels": [c.payload() for c in self.guild_channels(guild) if c.thread is None],
                "members": [self.member_payload(m) for m in members],
                "threads": [
                    c.payload()
                    for c in self.guild_channels(guild)
                    if c.thread is not None
                    and not c.thread.archived
                    and sees_thread(guild, self.channels.get(c.parent_id or 0, c), c, viewer)
                ],
                "presences": [],
                "voice_states": [voice_state_payload(v) for v in guild.voice_states.values()],
                "stage_instances": [],
                "guild_scheduled_events": [
                    scheduled_event_payload(e) for e in guild.scheduled_events.values()
                ],
                "soundboard_sounds": [],
                "embedded_activities": [],
            }
        )
        return data

    def bot_id_for(self, guild: Guild) -> int:
        for uid in guild.members:
            if self.users[uid].bot:
                return uid
        return 0

    def member_payload(self, member: Member) -> dict[str, Any]:
        return member.payload(self.users[member.user_id])

    def message_payload(self, message: Message, *, viewer_id: int, gateway: bool = False) -> dict[str, Any]:
        author = self.users[message.author_id].payload()
        if message.author_override is not None:
            author.update(message.author_override)
        # most messages have no attachments, embeds, mentions or components: in Python 3.11 each
        # comprehension is a function call, so empty lists are made directly; the container fields
        # are read through their stored values (None when never set), which allocates nothing
        users = self.users
        attachments = message._attachments
        embeds = message._embeds
        mention_ids = message._mention_ids
        mention_role_ids = message._mention_role_ids
        components = message._components
        data: dict[str, Any] = {
            "id": str(message.id),
            "type": message.type,
            "content": message.content,
            "channel_id": str(message.channel_id),
            "author": author,
            "attachments": [a.payload() for a in attachments] if attachments else [],
            "embeds": [{"type": "rich", **embed} for embed in embeds] if embeds else [],
            "mentions": [users[u].payload() for u in mention_ids if u in users] if mention_ids else [],
            "mention_roles": [str(r) for r in mention_role_ids] if mention_role_ids else [],
            "pinned": message.pinned,
            "mention_everyone": message.mention_everyone,
            "tts": message.tts,
            "timestamp": message.timestamp,
            "edited_timestamp": message.edited_timestamp,
            "flags": message.flags,
            "components": numbered_components(components) if components else [],
        }
        if message._reactions:
            data["reactions"] = [
                {
                    "emoji": message.reaction_emojis[key],
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "me": viewer_id in users,
                    "me_burst": False,
                    "burst_colors": [],
                }
                for key, users in message._reactions.items()
                if users
            ]
        if message.message_reference is not None:
            data["message_reference"] = message.message_reference
            if message.type == 19:  # a reply carries the message it answers (or null once deleted)
                data["referenced_message"] = self._referenced(message.message_reference, viewer_id)
        if message.webhook_id is not None:
            data["webhook_id"] = str(message.webhook_id)
        if message.application_id is not None:
            data["application_id"] = str(message.application_id)
        if message.interaction_metadata is not None:
            data["interaction_metadata"] = message.interaction_metadata
        if message.nonce is not None:
            data["nonce"] = message.nonce
        if message.poll is not None:
            data["poll"] = poll_payload(message, viewer_id)
        if message.thread_id is not None and message.thread_id in self.channels:
            data["thread"] = self.channels[message.thread_id].payload()
        if message._sticker_ids:
            data["sticker_items"] = [
                {"id": str(s), "name": self._sticker_name(s), "format_type": 1} for s in message._sticker_ids
            ]
        if gateway:
            data.update(self.gateway_message_fields(message))
        return data

    def gateway_message_fields(self, message: Message) -> dict[str, Any]:
        """What a gateway message event adds to the REST shape: ``guild_id`` and the author's
        ``member`` (without ``user``) in a guild, nothing in a DM."""
        if message.guild_id is None:
            return {}
        data: dict[str, Any] = {"guild_id": str(message.guild_id)}
        guild = self.guilds.get(message.guild_id)
        member = guild.members.get(message.author_id) if guild else None
        if member is not None and message.webhook_id is None:
            data["member"] = member.payload(None)
        return data

    def invite_payload(self, invite: Invite, *, metadata: bool = True) -> dict[str, Any]:
        """Discord's invite object; with ``metadata`` (uses, max_uses...) as the bot's listings show it."""
        guild = self.guilds[invite.guild_id]
        channel = self.channels[invite.channel_id]
        settings = self.guild_settings_payload(guild)
        data: dict[str, Any] = {
            "type": 0,
            "code": invite.code,
            "expires_at": invite.expires_at,
            "guild_id": str(guild.id),
            "guild": {
                "id": str(guild.id),
                "name": guild.name,
                "splash": None,
                "banner": None,
                "description": settings["description"],
                "icon": settings["icon"],
                "features": [],
                "verification_level": settings["verification_level"],
                "vanity_url_code": None,
                "nsfw_level": 0,
                "nsfw": False,
                "premium_subscription_count": 0,
            },
            "channel": {"id": str(channel.id), "type": channel.type, "name": channel.name},
            "inviter": self.users[invite.inviter_id].payload(),
        }
        if metadata:
            data.update(
                uses=invite.uses,
                max_uses=invite.max_uses,
                max_age=invite.max_age,
                temporary=invite.temporary,
                created_at=invite.created_at,
            )
        return data

    def _referenced(self, reference: dict[str, Any], viewer_id: int) -> dict[str, Any] | None:
        channel_messages = self.messages.get(int(reference["channel_id"]))
        replied = channel_messages.get(int(reference["message_id"])) if channel_messages else None
        if replied is None:
            return None
        data = self.message_payload(replied, viewer_id=viewer_id)
        data.pop("referenced_message", None)  # one level, as Discord sends it
        return data

    def _sticker_name(self, sticker_id: int) -> str:
        for guild in self.guilds.values():
            if sticker_id in guild.stickers:
                return guild.stickers[sticker_id].name
        return "sticker"


def poll_payload(message: Message, viewer_id: int) -> dict[str, Any]:
    """A message's poll with its results (counts, whether ``viewer_id`` voted, finalized)."""
    poll = message.poll
    assert poll is not None
    votes = message.poll_votes or {}
    return {
        "question": poll["question"],
        "answers": poll["answers"],
        "expiry": poll["expiry"],
        "allow_multiselect": poll["allow_multiselect"],
        "layout_type": poll["layout_type"],
        "results": {
            "is_finalized": poll["is_finalized"],
            "answer_counts": [
                {"id": answer_id, "count": len(users), "me_voted": viewer_id in users}
                for answer_id, users in sorted(votes.items())
                if users
            ],
        },
    }


def voice_state_payload(state: VoiceState) -> dict[str, Any]:
    return {
        "guild_id": str(state.guild_id),
        "channel_id": str(state.channel_id) if state.channel_id is not None else None,
        "user_id": str(state.user_id),
        "session_id": state.session_id,
        "deaf": False,
        "mute": False,
        "self_deaf": state.self_deaf,
        "self_mute": state.self_mute,
        "self_video": state.self_video,
        "self_stream": state.self_stream,
        "suppress": state.suppress,
        "request_to_speak_timestamp": state.request_to_speak_timestamp,
    }


def scheduled_event_payload(event: ScheduledEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "guild_id": str(event.guild_id),
        "name": event.name,
        "description": event.description,
        "channel_id": str(event.channel_id) if event.channel_id is not None else None,
        "creator_id": str(event.creator_id),
        "image": event.image,
        "scheduled_start_time": event.scheduled_start_time,
        "scheduled_end_time": event.scheduled_end_time,
        "status": event.status,
        "entity_type": event.entity_type,
        "entity_id": None,
        "entity_metadata": {"location": event.location} if event.entity_type == 3 else None,
        "recurrence_rule": None,
        "privacy_level": event.privacy_level,
        "user_count": len(event.user_ids),
        "guild_scheduled_event_exceptions": [],
    }
