"""What the launcher asks Discord before starting anything: the application id (Redis keys are
namespaced by it) and ``GET /gateway/bot`` (``max_concurrency`` and the daily session starts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["DiscordInfo", "DiscordInfoError", "api_base", "fetch_discord_info"]

DISCORD_API = "https://discord.com/api/v10"


class DiscordInfoError(Exception):
    """Discord refused or could not be reached; one line, no token."""


@dataclass(frozen=True)
class DiscordInfo:
    application_id: int
    recommended_shards: int
    max_concurrency: int
    session_starts_total: int
    session_starts_remaining: int
    session_starts_reset_after_ms: int


def api_base(discord_url: str | None) -> str:
    """``ZORYX_DISCORD_URL`` (another Discord, such as the emulator) or Discord's own API."""
    return f"{discord_url.rstrip('/')}/api/v10" if discord_url else DISCORD_API


async def fetch_discord_info(token: str, discord_url: str | None = None) -> DiscordInfo:
    base = api_base(discord_url)
    headers = {"Authorization": f"Bot {token}", "User-Agent": "DiscordBot (zoryx-cluster, 0.1)"}
    timeout = aiohttp.ClientTimeout(total=15)
    try:
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            application = await _get(session, f"{base}/applications/@me")
            gateway = await _get(session, f"{base}/gateway/bot")
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DiscordInfoError(f"cannot reach Discord at {base}: {type(error).__name__}") from None
    limit = gateway.get("session_start_limit") or {}
    return DiscordInfo(
        application_id=int(application["id"]),
        recommended_shards=int(gateway.get("shards", 1)),
        max_concurrency=int(limit.get("max_concurrency", 1)),
        session_starts_total=int(limit.get("total", 1000)),
        session_starts_remaining=int(limit.get("remaining", 1000)),
        session_starts_reset_after_ms=int(limit.get("reset_after", 0)),
    )


async def _get(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as response:
        if response.status == 401:
            raise DiscordInfoError("Discord refused DISCORD_TOKEN (401 Unauthorized); check the bot's token")
        if response.status >= 400:
            raise DiscordInfoError(f"GET {url.split('/api/', 1)[-1]} answered {response.status}")
        data: dict[str, Any] = await response.json()
        return data
