"""More of what users and moderators do that a bot reacts to: editing and deleting their own
messages, removing reactions, leaving, kicks and bans, invites, voice, typing, presence, polls,
threads and forum posts, scheduled-event interest."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .audit import AuditAction, record_audit
from .entities import Invite
from .models import Channel, ChannelType, Guild, Member, Message, User, iso_now
from .mutations import (
    build_message,
    delete_message,
    hidden_from_bot,
    post_message,
    remove_member,
    update_message,
)
from .routes.app_extras import cancel_subscription, grant_entitlement, start_subscription
from .routes.guild_extras import add_integration, set_sounds_available, update_integration
from .routes.invites import create_invite, join_by_invite
from .routes.messages import remove_reaction
from .routes.moderation import ban_user, unban_user
from .routes.polls import end_poll, vote
from .routes.scheduled_events import subscribe, unsubscribe
from .routes.threads import add_thread_member, archive_thread, create_thread, remove_thread_member
from .scenario import object_id
from .voice import set_voice_channel

if TYPE_CHECKING:
    from .server import DiscordEmulator
    from .state import EmulatorState

__all__ = ["CommunityActionsMixin"]


class CommunityActionsMixin:
    """User- and moderator-side actions for :class:`~zoryx_core.testing.DiscordEmulator`."""

    state: EmulatorState
    bot_user: User

    @property
    def _emu(self) -> DiscordEmulator:
        return self  # type: ignore[return-value]

    # -- own messages and reactions ---------------------------------------------------------------
    async def edit_message(self, message: Message, content: str) -> Message:
        """The author edits their message; MESSAGE_UPDATE is sent."""
        message.content = content
        message.edited_timestamp = iso_now()
        update_message(self._emu, message)
        return message

    async def delete_message(self, message: Message) -> None:
        """The author deletes their message; MESSAGE_DELETE is sent."""
        delete_message(self._emu, message)

    async def remove_reaction(self, message: Message, emoji: str, user: User | Member) -> None:
        remove_reaction(self._emu, message, object_id(user), emoji)

    async def start_typing(self, channel: Channel, user: User | Member) -> None:
        """TYPING_START, as a client sends while a user types."""
        user_id = object_id(user)
        if hidden_from_bot(self._emu, channel.id, channel.guild_id):
            return
        data: dict[str, Any] = {
            "channel_id": str(channel.id),
            "user_id": str(user_id),
            "timestamp": int(time.time()),
        }
        if channel.guild_id is not None:
            guild = self.state.guilds[channel.guild_id]
            data["guild_id"] = str(guild.id)
            data["member"] = self.state.member_payload(guild.members[user_id])
        self._emu.dispatch("TYPING_START", data, guild_id=channel.guild_id)

    # -- membership and moderation ---------------------------------------------------------------
    def leave_guild(self, guild: Guild, user: User | Member) -> None:
        """The member leaves; GUILD_MEMBER_REMOVE is sent."""
        user_id = object_id(user)
        if user_id not in guild.members:
            raise ValueError(f"user {user_id} is not a member of {guild.name!r}")
        remove_member(self._emu, guild, user_id)  # out of voice first, as Discord does

    def kick_member(
        self, guild: Guild, user: User | Member, *, by: User | Member | None = None, reason: str | None = None
    ) -> None:
        """A moderator (the guild owner by default) kicks a member: GUILD_MEMBER_REMOVE and an audit
        log entry by that moderator."""
        user_id = object_id(user)
        if user_id not in guild.members:
            raise ValueError(f"user {user_id} is not a member of {guild.name!r}")
        remove_member(self._emu, guild, user_id)
        moderator = object_id(by) if by is not None else guild.owner_id
        record_audit(self._emu, guild, AuditAction.MEMBER_KICK, user_id, user_id=moderator, reason=reason)

    def ban_member(
        self,
        guild: Guild,
        user: User | Member,
        *,
        by: User | Member | None = None,
        reason: str | None = None,
        delete_message_seconds: int = 0,
    ) -> None:
        """A moderator bans a user: GUILD_MEMBER_REMOVE (if a member), GUILD_BAN_ADD, recent messages
        deleted, an audit log entry. The user cannot join again until unbanned."""
        moderator = object_id(by) if by is not None else guild.owner_id
        ban_user(
            self._emu,
            guild,
            object_id(user),
            reason=reason,
            delete_message_seconds=delete_message_seconds,
            by=moderator,
        )

    def unban_member(self, guild: Guild, user: User | Member, *, by: User | Member | None = None) -> None:
        unban_user(self._emu, guild, object_id(user), by=object_id(by) if by is not None else guild.owner_id)

    def create_invite(
        self, channel: Channel, inviter: User | Member, *, max_uses: int = 0, max_age: int = 86400
    ) -> Invite:
        """A member creates an invite; INVITE_CREATE is sent."""
        return create_invite(self._emu, channel.id, object_id(inviter), max_uses=max_uses, max_age=max_age)

    def join_by_invite(self, invite: Invite | str, user: User | str) -> Member:
        """A user (or a new user of that name) joins through an invite, raising its ``uses``."""
        if isinstance(user, str):
            user = self.state.add_user(user)
        code = invite.code if isinstance(invite, Invite) else invite
        return join_by_invite(self._emu, code, user)

    # -- voice, presence ----------------------------------------------------------------------------
    def join_voice(
        self,
        guild: Guild,
        user: User | Member,
        channel: Channel,
        *,
        self_mute: bool = False,
        self_deaf: bool = False,
    ) -> None:
        """A member connects to (or moves to) a voice channel; VOICE_STATE_UPDATE is sent."""
        user_id = object_id(user)
        if user_id not in guild.members:
            raise ValueError(f"user {user_id} is not a member of {guild.name!r}")
        set_voice_channel(self._emu, guild, user_id, channel.id, self_mute=self_mute, self_deaf=self_deaf)

    def move_voice(self, guild: Guild, user: User | Member, channel: Channel) -> None:
        self.join_voice(guild, user, channel)

    def leave_voice(self, guild: Guild, user: User | Member) -> None:
        set_voice_channel(self._emu, guild, object_id(user), None)

    def set_presence(
        self,
        user: User | Member,
        status: str = "online",
        *,
        activities: list[dict[str, Any]] | None = None,
        guild: Guild | None = None,
    ) -> None:
        """PRESENCE_UPDATE in every guild the user shares with the bot (or only ``guild``)."""
        if status not in ("online", "idle", "dnd", "offline"):
            raise ValueError(f"status {status!r} is not one of online, idle, dnd, offline")
        user_id = object_id(user)
        guilds = [guild] if guild is not None else list(self.state.guilds.values())
        for target in guilds:
            if user_id not in target.members or self.bot_user.id not in target.members:
                continue
            data = {
                "user": {"id": str(user_id)},
                "guild_id": str(target.id),
                "status": status,
                "activities": list(activities or []),
                "client_status": {"desktop": status} if status != "offline" else {},
            }
            self._emu.dispatch("PRESENCE_UPDATE", data, guild_id=target.id)

    # -- polls ------------------------------------------------------------------------------------
    def vote(self, message: Message, user: User | Member, answers: list[int]) -> None:
        """A user's vote becomes ``answers`` (answer ids, from 1); ``[]`` withdraws it.
        MESSAGE_POLL_VOTE_ADD / _REMOVE are sent for each change."""
        vote(self._emu, message, object_id(user), answers)

    def end_poll(self, message: Message) -> None:
        """The poll's time runs out: results finalized (MESSAGE_UPDATE) and Discord's result message."""
        end_poll(self._emu, message)

    async def send_poll(
        self,
        channel: Channel,
        author: User | Member,
        question: str,
        answers: list[str],
        *,
        allow_multiselect: bool = False,
        duration: int = 24,
    ) -> Message:
        """A member posts a poll."""
        body = {
            "poll": {
                "question": {"text": question},
                "answers": [{"poll_media": {"text": a}} for a in answers],
                "allow_multiselect": allow_multiselect,
                "duration": duration,
            }
        }
        return post_message(self._emu, build_message(self._emu, channel, object_id(author), body))

    # -- threads and forums ---------------------------------------------------------------------------
    def create_thread(
        self,
        channel: Channel,
        user: User | Member,
        name: str,
        *,
        message: Message | None = None,
        private: bool = False,
        auto_archive_duration: int = 1440,
    ) -> Channel:
        """A member starts a thread (from ``message``, or without one); THREAD_CREATE is sent."""
        kind = ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD
        thread = create_thread(
            self._emu,
            channel,
            object_id(user),
            name,
            type=kind,
            thread_id=message.id if message is not None else None,
            auto_archive_duration=auto_archive_duration,
        )
        if message is not None:
            message.thread_id = thread.id
            message.flags |= 32
        return thread

    async def forum_post(
        self,
        forum: Channel,
        user: User | Member,
        name: str,
        content: str,
        *,
        tags: Sequence[str] = (),
    ) -> tuple[Channel, Message]:
        """A member posts in a forum: a thread with ``tags`` (names or ids) and its starter message."""
        available = forum.option("available_tags") or []
        by_name = {t["name"]: t["id"] for t in available}
        ids = [by_name.get(t, t) for t in tags]
        unknown = [t for t in ids if t not in {a["id"] for a in available}]
        if unknown:
            raise LookupError(f"tags {unknown} are not in #{forum.name} (tags: {sorted(by_name)})")
        thread = create_thread(self._emu, forum, object_id(user), name, applied_tags=ids)
        starter = build_message(self._emu, thread, object_id(user), {"content": content})
        starter.id = thread.id
        return thread, post_message(self._emu, starter)

    def join_thread(self, thread: Channel, user: User | Member) -> None:
        add_thread_member(self._emu, thread, object_id(user))

    def leave_thread(self, thread: Channel, user: User | Member) -> None:
        remove_thread_member(self._emu, thread, object_id(user))

    def auto_archive_threads(self, idle_minutes: int) -> list[Channel]:
        """Archives, as Discord does after inactivity, every open thread whose auto-archive duration
        is at most ``idle_minutes`` (as if that long passed without activity); returns them."""
        archived = []
        for channel in list(self.state.channels.values()):
            info = channel.thread
            if info is not None and not info.archived and info.auto_archive_duration <= idle_minutes:
                archive_thread(self._emu, channel)
                archived.append(channel)
        return archived

    # -- scheduled events ---------------------------------------------------------------------------
    def mark_interested(
        self, guild: Guild, *, event: int, user: User | Member, interested: bool = True
    ) -> None:
        """A member marks (or unmarks) themselves interested in a scheduled event."""
        scheduled = guild.scheduled_events[event]
        if interested:
            subscribe(self._emu, scheduled, object_id(user))
        else:
            unsubscribe(self._emu, scheduled, object_id(user))

    # -- apps: integrations, entitlements, subscriptions ------------------------------------------------
    def add_integration(self, guild: Guild, name: str) -> dict[str, Any]:
        """Another app is installed in the guild: INTEGRATION_CREATE, GUILD_INTEGRATIONS_UPDATE."""
        return add_integration(self._emu, guild, name)

    def grant_entitlement(
        self, sku_id: int, *, user: User | Member | None = None, guild: Guild | None = None
    ) -> dict[str, Any]:
        """A purchase: the user (or guild) is entitled to the SKU; ENTITLEMENT_CREATE is sent."""
        return grant_entitlement(
            self._emu,
            sku_id,
            user_id=object_id(user) if user is not None else None,
            guild_id=guild.id if guild is not None else None,
        )

    def start_subscription(self, sku_id: int, user: User | Member) -> dict[str, Any]:
        """A user subscribes to a SKU: ENTITLEMENT_CREATE and SUBSCRIPTION_CREATE."""
        return start_subscription(self._emu, sku_id, object_id(user))

    def cancel_subscription(self, subscription: dict[str, Any]) -> None:
        """The subscription ends: SUBSCRIPTION_UPDATE, ENTITLEMENT_UPDATE, SUBSCRIPTION_DELETE."""
        cancel_subscription(self._emu, int(subscription["id"]))

    def update_integration(self, guild: Guild, integration: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """An installed app changes (``name``, ``scopes``, ``enabled``): INTEGRATION_UPDATE."""
        return update_integration(self._emu, guild, int(integration["id"]), **fields)

    def set_soundboard_sounds_available(self, guild: Guild, available: bool) -> None:
        """All guild sounds turn (un)available, as a boost level change does."""
        set_sounds_available(self._emu, guild, available)
