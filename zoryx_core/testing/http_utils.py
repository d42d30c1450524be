"""Small HTTP helpers shared by the emulator's routes: JSON answers, bodies, route tables."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import BodyPartReader, web
from multidict import CIMultiDict

from .errors import DiscordError, ErrorCode
from .jsoncodec import dumps, loads

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = [
    "MAJOR_PARAMETERS",
    "Handler",
    "JsonAnswer",
    "Request",
    "RouteDef",
    "RouteSet",
    "UploadedFile",
    "json_response",
    "read_body",
    "snowflake",
]


MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "interaction_id")
"""Path parameters that split rate-limit buckets, in the order Discord picks the first present."""


class Request(Protocol):
    """What route handlers use of a request; ``aiohttp.web.Request`` and ``FastRequest`` both fit."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def query(self) -> Mapping[str, str]: ...
    @property
    def match_info(self) -> Mapping[str, str]: ...
    @property
    def content_type(self) -> str: ...
    @property
    def transport(self) -> asyncio.Transport | None: ...
    async def read(self) -> bytes: ...
    async def multipart(self) -> Any: ...


Handler = Callable[["DiscordEmulator", Request], Awaitable[Any]]


class JsonAnswer:
    """A successful route's JSON answer, without aiohttp's response machinery: the fast HTTP front
    writes it out directly, and the aiohttp path turns it into a ``web.Response``
    (:meth:`to_aiohttp`). Has what the request handling reads of a response: ``status``,
    ``body`` and ``headers``."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, data: Any, status: int = 200) -> None:
        self.status = status
        self.body: bytes = dumps(data)
        self.headers: CIMultiDict[str] = CIMultiDict(_JSON_CONTENT_TYPE)

    def to_aiohttp(self) -> web.Response:
        headers = CIMultiDict(self.headers)
        headers.popall("Content-Type", None)
        return web.Response(
            body=self.body, status=self.status, content_type="application/json", headers=headers
        )


_JSON_CONTENT_TYPE = (("Content-Type", "application/json"),)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with Content-Type exactly ``application/json`` (discord.py needs no charset suffix)."""
    return web.Response(
        body=dumps(data),
        status=status,
        content_type="application/json",
        headers=headers,
    )


@dataclass
class UploadedFile:
    field_name: str
    filename: str
    content_type: str
    data: bytes


async def read_body(request: Request) -> tuple[dict[str, Any], list[UploadedFile]]:
    """Reads a JSON body or a multipart body with ``payload_json`` and ``files[n]`` parts."""
    if request.content_type == "multipart/form-data":
        payload: dict[str, Any] = {}
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue  # a nested multipart: Discord sends none
            name = part.name or ""
            raw = await part.read()
            if name == "payload_json":
                payload = _parse_json(raw)
            elif part.filename:
                files.append(
                    UploadedFile(
                        name,
                        part.filename,
                        part.headers.get("Content-Type", "application/octet-stream"),
                        bytes(raw),
                    )
                )
        return payload, files
    raw_body = await request.read()
    if not raw_body:
        return {}, []
    body = _parse_json(raw_body)
    return body, []


def _parse_json(raw: bytes | bytearray) -> dict[str, Any]:
    try:
        value = loads(raw)
    except ValueError:
        raise DiscordError(400, ErrorCode.GENERAL, "400: Bad Request") from None
    if not isinstance(value, dict | list):
        raise DiscordError(400, ErrorCode.INVALID_FORM_BODY, "Invalid Form Body")
    return value  # type: ignore[return-value]


def snowflake(request: Request, name: str) -> int:
    """A path parameter as an int; a non-numeric id is Discord's 404 for that kind of object."""
    raw = request.match_info[name]
    try:
        return int(raw)
    except ValueError:
        codes = {
            "channel_id": (ErrorCode.UNKNOWN_CHANNEL, "Channel"),
            "message_id": (ErrorCode.UNKNOWN_MESSAGE, "Message"),
            "role_id": (ErrorCode.UNKNOWN_ROLE, "Role"),
            "guild_id": (ErrorCode.UNKNOWN_GUILD, "Guild"),
            "user_id": (ErrorCode.UNKNOWN_USER, "User"),
        }
        code, what = codes.get(name, (ErrorCode.GENERAL, name))
        raise DiscordError(404, code, f"Unknown {what}") from None


@dataclass
class RouteDef:
    method: str
    path: str  # template under /api/v10, e.g. /channels/{channel_id}/messages
    handler: Handler
    auth: bool = True
    name: str = field(init=False, repr=False, compare=False)
    """``"METHOD /template"``, as request logs and rate-limit buckets name the route."""
    major_parameter: str | None = field(init=False, repr=False, compare=False)
    """The path parameter that splits the route's rate-limit buckets (channel, guild, webhook or
    interaction id), None when the path has none."""

    def __post_init__(self) -> None:
        self.name = f"{self.method} {self.path}"
        self.major_parameter = next((p for p in MAJOR_PARAMETERS if "{" + p + "}" in self.path), None)


@dataclass
class RouteSet:
    """A table of REST routes, filled with decorators in each routes module."""

    routes: list[RouteDef] = field(default_factory=list)

    def route(self, method: str, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.routes.append(RouteDef(method, path, handler, auth))
            return handler

        return decorator

    def get(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.route("GET", path, auth=auth)

    def post(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.route("POST", path, auth=auth)

    def put(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, auth=auth)

    def patch(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, auth=auth)

    def delete(self, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, auth=auth)
