"""A lean HTTP/1.1 front for the REST API, so the emulator costs far less CPU than the bot it serves.

Every connection starts here. Requests under ``/api/v10`` with a plain (or empty) body are parsed
and answered directly, through the same route table and the same request handling
(:meth:`DiscordEmulator.serve_api`) as aiohttp would use. The first request this front does not
serve itself (a WebSocket upgrade, a multipart or chunked body, any other path) hands the whole
connection over to aiohttp's own protocol, replaying the bytes received so far. aiohttp stays the
reference implementation; this only removes its per-request overhead from the hot path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, unquote

from aiohttp import web
from multidict import CIMultiDict, MultiDict

from .eager import start_eagerly
from .http_utils import JsonAnswer, RouteDef

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = ["FastHttpProtocol", "FastRequest", "RouteTrie"]

log = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024
_RECEIVE_SIZE = 32 * 1024  # bytes read at most at once
_MAX_BODY = 64 * 1024 * 1024
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    499: "Client Closed Request",
    500: "Internal Server Error",
}


# (route or None, (parameter name, segment index) pairs, whether the path exists with another method)
_Match = tuple[RouteDef | None, tuple[tuple[str, int], ...], bool]


class RouteTrie:
    """Matches ``/segment/...`` paths against route templates; literal segments win over ``{vars}``."""

    CACHE_SIZE = 4096

    def __init__(self, routes: list[RouteDef], prefix: str) -> None:
        self.prefix = prefix
        self._cache: dict[tuple[str | None, ...], _Match] = {}
        self._paths: dict[tuple[str, str], tuple[RouteDef | None, dict[str, str], bool]] = {}
        """(method, path) -> what :meth:`match` answered: a client calls the same few paths again
        and again (one channel's messages), so most requests need no splitting at all."""
        self._root: dict[str, Any] = {"lit": {}, "var": None, "routes": {}}
        for route in routes:
            node = self._root
            for segment in route.path.strip("/").split("/"):
                if segment.startswith("{") and segment.endswith("}"):
                    if node["var"] is None:
                        node["var"] = {"lit": {}, "var": None, "routes": {}}
                    node = node["var"]  # parameter names come from the matched route's template
                else:
                    node = node["lit"].setdefault(segment, {"lit": {}, "var": None, "routes": {}})
            node["routes"].setdefault(route.method, []).append(route)

    def match(self, method: str, path: str) -> tuple[RouteDef | None, dict[str, str], bool]:
        """(route, path parameters, whether the path exists with another method).

        Results are cached by the exact path, and by the path's shape with numeric segments (ids)
        as wildcards: no route has a numeric literal, so paths of one shape always match the same
        route. Each call gets its own parameter dict.
        """
        known = self._paths.get((method, path))
        if known is not None:
            return known[0], known[1].copy(), known[2]
        answer = self._match_path(method, path)
        if len(self._paths) >= self.CACHE_SIZE:
            self._paths.clear()
        self._paths[method, path] = answer
        return answer[0], answer[1].copy(), answer[2]

    def _match_path(self, method: str, path: str) -> tuple[RouteDef | None, dict[str, str], bool]:
        segments = [unquote(s) if "%" in s else s for s in path[len(self.prefix) :].strip("/").split("/")]
        shape = (method, *(None if s.isdigit() else s for s in segments))
        cached = self._cache.get(shape)
        if cached is None:
            cached = self._match_uncached(method, segments)
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[shape] = cached
        route, positions, path_exists = cached
        if route is None:
            return None, {}, path_exists
        return route, {name: segments[index] for name, index in positions}, False

    def _match_uncached(self, method: str, segments: list[str]) -> _Match:
        path_exists = False
        for routes, _ in self._walk(self._root, segments, 0, []):
            path_exists = True
            for route in routes.get(method, ()):
                template = route.path.strip("/").split("/")
                positions = tuple((s[1:-1], i) for i, s in enumerate(template) if s.startswith("{"))
                return route, positions, False
        return None, (), path_exists

    def _walk(
        self, node: dict[str, Any], segments: list[str], index: int, values: list[str]
    ) -> Iterator[tuple[dict[str, list[RouteDef]], list[str]]]:
        if index == len(segments):
            if node["routes"]:
                yield node["routes"], values
            return
        segment = segments[index]
        child = node["lit"].get(segment)
        if child is not None:
            yield from self._walk(child, segments, index + 1, values)
        if node["var"] is not None and segment:
            yield from self._walk(node["var"], segments, index + 1, [*values, segment])


class FastRequest:
    """The parts of ``aiohttp.web.Request`` that route handlers use."""

    def __init__(
        self,
        method: str,
        path: str,
        query: str,
        headers: CIMultiDict[str],
        body: bytes,
        match_info: dict[str, str],
        transport: asyncio.Transport,
    ) -> None:
        self.method = method
        self.path = path
        self._query_string = query
        self._query: MultiDict[str] | None = None
        self.headers = headers
        self.match_info = match_info
        self.transport: asyncio.Transport | None = transport
        self._body = body

    @property
    def query(self) -> MultiDict[str]:
        """The query string's parameters (parsed on first use: most requests have none)."""
        if self._query is None:
            self._query = MultiDict(parse_qsl(self._query_string, keep_blank_values=True))
        return self._query

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "application/octet-stream").split(";", 1)[0].strip().lower()

    async def read(self) -> bytes:
        return self._body

    async def multipart(self) -> Any:  # pragma: no cover - multipart requests go to aiohttp
        raise RuntimeError("multipart requests are served by the aiohttp path")


class FastHttpProtocol(asyncio.BufferedProtocol):
    """One client connection, served here until something needs aiohttp.

    A buffered protocol: the transport reads into this connection's own receive buffer. A plain
    protocol gets a new ``bytes`` per read, which asyncio allocates at 256 KiB before trimming it
    to the request's size: most of the cost of a read, page faults included.
    """

    def __init__(
        self,
        emulator: DiscordEmulator,
        trie: RouteTrie,
        fallback: Callable[[], asyncio.Protocol],
        connections: set[FastHttpProtocol],
    ) -> None:
        self._emulator = emulator
        self._trie = trie
        self._fallback = fallback
        self._connections = connections
        self._buffer = bytearray()
        self._receive = memoryview(bytearray(_RECEIVE_SIZE))
        self._busy = False
        self._closing = False
        self.transport: asyncio.Transport | None = None

    # -- asyncio.BufferedProtocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport but provide the same methods
        self.transport = cast(asyncio.Transport, transport)
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self.transport = None

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._receive

    def buffer_updated(self, nbytes: int) -> None:
        self._buffer += self._receive[:nbytes]
        if not self._busy:
            self._next_request()

    def data_received(self, data: bytes) -> None:
        """What a transport without buffered reads delivers."""
        self._buffer += data
        if not self._busy:
            self._next_request()

    # -- parsing --------------------------------------------------------------------------------
    def _next_request(self) -> None:
        transport = self.transport
        if transport is None or self._closing:
            return
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(self._buffer) > _MAX_HEAD:
                self._reply_and_close(431, b"request head too large")
            return
        try:
            request_line, *header_lines = self._buffer[:head_end].decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            headers: CIMultiDict[str] = CIMultiDict()
            for line in header_lines:
                name, _, value = line.partition(":")
                headers.add(name.strip(), value.strip())
        except ValueError:
            self._reply_and_close(400, b"malformed request")
            return
        path, _, query = target.partition("?")
        if not self._serves(path, headers):
            self._hand_over()
            return
        length = int(headers.get("Content-Length", "0") or 0)
        if length > _MAX_BODY:
            self._reply_and_close(413, b"body too large")
            return
        end = head_end + 4 + length
        if len(self._buffer) < end:
            return  # wait for the rest of the body
        body = bytes(self._buffer[head_end + 4 : end])
        del self._buffer[:end]
        keep_alive = version == "HTTP/1.1" and headers.get("Connection", "").lower() != "close"
        route, match_info, other_method = self._trie.match(method, path)
        request = FastRequest(method, path, query, headers, body, match_info, transport)
        self._busy = True
        # answered right here unless the route has to wait (a fault's latency, a slow handler)
        start_eagerly(self._respond(request, route, other_method, keep_alive), _log_failure)

    def _serves(self, path: str, headers: CIMultiDict[str]) -> bool:
        if not path.startswith(self._trie.prefix + "/"):
            return False
        if "Upgrade" in headers or "Transfer-Encoding" in headers or "Expect" in headers:
            return False
        return not headers.get("Content-Type", "").lower().startswith("multipart/")

    def _hand_over(self) -> None:
        """Passes the connection, with everything received so far, to aiohttp's protocol."""
        transport = self.transport
        assert transport is not None
        self._connections.discard(self)
        protocol = self._fallback()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        data, self._buffer = bytes(self._buffer), bytearray()
        self.transport = None
        if data:
            protocol.data_received(data)

    # -- answering ------------------------------------------------------------------------------
    async def _respond(
        self, request: FastRequest, route: RouteDef | None, other_method: bool, keep_alive: bool
    ) -> None:
        response: web.Response | JsonAnswer
        try:
            if route is None and other_method and not _known_to_discordpy(request.method, request.path):
                response = _json_error(405, "405: Method Not Allowed")
            else:
                response = await self._emulator.serve_api(request, route)
        except Exception:
            log.exception("emulator: unhandled error in %s %s", request.method, request.path)
            response = _json_error(500, "500: Internal Server Error")
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(_serialize(response, keep_alive))
        self._busy = False
        if not keep_alive:
            self._closing = True
            transport.close()
        elif self._buffer:
            self._next_request()

    def _reply_and_close(self, status: int, text: bytes) -> None:
        if self.transport is not None:
            self.transport.write(_serialize(web.Response(status=status, body=text), keep_alive=False))
            self.transport.close()
        self._closing = True

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _known_to_discordpy(method: str, path: str) -> bool:
    from .coverage import route_template_for
    from .server import API_PREFIX

    return route_template_for(method, path[len(API_PREFIX) :]) is not None


def _json_error(status: int, message: str) -> web.Response:
    from .http_utils import json_response

    return json_response({"message": message, "code": 0}, status=status)


_SKIPPED_HEADERS = frozenset({"content-length", "connection"})


def _serialize(response: web.StreamResponse | JsonAnswer, keep_alive: bool) -> bytes:
    status = response.status
    if isinstance(response, JsonAnswer):  # the common case: only headers the emulator set itself
        body = response.body
        # (name, value) pairs joined in C, without a Python loop; the values are strings
        headers = "\r\n".join(map(": ".join, response.headers.items()))
        if headers:
            headers += "\r\n"
    else:
        raw = response.body if isinstance(response, web.Response) and status != 204 else b""
        body = raw if isinstance(raw, bytes) else bytes(raw or b"")  # type: ignore[arg-type]
        headers = "".join(
            [
                f"{name}: {value}\r\n"
                for name, value in response.headers.items()
                if name.lower() not in _SKIPPED_HEADERS
            ]
        )
    length = "" if status == 204 else f"Content-Length: {len(body)}\r\n"
    return (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n{headers}{length}"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    ).encode("latin-1") + body


def _log_failure(error: BaseException) -> None:
    log.error("emulator: answering a request failed", exc_info=error)
