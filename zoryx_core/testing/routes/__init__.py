"""Every REST route the emulator serves, collected into one table."""

from __future__ import annotations

from ..http_utils import RouteSet
from . import application, channels, commands, guilds, interactions, members, messages, roles

__all__ = ["ALL_ROUTES"]

ALL_ROUTES = RouteSet()
for _module in (application, messages, channels, guilds, roles, members, commands, interactions):
    ALL_ROUTES.routes.extend(_module.routes.routes)
