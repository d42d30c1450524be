"""Discord's CDN for the emulator: emoji and sticker images, server icons and banners.

discord.py builds image URLs on ``discord.Asset.BASE`` (``https://cdn.discordapp.com``);
:func:`zoryx_core.discord_redirect.point_discord_at` sets it to :attr:`DiscordEmulator.cdn_url`
along with the REST and gateway addresses.
Paths follow Discord's: ``/emojis/{id}.{png|gif|webp}``, ``/stickers/{id}.{png|gif|json}``,
``/icons/{guild_id}/{hash}.{png|gif}``, ``/banners/{guild_id}/{hash}.{png|gif}``; a query string
(``?size=``) is ignored. Unknown images answer 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = ["add_cdn_routes"]

_TYPES = {"png": "image/png", "gif": "image/gif", "webp": "image/webp", "json": "application/json"}


def _split(name: str) -> tuple[int, str]:
    stem, _, ext = name.rpartition(".")
    if not stem.isdigit() or ext not in _TYPES:
        raise web.HTTPNotFound()
    return int(stem), ext


def _content_type(data: bytes, ext: str) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:3] == b"GIF":
        return "image/gif"
    return _TYPES[ext]


def add_cdn_routes(app: web.Application, emu: DiscordEmulator) -> None:
    """Serves the CDN paths above from the emulator's state."""

    async def emoji(request: web.Request) -> web.Response:
        emoji_id, ext = _split(request.match_info["name"])
        for guild in emu.state.guilds.values():
            found = guild.emojis.get(emoji_id)
            if found is not None:
                return web.Response(body=found.image, content_type=_content_type(found.image, ext))
        raise web.HTTPNotFound()

    async def sticker(request: web.Request) -> web.Response:
        sticker_id, ext = _split(request.match_info["name"])
        for guild in emu.state.guilds.values():
            found = guild.stickers.get(sticker_id)
            if found is not None:
                return web.Response(body=found.image, content_type=_content_type(found.image, ext))
        raise web.HTTPNotFound()

    def guild_image(kind: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            guild = emu.state.guilds.get(int(request.match_info["guild_id"]))
            key, _, ext = request.match_info["name"].rpartition(".")
            if (
                guild is None
                or ext not in _TYPES
                or guild.settings.get(kind) != key
                or kind not in guild.images
            ):
                raise web.HTTPNotFound()
            data = guild.images[kind]
            return web.Response(body=data, content_type=_content_type(data, ext))

        return handler

    app.router.add_get("/emojis/{name}", emoji)
    app.router.add_get("/stickers/{name}", sticker)
    app.router.add_get(r"/icons/{guild_id:\d+}/{name}", guild_image("icon"))
    app.router.add_get(r"/banners/{guild_id:\d+}/{name}", guild_image("banner"))
