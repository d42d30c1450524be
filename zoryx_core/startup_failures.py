"""One line for each way a first connection to Discord fails: what is wrong and what to do.

``zoryx run`` prints the line and exits 1; the traceback goes to the log file only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
import discord

__all__ = ["describe_start_failure", "requested_privileged_intents"]

DEVELOPER_PORTAL = "https://discord.com/developers/applications"

_PRIVILEGED = (
    ("members", "Server Members", "intents.members"),
    ("presences", "Presence", "intents.presences"),
    ("message_content", "Message Content", "intents.message_content"),
)


def requested_privileged_intents(intents: discord.Intents) -> list[tuple[str, str]]:
    """The privileged intents ``intents`` asks for, as (portal name, setting) pairs."""
    return [(label, setting) for flag, label, setting in _PRIVILEGED if getattr(intents, flag)]


def _host(api_url: str) -> str:
    parts = urlsplit(api_url)
    return parts.hostname or api_url  # never the user info or the query


def describe_start_failure(error: BaseException, *, intents: discord.Intents, api_url: str) -> str | None:
    """The one-line explanation of ``error`` raised while logging in or connecting, or ``None``
    when it is not a known start-up failure (a bug, to be shown with its traceback)."""
    if isinstance(error, discord.LoginFailure):
        return (
            "Discord refused the bot token (401 Unauthorized): put the token of your bot in "
            f"DISCORD_TOKEN (.env); copy it again from {DEVELOPER_PORTAL} -> your application -> Bot "
            "-> Reset Token."
        )
    if isinstance(error, discord.PrivilegedIntentsRequired):
        wanted = requested_privileged_intents(intents)
        names = ", ".join(label for label, _ in wanted) or "privileged"
        settings = " / ".join(f"{setting} = false" for _, setting in wanted) or "the intents.* settings"
        return (
            f"Discord refused the privileged intents this bot asks for ({names}; close code 4014): "
            f"enable them at {DEVELOPER_PORTAL} -> your application -> Bot -> Privileged Gateway "
            f"Intents, or stop asking for them with {settings} in config.json."
        )
    if isinstance(error, discord.ConnectionClosed):
        return _closed(error, api_url)
    if isinstance(error, discord.GatewayNotFound):
        return (
            f"Discord at {_host(api_url)} gave no gateway address: Discord may be having an outage; "
            "try again in a few minutes."
        )
    if isinstance(error, discord.HTTPException) and error.status >= 500:
        return (
            f"Discord at {_host(api_url)} answered {error.status} while the bot was starting: Discord is "
            "having trouble; try again in a few minutes."
        )
    if isinstance(error, aiohttp.ClientConnectorError | aiohttp.ServerTimeoutError | TimeoutError):
        return (
            f"Could not reach Discord at {_host(api_url)}: check this machine's network connection, "
            "DNS, and any proxy or firewall between it and Discord."
        )
    if isinstance(error, aiohttp.ClientError):
        return (
            f"The connection to Discord at {_host(api_url)} failed ({type(error).__name__}): check "
            "this machine's network connection and try again."
        )
    return None


def _closed(error: discord.ConnectionClosed, api_url: str) -> str:
    code = error.code
    if code == 4004:
        return (
            "Discord's gateway refused the bot token (close code 4004): put the token of your bot in "
            f"DISCORD_TOKEN (.env); copy it again from {DEVELOPER_PORTAL} -> your application -> Bot "
            "-> Reset Token."
        )
    if code in (4010, 4011):
        return (
            f"Discord's gateway refused the shard settings (close code {code}): check shard_count and "
            "shard_ids, or leave them unset to let Discord choose."
        )
    if code in (4013, 4014):
        return (
            f"Discord's gateway refused the intents this bot asks for (close code {code}): check the "
            "intents.* settings in config.json."
        )
    return (
        f"Discord's gateway at {_host(api_url)} closed the connection while the bot was starting "
        f"(close code {code}): try again; if it persists, Discord's status page says more."
    )
