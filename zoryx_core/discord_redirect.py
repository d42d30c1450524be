"""The one place Zoryx touches discord.py internals: where it sends REST calls, gateway connections
and image downloads.

``discord.http.Route.BASE`` is read every time a route is built,
``DiscordWebSocket.DEFAULT_GATEWAY`` is where clients connect (and fall back to on reconnect),
and ``discord.Asset.BASE`` is the CDN that image URLs (emojis, stickers, icons) are built on, so
setting the three sends an unmodified discord.py bot to another Discord, such as the emulator in
:mod:`zoryx_core.testing`. Nothing else in Zoryx patches discord.py.
"""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl

__all__ = ["point_discord_at", "restore_discord_defaults", "skip_identify_delay"]

_DEFAULT_BASE = discord.http.Route.BASE
_DEFAULT_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
_DEFAULT_CDN = discord.Asset.BASE


def point_discord_at(api_url: str, gateway_url: str, cdn_url: str | None = None) -> None:
    """Sends every discord.py client in this process to ``api_url`` (``.../api/v10``),
    ``gateway_url`` and, for images, ``cdn_url`` (default: ``api_url`` without its ``/api/vN``
    path, where the emulator serves them)."""
    api = api_url.rstrip("/")
    discord.http.Route.BASE = api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    if cdn_url is None:
        root, _, version = api.rpartition("/api/")
        cdn_url = root if root and version.startswith("v") else api
    discord.Asset.BASE = cdn_url.rstrip("/")


def restore_discord_defaults() -> None:
    """Points discord.py back at Discord."""
    discord.http.Route.BASE = _DEFAULT_BASE
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = _DEFAULT_GATEWAY
    discord.Asset.BASE = _DEFAULT_CDN


def skip_identify_delay(client: discord.Client) -> discord.Client:
    """Test-only: drops discord.py's 5 s pause before every IDENTIFY after the first.

    Discord needs that pause between shard logins; the emulator does not, and without this a
    4-shard bot takes 15 s to connect in a test. This overrides the documented
    ``before_identify_hook`` on this one client object only.
    """

    async def no_delay(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    client.before_identify_hook = no_delay  # type: ignore[method-assign]
    return client
