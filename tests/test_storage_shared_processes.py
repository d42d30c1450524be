"""Two ``zoryx run`` processes (separate data folders, one PostgreSQL store) against the standalone
emulator: a prefix set through one is honoured by the other on the next message, and a command
grant made through one is enforced by the other (LISTEN/NOTIFY keeps their caches coherent)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

TOKEN = "shared-store-token"
STATS = "\u2139\ufe0f Bot statistics"  # the title of the stats embed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """``python -m zoryx_core.testing`` in its own process."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoryx_core.testing", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("post as"):
            break
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        proc.kill()


class Channel:
    """Posts as a member and reads the replies through the emulator's control API."""

    def __init__(self, session: aiohttp.ClientSession, base: str, channel_id: str) -> None:
        self.session = session
        self.base = base
        self.channel_id = channel_id

    async def post(self, user_id: str, content: str) -> str:
        body = {"channel_id": self.channel_id, "user_id": user_id, "content": content}
        async with self.session.post(f"{self.base}/_zoryx/messages", json=body) as response:
            return str((await response.json())["id"])

    async def replies(self, after: str, count: int) -> list[dict[str, Any]]:
        """The first ``count`` bot messages after ``after`` (waits for them, bounded)."""
        url = f"{self.base}/_zoryx/channels/{self.channel_id}/messages"
        for _ in range(1200):
            async with self.session.get(url, params={"after": after}) as response:
                found = [m for m in await response.json() if m["author"].get("bot")]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"expected {count} replies after {after}, got {len(found)}: {found}")


def _title(message: dict[str, Any]) -> str:
    embeds = message.get("embeds") or [{}]
    return str(embeds[0].get("title") or message.get("content") or "")


@pytest.fixture
async def two_bots(
    emulator_url: str, postgres_dsn: str, tmp_path: Path
) -> AsyncIterator[tuple[Channel, dict[str, str]]]:
    schema = f"t_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "DISCORD_", "BOT_OWNER"))}
    env.update(
        DISCORD_TOKEN=TOKEN,
        BOT_OWNER_ID="1",  # nobody in the guild: grants apply to everyone but the server owner
        ZORYX_DISCORD_URL=emulator_url,
        ZORYX_DATABASE_URL=postgres_dsn,
        ZORYX_STORAGE__BACKEND="postgresql",
        ZORYX_STORAGE__PG_SCHEMA=schema,
        ZORYX_HOT_RELOAD__ENABLED="false",
        ZORYX_ERRORS__DELETE_AFTER="0",
        ZORYX_STARTUP__GUILD_READY_TIMEOUT="0.1",
    )
    procs = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        procs.append(
            subprocess.Popen(  # noqa: ASYNC220 - starting it does not block
                [sys.executable, "-m", "zoryx_core.cli", "run", "--no-plugins"],
                cwd=folder,
                env={**env, "ZORYX_PREFIX": f"{name}!"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(1200):  # both processes connected and past READY
                async with session.get(f"{emulator_url}/_zoryx/state") as response:
                    state = await response.json()
                if sum(1 for s in state["sessions"] if s["connected"]) >= 2:
                    break
                for proc in procs:
                    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                await asyncio.sleep(0.05)
            guild = state["guilds"][0]
            users = {m["username"]: str(m["id"]) for m in guild["members"]}
            users["guild"] = str(guild["id"])
            yield Channel(session, emulator_url, str(guild["channels"][0]["id"])), users
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        await _drop_schemas(postgres_dsn, schema)


async def _drop_schemas(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for row in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2", schema, schema + "\\_g%"
        ):
            await conn.execute(f'DROP SCHEMA "{row[0]}" CASCADE')
    finally:
        await conn.close()


async def test_prefix_and_grants_made_through_one_process_apply_in_the_other(
    two_bots: tuple[Channel, dict[str, str]],
) -> None:
    channel, users = two_bots
    owner = next(uid for name, uid in users.items() if name.endswith("-owner"))
    tester = users["tester"]

    # B has read the server's settings: its cache holds "no grants, no server prefix"
    sent = await channel.post(tester, "b!stats")
    (reply,) = await channel.replies(sent, 1)
    assert _title(reply) == STATS, reply

    # a role the tester does not have, made over the emulator's REST API
    async with channel.session.post(
        f"{channel.base}/api/v10/guilds/{users['guild']}/roles",
        json={"name": "Statisticians"},
        headers={"Authorization": f"Bot {TOKEN}"},
    ) as response:
        role_id = str((await response.json())["id"])
    sent = await channel.post(owner, f"a!config stats {role_id}")
    (reply,) = await channel.replies(sent, 1)  # A stored the grant and announced it
    assert _title(reply) == "✅ Role granted", reply
    sent = await channel.post(tester, "b!stats")
    (reply,) = await channel.replies(sent, 1)
    assert "limited to @Statisticians" in reply["embeds"][0]["description"], reply  # B enforces it

    sent = await channel.post(owner, "a!setprefix ?")
    await channel.replies(sent, 1)  # A confirmed: the change is stored and announced
    sent = await channel.post(owner, "?stats")  # the server owner is not bound by grants
    replies = await channel.replies(sent, 2)  # A and B both answer the very next message
    assert [_title(r) for r in replies] == [STATS, STATS], replies
