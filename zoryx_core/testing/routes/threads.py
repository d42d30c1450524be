"""Threads and forum posts: create (from a message, without one, in a forum), members, archive and
lock, listings; THREAD_* events."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..access import (
    bot_has_channel_permission,
    bot_sees_thread,
    require_bot_in_guild,
    require_channel_permission,
)
from ..audit import AuditAction, change, record_audit
from ..entities import ThreadInfo
from ..errors import DiscordError, ErrorCode, Forbidden, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, json_response, read_body, snowflake
from ..models import Channel, ChannelType, Guild, iso_now
from ..mutations import build_message, publish_message
from ..permissions import P, channel_permissions
from ..validation import validate_message_body

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = [
    "add_thread_member",
    "archive_thread",
    "create_thread",
    "delete_thread",
    "edit_thread",
    "remove_thread_member",
    "reopen_for_message",
    "routes",
    "sync_if_revealed",
    "thread_member_payload",
]

routes = RouteSet()

ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
FORUM_TYPES = frozenset({ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA})
MAX_APPLIED_TAGS = 5


def _guild(emu: DiscordEmulator, channel: Channel) -> Guild:
    if channel.guild_id is None:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    return emu.state.guilds[channel.guild_id]


def _thread(emu: DiscordEmulator, request: Request) -> Channel:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.thread is None:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    return channel


def thread_member_payload(
    emu: DiscordEmulator, thread: Channel, user_id: int, *, with_member: bool = False
) -> dict[str, Any]:
    assert thread.thread is not None
    data: dict[str, Any] = {
        "id": str(thread.id),
        "user_id": str(user_id),
        "join_timestamp": thread.thread.member_ids[user_id],
        "flags": 0,
    }
    if with_member and thread.guild_id is not None:
        member = emu.state.guilds[thread.guild_id].members.get(user_id)
        if member is not None:
            data["member"] = emu.state.member_payload(member)
    return data


def _thread_event_payload(emu: DiscordEmulator, thread: Channel, **extra: Any) -> dict[str, Any]:
    data = thread.payload() | extra
    assert thread.thread is not None
    if emu.bot_user.id in thread.thread.member_ids:
        data["member"] = thread_member_payload(emu, thread, emu.bot_user.id)
    return data


def _check_duration(value: Any) -> int:
    if value not in ARCHIVE_DURATIONS:
        raise InvalidFormBody(
            "auto_archive_duration", "BASE_TYPE_CHOICES", f"Value must be one of {ARCHIVE_DURATIONS}."
        )
    return int(value)


def _check_tags(emu: DiscordEmulator, forum: Channel, raw: Any, *, moderator: bool) -> list[str]:
    tags = [str(t) for t in raw or []]
    if len(tags) > MAX_APPLIED_TAGS:
        raise InvalidFormBody(
            "applied_tags", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_APPLIED_TAGS} or fewer in length."
        )
    available = {str(t["id"]): t for t in forum.option("available_tags") or []}
    for index, tag in enumerate(tags):
        if tag not in available:
            raise InvalidFormBody(f"applied_tags.{index}", "TAG_INVALID", "Unknown tag")
        if available[tag].get("moderated") and not moderator:
            raise Forbidden()
    return list(dict.fromkeys(tags))


def create_thread(
    emu: DiscordEmulator,
    parent: Channel,
    owner_id: int,
    name: Any,
    *,
    type: int = ChannelType.PUBLIC_THREAD,
    thread_id: int | None = None,
    auto_archive_duration: int | None = None,
    invitable: bool = True,
    applied_tags: list[str] | None = None,
    rate_limit_per_user: int = 0,
) -> Channel:
    """Makes a thread in ``parent`` with its owner as first member; THREAD_CREATE is sent."""
    guild = _guild(emu, parent)
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    duration = auto_archive_duration or parent.option("default_auto_archive_duration") or 1440
    now = iso_now()
    thread = Channel(
        id=thread_id or emu.state.ids.next(),
        type=type,
        name=name,
        guild_id=guild.id,
        parent_id=parent.id,
        thread=ThreadInfo(
            owner_id=owner_id,
            auto_archive_duration=_check_duration(duration),
            invitable=invitable,
            applied_tags=list(applied_tags or []),
            member_ids={owner_id: now},
            last_activity=time.time(),
        ),
    )
    if rate_limit_per_user:
        thread.options["rate_limit_per_user"] = int(rate_limit_per_user)
    emu.state.add_channel(thread)
    if bot_sees_thread(emu, thread):
        payload = _thread_event_payload(emu, thread, newly_created=True)
        emu.dispatch("THREAD_CREATE", payload, guild_id=guild.id)
    return thread


def emit_thread_update(emu: DiscordEmulator, thread: Channel) -> None:
    if bot_sees_thread(emu, thread):
        emu.dispatch("THREAD_UPDATE", _thread_event_payload(emu, thread), guild_id=thread.guild_id)


def archive_thread(
    emu: DiscordEmulator, thread: Channel, *, archived: bool = True, locked: bool | None = None
) -> None:
    assert thread.thread is not None
    info = thread.thread
    if archived != info.archived:
        info.archived = archived
        info.archive_timestamp = iso_now()
    if locked is not None:
        info.locked = locked
    emit_thread_update(emu, thread)


def delete_thread(emu: DiscordEmulator, thread: Channel) -> None:
    visible = bot_sees_thread(emu, thread)
    emu.state.remove_channel(thread)
    if not visible:
        return
    emu.dispatch(
        "THREAD_DELETE",
        {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "parent_id": str(thread.parent_id),
            "type": thread.type,
        },
        guild_id=thread.guild_id,
    )


def _members_update(
    emu: DiscordEmulator,
    thread: Channel,
    *,
    added: tuple[int, ...] = (),
    removed: tuple[int, ...] = (),
    visible: bool = True,
) -> None:
    assert thread.thread is not None
    if not visible:
        return
    emu.dispatch(
        "THREAD_MEMBERS_UPDATE",
        {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": min(len(thread.thread.member_ids), 50),
            "added_members": [thread_member_payload(emu, thread, u, with_member=True) for u in added],
            "removed_member_ids": [str(u) for u in removed],
        },
        guild_id=thread.guild_id,
    )


def add_thread_member(emu: DiscordEmulator, thread: Channel, user_id: int) -> None:
    """Adds a member to a thread: THREAD_MEMBERS_UPDATE, and THREAD_MEMBER_UPDATE when it is the bot.

    A private thread the bot could not see before it was added reaches it first as THREAD_CREATE
    (without ``newly_created``), as Discord sends it."""
    assert thread.thread is not None and thread.guild_id is not None
    guild = emu.state.guilds[thread.guild_id]
    emu.state.member(guild, user_id)
    if user_id in thread.thread.member_ids:
        return
    was_visible = bot_sees_thread(emu, thread)
    thread.thread.member_ids[user_id] = iso_now()
    if not bot_sees_thread(emu, thread):
        return  # a member joined a private thread the bot is not in: nothing reaches the bot
    if not was_visible:
        emu.dispatch("THREAD_CREATE", _thread_event_payload(emu, thread), guild_id=thread.guild_id)
    if user_id == emu.bot_user.id:
        emu.dispatch(
            "THREAD_MEMBER_UPDATE",
            thread_member_payload(emu, thread, user_id) | {"guild_id": str(thread.guild_id)},
            guild_id=thread.guild_id,
        )
    _members_update(emu, thread, added=(user_id,))


def remove_thread_member(emu: DiscordEmulator, thread: Channel, user_id: int) -> None:
    assert thread.thread is not None
    if user_id not in thread.thread.member_ids:
        return
    visible = bot_sees_thread(emu, thread)  # the bot leaving a private thread still hears of it
    del thread.thread.member_ids[user_id]
    _members_update(emu, thread, removed=(user_id,), visible=visible)


def reopen_for_message(emu: DiscordEmulator, thread: Channel, author_id: int) -> None:
    """Sending in an archived thread unarchives it; a locked one takes Manage Threads."""
    info = thread.thread
    assert info is not None and thread.guild_id is not None
    if not info.archived and not info.locked:
        return
    guild = emu.state.guilds[thread.guild_id]
    parent = emu.state.channels.get(thread.parent_id or 0, thread)
    manager = bool(channel_permissions(guild, parent, author_id) & P.MANAGE_THREADS)
    if info.locked and not manager:
        raise DiscordError(400, 50083, "Thread is locked")
    if info.archived:
        archive_thread(emu, thread, archived=False)


def sync_if_revealed(emu: DiscordEmulator, channel: Channel, was_visible: bool) -> None:
    """THREAD_LIST_SYNC when a permission change lets the bot see a channel with open threads."""
    if was_visible or channel.guild_id is None:
        return
    if not bot_has_channel_permission(emu, channel, P.VIEW_CHANNEL):
        return
    threads = [
        t
        for t in _threads_in(emu, channel)
        if t.thread is not None and not t.thread.archived and bot_sees_thread(emu, t)
    ]
    emu.dispatch(
        "THREAD_LIST_SYNC",
        {
            "guild_id": str(channel.guild_id),
            "channel_ids": [str(channel.id)],
            "threads": [t.payload() for t in threads],
            "members": [
                thread_member_payload(emu, t, emu.bot_user.id)
                for t in threads
                if t.thread is not None and emu.bot_user.id in t.thread.member_ids
            ],
        },
        guild_id=channel.guild_id,
    )


# -- creating ---------------------------------------------------------------------------------------
@routes.post("/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    message = emu.state.message(channel.id, snowflake(request, "message_id"))
    if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    require_channel_permission(
        emu, channel, P.VIEW_CHANNEL | P.CREATE_PUBLIC_THREADS | P.READ_MESSAGE_HISTORY
    )
    if message.thread_id is not None:
        raise DiscordError(400, 160004, "A thread has already been created for this message")
    body, _ = await read_body(request)
    kind = (
        ChannelType.ANNOUNCEMENT_THREAD
        if channel.type == ChannelType.GUILD_ANNOUNCEMENT
        else ChannelType.PUBLIC_THREAD
    )
    thread = create_thread(
        emu,
        channel,
        emu.bot_user.id,
        body.get("name"),
        type=kind,
        thread_id=message.id,
        auto_archive_duration=body.get("auto_archive_duration"),
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
    )
    message.thread_id = thread.id
    message.flags |= 32  # HAS_THREAD
    record_audit(emu, _guild(emu, channel), AuditAction.THREAD_CREATE, thread.id, request=request)
    return json_response(_thread_event_payload(emu, thread), status=201)


@routes.post("/channels/{channel_id}/threads")
async def thread_without_message(emu: DiscordEmulator, request: Request) -> Any:
    parent = emu.state.channel(snowflake(request, "channel_id"))
    guild = _guild(emu, parent)
    body, files = await read_body(request)
    if parent.type in FORUM_TYPES:
        return await _forum_post(emu, request, guild, parent, body, files)
    if parent.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    kind = int(body.get("type") or ChannelType.PRIVATE_THREAD)
    if kind not in ChannelType.THREAD_TYPES:
        raise InvalidFormBody("type", "BASE_TYPE_CHOICES", "Value must be one of (10, 11, 12).")
    needed = P.CREATE_PRIVATE_THREADS if kind == ChannelType.PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
    require_channel_permission(emu, parent, P.VIEW_CHANNEL | needed)
    thread = create_thread(
        emu,
        parent,
        emu.bot_user.id,
        body.get("name"),
        type=kind,
        auto_archive_duration=body.get("auto_archive_duration"),
        invitable=bool(body.get("invitable", True)),
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
    )
    record_audit(emu, guild, AuditAction.THREAD_CREATE, thread.id, request=request)
    return json_response(_thread_event_payload(emu, thread), status=201)


async def _forum_post(
    emu: DiscordEmulator,
    request: Request,
    guild: Guild,
    forum: Channel,
    body: dict[str, Any],
    files: list[Any],
) -> Any:
    require_channel_permission(emu, forum, P.VIEW_CHANNEL | P.SEND_MESSAGES)
    starter = body.get("message")
    if not isinstance(starter, dict):
        raise InvalidFormBody("message", "BASE_TYPE_REQUIRED", "This field is required")
    validate_message_body(starter, has_files=bool(files))
    manager = bool(channel_permissions(guild, forum, emu.bot_user.id) & P.MANAGE_THREADS)
    tags = _check_tags(emu, forum, body.get("applied_tags"), moderator=manager)
    if forum.option("available_tags") and forum.flags & 16 and not tags:  # REQUIRE_TAG
        raise InvalidFormBody("applied_tags", "BASE_TYPE_REQUIRED", "A tag is required in this forum")
    thread = create_thread(
        emu,
        forum,
        emu.bot_user.id,
        body.get("name"),
        auto_archive_duration=body.get("auto_archive_duration"),
        applied_tags=tags,
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
    )
    message = build_message(emu, thread, emu.bot_user.id, starter, files)
    message.id = thread.id  # a forum post's starter message has the thread's id
    rendered = publish_message(emu, message)
    record_audit(emu, guild, AuditAction.THREAD_CREATE, thread.id, request=request)
    return json_response(_thread_event_payload(emu, thread) | {"message": rendered}, status=201)


# -- editing (PATCH /channels/{id} on a thread) ---------------------------------------------------------
async def edit_thread(emu: DiscordEmulator, request: Request, thread: Channel) -> Any:
    """PATCH /channels/{thread_id}: name, archived, locked, auto_archive_duration, invitable,
    rate_limit_per_user, applied_tags. Archiving one's own thread needs no permission."""
    info = thread.thread
    assert info is not None
    guild = _guild(emu, thread)
    parent = emu.state.channels.get(thread.parent_id or 0, thread)
    body, _ = await read_body(request)
    require_bot_in_guild(emu, guild)
    manager = bool(channel_permissions(guild, parent, emu.bot_user.id) & P.MANAGE_THREADS)
    owner = info.owner_id == emu.bot_user.id
    only_archiving = set(body) <= {"archived", "auto_archive_duration"}
    if not manager and not (owner and (only_archiving or not info.locked)):
        raise Forbidden()
    if "locked" in body and not manager:
        raise Forbidden()
    if info.locked and body.get("archived") is False and not manager:
        raise Forbidden()
    changes = []
    if "name" in body:
        if not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 100:
            raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        changes.append(change("name", thread.name, body["name"]))
    duration = _check_duration(body["auto_archive_duration"]) if body.get("auto_archive_duration") else None
    tags = (
        _check_tags(emu, parent, body["applied_tags"], moderator=manager) if "applied_tags" in body else None
    )
    # checked: apply
    if "name" in body:
        thread.name = body["name"]
    if duration is not None:
        info.auto_archive_duration = duration
    if tags is not None:
        info.applied_tags = tags
    if "invitable" in body and thread.type == ChannelType.PRIVATE_THREAD:
        info.invitable = bool(body["invitable"])
    if body.get("rate_limit_per_user") is not None:
        thread.options["rate_limit_per_user"] = int(body["rate_limit_per_user"])
    if "locked" in body and bool(body["locked"]) != info.locked:
        changes.append(change("locked", info.locked, bool(body["locked"])))
        info.locked = bool(body["locked"])
    if "archived" in body and bool(body["archived"]) != info.archived:
        changes.append(change("archived", info.archived, bool(body["archived"])))
        info.archived = bool(body["archived"])
        info.archive_timestamp = iso_now()
    info.last_activity = time.time()
    emit_thread_update(emu, thread)
    record_audit(emu, guild, AuditAction.THREAD_UPDATE, thread.id, request=request, changes=changes)
    return thread.payload()


async def remove_thread(emu: DiscordEmulator, request: Request, thread: Channel) -> Any:
    """DELETE /channels/{thread_id}: needs Manage Threads; THREAD_DELETE."""
    guild = _guild(emu, thread)
    parent = emu.state.channels.get(thread.parent_id or 0, thread)
    if not channel_permissions(guild, parent, emu.bot_user.id) & P.MANAGE_THREADS:
        raise Forbidden()
    delete_thread(emu, thread)
    record_audit(emu, guild, AuditAction.THREAD_DELETE, thread.id, request=request)
    return thread.payload()


# -- members ---------------------------------------------------------------------------------------
def _require_joinable(emu: DiscordEmulator, thread: Channel) -> None:
    assert thread.thread is not None
    if thread.thread.archived:
        raise DiscordError(400, 50083, "Thread is archived")


@routes.get("/channels/{channel_id}/thread-members")
async def list_thread_members(emu: DiscordEmulator, request: Request) -> Any:
    thread = _thread(emu, request)
    require_channel_permission(emu, thread, P.VIEW_CHANNEL)
    assert thread.thread is not None
    with_member = request.query.get("with_member", "false").lower() in ("true", "1")
    after = int(request.query.get("after", 0))
    limit = int(request.query.get("limit", 100))
    ids = sorted(u for u in thread.thread.member_ids if u > after)[:limit]
    return [thread_member_payload(emu, thread, u, with_member=with_member) for u in ids]


@routes.get("/channels/{channel_id}/thread-members/{user_id}")
async def get_thread_member(emu: DiscordEmulator, request: Request) -> Any:
    thread = _thread(emu, request)
    require_channel_permission(emu, thread, P.VIEW_CHANNEL)
    assert thread.thread is not None
    user_id = snowflake(request, "user_id")
    if user_id not in thread.thread.member_ids:
        raise NotFound(ErrorCode.UNKNOWN_MEMBER, "Member")
    with_member = request.query.get("with_member", "false").lower() in ("true", "1")
    return thread_member_payload(emu, thread, user_id, with_member=with_member)


@routes.put("/channels/{channel_id}/thread-members/@me")
async def join_thread(emu: DiscordEmulator, request: Request) -> Any:
    thread = _thread(emu, request)
    require_channel_permission(emu, thread, P.VIEW_CHANNEL)
    _require_joinable(emu, thread)
    add_thread_member(emu, thread, emu.bot_user.id)
    return None


@routes.delete("/channels/{channel_id}/thread-members/@me")
async def leave_thread(emu: DiscordEmulator, request: Request) -> Any:
    thread = _thread(emu, request)
    remove_thread_member(emu, thread, emu.bot_user.id)
    return None


@routes.put("/channels/{channel_id}/thread-members/{user_id}")
async def add_member_to_thread(emu: DiscordEmulator, request: Request) -> Any:
    thread = _thread(emu, request)
    require_channel_permission(emu, thread, P.VIEW_CHANNEL | P.SEND_MESSAGES)
    _require_joinable(emu, thread)
    add_thread_member(emu, thread, snowflake(request, "user_id"))
    return None


@routes.delete("/channels/{channel_id}/thread-members/{user_id}")
async def remove_member_from_thread(emu: DiscordEmulator, request: Request) -> Any:
    thread = _thread(emu, request)
    assert thread.thread is not None and thread.guild_id is not None
    guild = emu.state.guilds[thread.guild_id]
    parent = emu.state.channels.get(thread.parent_id or 0, thread)
    manager = bool(channel_permissions(guild, parent, emu.bot_user.id) & P.MANAGE_THREADS)
    if not manager and not (
        thread.type == ChannelType.PRIVATE_THREAD and thread.thread.owner_id == emu.bot_user.id
    ):
        raise Forbidden()
    _require_joinable(emu, thread)
    remove_thread_member(emu, thread, snowflake(request, "user_id"))
    return None


# -- listings --------------------------------------------------------------------------------------
def _listing(
    emu: DiscordEmulator, threads: list[Channel], request: Request, *, archived: bool
) -> dict[str, Any]:
    limit = int(request.query.get("limit", 50))
    before = request.query.get("before")
    if archived:
        threads = sorted(threads, key=lambda t: t.thread.archive_timestamp if t.thread else "", reverse=True)
        if before:
            threads = [t for t in threads if t.thread is not None and t.thread.archive_timestamp < before]
    page = threads[:limit]
    members = [
        thread_member_payload(emu, t, emu.bot_user.id)
        for t in page
        if t.thread is not None and emu.bot_user.id in t.thread.member_ids
    ]
    return {"threads": [t.payload() for t in page], "members": members, "has_more": len(threads) > limit}


def _threads_in(emu: DiscordEmulator, parent: Channel) -> list[Channel]:
    return [c for c in emu.state.channels.values() if c.thread is not None and c.parent_id == parent.id]


@routes.get("/channels/{channel_id}/threads/archived/public")
async def archived_public(emu: DiscordEmulator, request: Request) -> Any:
    parent = emu.state.channel(snowflake(request, "channel_id"))
    require_channel_permission(emu, parent, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
    threads = [
        t
        for t in _threads_in(emu, parent)
        if t.thread and t.thread.archived and t.type != ChannelType.PRIVATE_THREAD
    ]
    return _listing(emu, threads, request, archived=True)


@routes.get("/channels/{channel_id}/threads/archived/private")
async def archived_private(emu: DiscordEmulator, request: Request) -> Any:
    parent = emu.state.channel(snowflake(request, "channel_id"))
    require_channel_permission(emu, parent, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY | P.MANAGE_THREADS)
    threads = [
        t
        for t in _threads_in(emu, parent)
        if t.thread and t.thread.archived and t.type == ChannelType.PRIVATE_THREAD
    ]
    return _listing(emu, threads, request, archived=True)


@routes.get("/channels/{channel_id}/users/@me/threads/archived/private")
async def joined_archived_private(emu: DiscordEmulator, request: Request) -> Any:
    parent = emu.state.channel(snowflake(request, "channel_id"))
    require_channel_permission(emu, parent, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
    threads = [
        t
        for t in _threads_in(emu, parent)
        if t.thread
        and t.thread.archived
        and t.type == ChannelType.PRIVATE_THREAD
        and emu.bot_user.id in t.thread.member_ids
    ]
    return _listing(emu, threads, request, archived=True)


@routes.get("/guilds/{guild_id}/threads/active")
async def active_threads(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    threads = [
        c
        for c in emu.state.guild_channels(guild)
        if c.thread is not None and not c.thread.archived and bot_sees_thread(emu, c)
    ]
    members = [
        thread_member_payload(emu, t, emu.bot_user.id)
        for t in threads
        if t.thread and emu.bot_user.id in t.thread.member_ids
    ]
    return {"threads": [t.payload() for t in threads], "members": members, "has_more": False}
