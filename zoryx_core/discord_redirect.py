"""The one place Zoryx touches discord.py internals: where it sends REST calls and gateway connections.

``discord.http.Route.BASE`` is read every time a route is built, and
``DiscordWebSocket.DEFAULT_GATEWAY`` is where clients connect (and fall back to on reconnect),
so setting both sends an unmodified discord.py bot to another Discord, such as the emulator in
:mod:`zoryx_core.testing`. Nothing else in Zoryx patches discord.py.
"""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl

__all__ = ["point_discord_at", "restore_discord_defaults", "skip_identify_delay"]

_DEFAULT_BASE = discord.http.Route.BASE
_DEFAULT_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


def point_discord_at(api_url: str, gateway_url: str) -> None:
    """Sends every discord.py client in this process to ``api_url`` (``.../api/v10``) and ``gateway_url``."""
    discord.http.Route.BASE = api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def restore_discord_defaults() -> None:
    """Points discord.py back at Discord."""
    discord.http.Route.BASE = _DEFAULT_BASE
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = _DEFAULT_GATEWAY


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
