"""Every REST route the emulator serves, collected into one table."""

from __future__ import annotations

from ..http_utils import RouteSet
from . import (
    app_extras,
    application,
    automod,
    channels,
    commands,
    guild_extras,
    guilds,
    interactions,
    invites,
    members,
    messages,
    moderation,
    polls,
    roles,
    scheduled_events,
    threads,
    voice,
    webhooks,
)

__all__ = ["ALL_ROUTES"]

ALL_ROUTES = RouteSet()
for _module in (
    application,
    messages,
    channels,
    guilds,
    roles,
    members,
    commands,
    interactions,
    moderation,
    threads,
    webhooks,
    invites,
    polls,
    voice,
    scheduled_events,
    automod,
    guild_extras,
    app_extras,
):
    ALL_ROUTES.routes.extend(_module.routes.routes)
