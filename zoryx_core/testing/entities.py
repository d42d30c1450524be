"""State objects beyond the basics: bans, audit log entries, webhooks, invites, threads, voice
states, scheduled events and AutoMod rules. Each renders itself as Discord's payload."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .models import User, iso_now

__all__ = [
    "AuditLogEntry",
    "AutoModRule",
    "Ban",
    "Invite",
    "ScheduledEvent",
    "ThreadInfo",
    "VoiceState",
    "Webhook",
]


@dataclass
class Ban:
    user_id: int
    reason: str | None = None


@dataclass
class AuditLogEntry:
    id: int
    guild_id: int
    action_type: int
    user_id: int | None
    target_id: int | None
    reason: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, str] | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "action_type": self.action_type,
            "user_id": str(self.user_id) if self.user_id is not None else None,
            "target_id": str(self.target_id) if self.target_id is not None else None,
            "changes": self.changes,
        }
        if self.options:
            data["options"] = self.options
        if self.reason is not None:
            data["reason"] = self.reason
        return data


@dataclass
class Webhook:
    """An incoming webhook (type 1) or a channel follower webhook (type 2)."""

    id: int
    channel_id: int
    guild_id: int
    name: str
    token: str
    creator_id: int
    type: int = 1
    avatar: str | None = None
    source_channel_id: int | None = None  # type 2: the followed announcement channel

    def payload(self, users: dict[int, User], base_url: str, *, with_token: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "channel_id": str(self.channel_id),
            "name": self.name,
            "avatar": self.avatar,
            "application_id": None,
        }
        if self.creator_id in users:
            data["user"] = users[self.creator_id].payload()
        if self.type == 1 and with_token:
            data["token"] = self.token
            data["url"] = f"{base_url}/api/webhooks/{self.id}/{self.token}"
        return data


@dataclass
class Invite:
    code: str
    guild_id: int
    channel_id: int
    inviter_id: int
    max_age: int = 86400
    max_uses: int = 0
    uses: int = 0
    temporary: bool = False
    created_at: str = field(default_factory=iso_now)

    @property
    def expires_at(self) -> str | None:
        if not self.max_age:
            return None
        created = dt.datetime.fromisoformat(self.created_at)
        return (created + dt.timedelta(seconds=self.max_age)).isoformat()


@dataclass
class ThreadInfo:
    """What makes a channel a thread."""

    owner_id: int
    auto_archive_duration: int = 1440
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    archive_timestamp: str = field(default_factory=iso_now)
    create_timestamp: str = field(default_factory=iso_now)
    member_ids: dict[int, str] = field(default_factory=dict)  # user id -> join timestamp
    message_count: int = 0
    total_message_sent: int = 0
    applied_tags: list[str] = field(default_factory=list)
    last_activity: float = 0.0  # time.time() of the last message or change

    def metadata(self) -> dict[str, Any]:
        return {
            "archived": self.archived,
            "archive_timestamp": self.archive_timestamp,
            "auto_archive_duration": self.auto_archive_duration,
            "locked": self.locked,
            "create_timestamp": self.create_timestamp,
            "invitable": self.invitable,
        }


@dataclass
class VoiceState:
    user_id: int
    guild_id: int
    channel_id: int | None
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False
    self_video: bool = False
    self_stream: bool = False
    suppress: bool = False
    request_to_speak_timestamp: str | None = None


@dataclass
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    creator_id: int
    scheduled_start_time: str
    entity_type: int  # 1 stage, 2 voice, 3 external
    channel_id: int | None = None
    scheduled_end_time: str | None = None
    description: str | None = None
    status: int = 1  # scheduled
    location: str | None = None
    privacy_level: int = 2
    image: str | None = None
    user_ids: list[int] = field(default_factory=list)


@dataclass
class AutoModRule:
    id: int
    guild_id: int
    name: str
    creator_id: int
    event_type: int = 1
    trigger_type: int = 1  # keyword
    trigger_metadata: dict[str, Any] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True
    exempt_roles: list[int] = field(default_factory=list)
    exempt_channels: list[int] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        metadata = {"keyword_filter": [], "regex_patterns": [], "allow_list": [], **self.trigger_metadata}
        if self.trigger_type != 1:
            metadata = dict(self.trigger_metadata)
        return {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "name": self.name,
            "creator_id": str(self.creator_id),
            "event_type": self.event_type,
            "trigger_type": self.trigger_type,
            "trigger_metadata": metadata,
            "actions": self.actions,
            "enabled": self.enabled,
            "exempt_roles": [str(r) for r in self.exempt_roles],
            "exempt_channels": [str(c) for c in self.exempt_channels],
        }

    def matches(self, content: str) -> str | None:
        """The keyword of a keyword rule found in ``content`` (Discord's ``*`` wildcards at either end)."""
        if self.trigger_type != 1 or not self.enabled:
            return None
        words = content.lower().split()
        allowed = {a.lower() for a in self.trigger_metadata.get("allow_list") or []}
        for keyword in self.trigger_metadata.get("keyword_filter") or []:
            key = keyword.lower()
            core = key.strip("*")
            for word in words:
                if word in allowed:
                    continue
                if (
                    (key.startswith("*") and key.endswith("*") and core in word)
                    or (key.startswith("*") and not key.endswith("*") and word.endswith(core))
                    or (key.endswith("*") and not key.startswith("*") and word.startswith(core))
                    or word == core
                ):
                    return str(keyword)
        return None
