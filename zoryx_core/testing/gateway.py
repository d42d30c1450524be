"""The emulated Discord gateway: sessions, sharding, resume, intents, zlib-stream and zstd-stream."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .compression import stream_compressor
from .event_intents import MORE_EVENT_INTENTS
from .jsoncodec import dumps
from .voice import bot_voice_state_update
from .ws_frames import OPCODE_BINARY, OPCODE_TEXT, frame_header

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = ["GatewayHub", "GatewaySession", "Intents", "Op"]

log = logging.getLogger(__name__)


class Op:
    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class Intents:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_EXPRESSIONS = 1 << 3
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


# event -> (intent needed for guild events, intent needed for DM events); 0 means always sent.
_EVENT_INTENTS: dict[str, tuple[int, int]] = {
    "GUILD_CREATE": (Intents.GUILDS, 0),
    "GUILD_UPDATE": (Intents.GUILDS, 0),
    "GUILD_DELETE": (Intents.GUILDS, 0),
    "GUILD_ROLE_CREATE": (Intents.GUILDS, 0),
    "GUILD_ROLE_UPDATE": (Intents.GUILDS, 0),
    "GUILD_ROLE_DELETE": (Intents.GUILDS, 0),
    "CHANNEL_CREATE": (Intents.GUILDS, 0),
    "CHANNEL_UPDATE": (Intents.GUILDS, 0),
    "CHANNEL_DELETE": (Intents.GUILDS, 0),
    "CHANNEL_PINS_UPDATE": (Intents.GUILDS, Intents.DIRECT_MESSAGES),
    "GUILD_MEMBER_ADD": (Intents.GUILD_MEMBERS, 0),
    "GUILD_MEMBER_UPDATE": (Intents.GUILD_MEMBERS, 0),
    "GUILD_MEMBER_REMOVE": (Intents.GUILD_MEMBERS, 0),
    "GUILD_EMOJIS_UPDATE": (Intents.GUILD_EXPRESSIONS, 0),
    "GUILD_STICKERS_UPDATE": (Intents.GUILD_EXPRESSIONS, 0),
    "MESSAGE_CREATE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_DELETE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_DELETE_BULK": (Intents.GUILD_MESSAGES, 0),
    "MESSAGE_REACTION_ADD": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE_ALL": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE_EMOJI": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    **MORE_EVENT_INTENTS,
}

# Close codes after which discord.py gives up rather than reconnecting.
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_INVALID_SHARD = 4010
CLOSE_DISALLOWED_INTENTS = 4014


def guild_create_for(session: GatewaySession, data: dict[str, Any]) -> dict[str, Any]:
    """Without the presences intent, Discord's GUILD_CREATE lists only the bot's own member."""
    if session.intents & Intents.GUILD_PRESENCES:
        return data
    me = str(session.user_id)
    return {**data, "members": [m for m in data.get("members", []) if m["user"]["id"] == me]}


@dataclass
class GatewaySession:
    """One identified shard connection; it outlives its socket so it can be resumed."""

    session_id: str
    user_id: int
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    buffer: deque[tuple[int, bytes]] = field(default_factory=lambda: deque(maxlen=10_000))  # (seq, JSON)
    connection: GatewayConnection | None = None
    resume_count: int = 0

    def owns_guild(self, guild_id: int | None) -> bool:
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id

    def wants(self, event: str, guild_id: int | None) -> bool:
        guild_intent, dm_intent = _EVENT_INTENTS.get(event, (0, 0))
        needed = guild_intent if guild_id is not None else dm_intent
        return not needed or bool(self.intents & needed)

    def push(self, event: str, data: dict[str, Any]) -> None:
        """Numbers an event, keeps it (serialized) for resume, and sends it if a socket is attached."""
        self.seq += 1
        raw = dumps({"op": Op.DISPATCH, "t": event, "s": self.seq, "d": data})
        self.buffer.append((self.seq, raw))
        if self.connection is not None:
            self.connection.send_raw(raw)


class GatewayConnection:
    """One WebSocket. Frames go out in dispatch order, written straight to the transport.

    Frames produced in the same event-loop iteration are joined into one write (one system call
    instead of one per frame), flushed by a callback scheduled for the end of that iteration. Each
    frame is kept as its header and its payload, so a payload is copied only by that join.
    """

    # A client this far behind is disconnected, as Discord drops clients that stop reading.
    MAX_WRITE_BUFFER = 16 * 1024 * 1024

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport, compress: str | None) -> None:
        self.ws = ws
        self._transport = transport
        self._compress = stream_compressor(compress)
        self.compression = compress if self._compress is not None else None
        """``zlib-stream``, ``zstd-stream``, or None for plain text frames."""
        self._pending: list[bytes] = []  # frame headers and payloads, in order
        self._loop = asyncio.get_running_loop()
        self.session: GatewaySession | None = None
        self.open = True

    def send(self, frame: dict[str, Any]) -> None:
        self.send_raw(dumps(frame))

    def send_raw(self, data: bytes) -> None:
        if not self.open:
            return
        if self._compress is not None:
            data = self._compress(data)
            header = frame_header(OPCODE_BINARY, len(data))
        else:
            header = frame_header(OPCODE_TEXT, len(data))
        pending = self._pending
        if not pending:
            self._loop.call_soon(self.flush)
        pending.append(header)
        pending.append(data)

    def flush(self) -> None:
        """Writes every pending frame in one go."""
        pending, self._pending = self._pending, []
        if not pending or self._transport.is_closing():
            return
        self._transport.write(b"".join(pending))
        if self._transport.get_write_buffer_size() > self.MAX_WRITE_BUFFER:
            log.warning("gateway: client is not reading; dropping its connection")
            self.open = False
            self._transport.abort()

    async def close(self, code: int = 1000, message: bytes = b"") -> None:
        self.flush()
        self.open = False
        await self.ws.close(code=code, message=message)


class GatewayHub:
    """Accepts gateway connections and routes dispatched events to the sessions that own them."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emulator = emulator
        self.sessions: dict[str, GatewaySession] = {}
        self.heartbeat_interval_ms = 41_250
        self.heartbeat_ack_delays: dict[int | None, float] = {}
        """Seconds to hold back HEARTBEAT_ACK, per shard id (``None``: every shard): a slow link."""
        self.compression_enabled = True
        self.privileged_intents_enabled = Intents.PRIVILEGED
        """The privileged intents switched on for the application (the Developer Portal's toggles);
        an IDENTIFY asking for another one is closed with 4014, as Discord does."""
        self.identify_log: list[tuple[str, int, int]] = []  # ("IDENTIFY"|"RESUME", shard_id, shard_count)
        self._connections: set[GatewayConnection] = set()

    # -- event routing --------------------------------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        """Sends ``event`` to every session whose shard owns ``guild_id`` and whose intents allow it."""
        for session in self.sessions.values():
            if session.owns_guild(guild_id) and session.wants(event, guild_id):
                session.push(event, self._for_session(session, event, data, guild_id))

    def _for_session(
        self, session: GatewaySession, event: str, data: dict[str, Any], guild_id: int | None
    ) -> dict[str, Any]:
        if event == "GUILD_CREATE":
            return guild_create_for(session, data)
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or guild_id is None:
            return data
        if session.intents & Intents.MESSAGE_CONTENT:
            return data
        author = data.get("author", {}).get("id")
        mentioned = any(m.get("id") == str(session.user_id) for m in data.get("mentions", []))
        if author == str(session.user_id) or mentioned:
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    def sessions_for_shard(self, shard_id: int | None) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if shard_id is None or s.shard_id == shard_id]

    # -- faults -------------------------------------------------------------------------------
    def delay_heartbeat_acks(self, seconds: float, *, shard_id: int | None = None) -> None:
        """Answer heartbeats of a shard (every shard when ``None``) ``seconds`` late, so the bot
        measures that latency; 0 answers at once again. A heartbeat sent before IDENTIFY (discord.py
        sends one on HELLO) has no shard yet and is delayed only by the ``None`` entry."""
        if seconds > 0:
            self.heartbeat_ack_delays[shard_id] = seconds
        else:
            self.heartbeat_ack_delays.pop(shard_id, None)

    def _ack_delay(self, conn: GatewayConnection) -> float:
        if not self.heartbeat_ack_delays:
            return 0.0
        shard = conn.session.shard_id if conn.session is not None else None
        return self.heartbeat_ack_delays.get(shard, self.heartbeat_ack_delays.get(None, 0.0))

    @staticmethod
    def _late_ack(conn: GatewayConnection) -> None:
        if conn.open:
            conn.send({"op": Op.HEARTBEAT_ACK, "d": None})

    async def send_reconnect(self, shard_id: int | None = None) -> int:
        """Sends op 7 RECONNECT to connected sessions of a shard (all when None); returns how many."""
        count = 0
        for session in self.sessions_for_shard(shard_id):
            if session.connection is not None:
                session.connection.send({"op": Op.RECONNECT, "d": None})
                count += 1
        return count

    async def invalidate_session(self, shard_id: int | None = None, *, resumable: bool = False) -> int:
        """Sends op 9 INVALID_SESSION; a non-resumable session is forgotten, forcing a fresh IDENTIFY."""
        count = 0
        for session in self.sessions_for_shard(shard_id):
            if session.connection is not None:
                session.connection.send({"op": Op.INVALID_SESSION, "d": resumable})
                count += 1
            if not resumable:
                self.sessions.pop(session.session_id, None)
        return count

    async def drop_connections(self, shard_id: int | None = None) -> int:
        """Cuts the TCP connection under sessions of a shard without a close frame."""
        count = 0
        for session in self.sessions_for_shard(shard_id):
            conn = session.connection
            if conn is not None:
                session.connection = None
                transport = conn.ws._req.transport if conn.ws._req is not None else None
                if transport is not None:
                    transport.abort()
                count += 1
        return count

    async def close_all(self) -> None:
        for conn in list(self._connections):
            await conn.close(code=1001)
        self.sessions.clear()

    # -- the connection handler ------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True, compress=False)
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        compress = request.query.get("compress") if self.compression_enabled else None
        conn = GatewayConnection(ws, transport, compress)
        self._connections.add(conn)
        conn.send({"op": Op.HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                await self._on_frame(conn, json.loads(msg.data))
        finally:
            self._connections.discard(conn)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
            conn.open = False
        return ws

    async def _on_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == Op.HEARTBEAT:
            delay = self._ack_delay(conn)
            if delay > 0:
                asyncio.get_running_loop().call_later(delay, self._late_ack, conn)
            else:
                conn.send({"op": Op.HEARTBEAT_ACK, "d": None})
        elif op == Op.IDENTIFY:
            await self._identify(conn, data or {})
        elif op == Op.RESUME:
            await self._resume(conn, data or {})
        elif op == Op.REQUEST_GUILD_MEMBERS:
            self._request_members(conn, data or {})
        elif op == Op.PRESENCE_UPDATE:
            self.emulator.presences.append(data or {})
        elif op == Op.VOICE_STATE_UPDATE:
            bot_voice_state_update(self.emulator, data or {})
        else:
            log.debug("gateway: ignoring op %s", op)

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        emu = self.emulator
        if data.get("token") != emu.token:
            await conn.close(CLOSE_AUTHENTICATION_FAILED, b"Authentication failed.")
            return
        if int(data.get("intents", 0)) & Intents.PRIVILEGED & ~self.privileged_intents_enabled:
            await conn.close(CLOSE_DISALLOWED_INTENTS, b"Disallowed intent(s).")
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not 0 <= shard_id < shard_count:
            await conn.close(CLOSE_INVALID_SHARD, b"Invalid shard.")
            return
        refused = emu.identify_limits.admit(shard_id, shard_count)
        if refused is not None:  # as Discord does: the session is invalidated, not resumable
            log.info("gateway: IDENTIFY of shard %s/%s invalidated: %s", shard_id, shard_count, refused)
            conn.send({"op": Op.INVALID_SESSION, "d": False})
            return
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            user_id=emu.bot_user.id,
            shard_id=shard_id,
            shard_count=shard_count,
            intents=int(data.get("intents", 0)),
            connection=conn,
        )
        conn.session = session
        self.sessions[session.session_id] = session
        self.identify_log.append(("IDENTIFY", shard_id, shard_count))
        guilds = [
            g for g in emu.state.guilds.values() if emu.bot_user.id in g.members and session.owns_guild(g.id)
        ]
        session.push(
            "READY",
            {
                "v": 10,
                "user": emu.bot_user.payload() | {"verified": True, "mfa_enabled": False, "email": None},
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": emu.gateway_url,
                "shard": [shard_id, shard_count],
                "application": {"id": str(emu.application_id), "flags": 0},
                "private_channels": [],
                "presences": [],
                "relationships": [],
                "user_settings": {},
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": ["local"],
                "auth_session_id_hash": "",
            },
        )
        threshold = int(data.get("large_threshold", 250))
        for guild in guilds:
            payload = emu.state.gateway_guild_payload(
                guild, large_threshold=threshold, viewer_id=emu.bot_user.id
            )
            session.push("GUILD_CREATE", guild_create_for(session, payload))

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        emu = self.emulator
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != emu.token:
            conn.send({"op": Op.INVALID_SESSION, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn:
            old.open = False
        session.connection = conn
        conn.session = session
        session.resume_count += 1
        self.identify_log.append(("RESUME", session.shard_id, session.shard_count))
        last_seen = int(data.get("seq") or 0)
        for seq, raw in session.buffer:
            if seq > last_seen:
                conn.send_raw(raw)
        session.push("RESUMED", {})

    def _request_members(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = conn.session
        if session is None:
            return
        state = self.emulator.state
        guild = state.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        wanted = data.get("user_ids")
        if wanted:
            ids = {int(u) for u in (wanted if isinstance(wanted, list) else [wanted])}
            members = [m for m in members if m.user_id in ids]
        query = data.get("query")
        if query:
            members = [
                m for m in members if state.users[m.user_id].username.lower().startswith(query.lower())
            ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
        for index, chunk in enumerate(chunks):
            payload: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [state.member_payload(m) for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if data.get("nonce"):
                payload["nonce"] = data["nonce"]
            session.push("GUILD_MEMBERS_CHUNK", payload)
