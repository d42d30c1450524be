"""DiscordEmulator: the aiohttp server that unmodified discord.py connects to over real sockets."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .actions import UserActionsMixin
from .bot_limits import GlobalRateLimit, IdentifyLimits, InvalidRequestCounter, add_limit_routes
from .cdn import add_cdn_routes
from .community_actions import CommunityActionsMixin
from .control import add_control_routes
from .coverage import route_template_for
from .errors import DiscordError, Unauthorized
from .fast_http import FastHttpProtocol, RouteTrie
from .gateway import GatewayHub
from .http_utils import JsonAnswer, Request, RouteDef, json_response
from .interactions_state import InteractionRegistry
from .ratelimits import FaultPlan, RateLimiter
from .routes import ALL_ROUTES
from .scenario import ScenarioMixin
from .state import EmulatorState

__all__ = ["API_PREFIX", "DiscordEmulator", "RequestRecord"]

API_PREFIX = "/api/v10"
log = logging.getLogger(__name__)


@dataclass
class RequestRecord:
    """One REST request as the emulator saw it."""

    method: str
    path: str
    route: str | None  # "METHOD /template", None for unknown paths
    at: float  # time.monotonic() on arrival
    status: int = 0
    body: Any = None


class DiscordEmulator(ScenarioMixin, UserActionsMixin, CommunityActionsMixin):
    """A local Discord: REST under ``/api/v10``, a gateway at ``/gateway``, and a driver API.

    Use it as an async context manager, or call :meth:`start` and :meth:`stop`::

        async with DiscordEmulator() as emu:
            guild = emu.create_guild("Test")
            ...
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        bot_name: str = "Zoryx Test Bot",
    ) -> None:
        self.host = host
        self.port = port
        self.token = token or f"zoryx-emulator.{secrets.token_urlsafe(24)}"
        self.state = EmulatorState()
        self.bot_user = self.state.add_user(bot_name, bot=True)
        self.application_id = self.bot_user.id
        self.app_owner = self.state.add_user("application-owner")
        self.gateway = GatewayHub(self)
        self.rate_limits = RateLimiter()
        self.faults = FaultPlan()
        self.identify_limits = IdentifyLimits()
        """``max_concurrency``, the identify window and the daily session-start budget."""
        self.global_limit = GlobalRateLimit()
        """The global REST limit (``per_second = 50`` is Discord's); unlimited by default."""
        self.invalid_requests = InvalidRequestCounter()
        """401, 403 and 429 answers, as Discord counts them towards its invalid-request ban."""
        self.interactions = InteractionRegistry()
        self.requests: list[RequestRecord] = []
        self.not_emulated: list[str] = []
        """Routes discord.py knows that the bot called and the emulator does not serve, in order."""
        self.presences: list[dict[str, Any]] = []
        """Presence updates (gateway op 3) the bot sent, oldest first."""
        self.record_bodies = True
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._fast_connections: set[FastHttpProtocol] = set()
        self._authorization = f"Bot {self.token}"
        self.app = self._build_app()

    # -- addresses ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def cdn_url(self) -> str:
        """Base URL of the emulator's CDN (emoji and sticker images, server icons and banners)."""
        return self.base_url

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def route_definitions(self) -> list[RouteDef]:
        return list(ALL_ROUTES.routes)

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> DiscordEmulator:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        aiohttp_protocol = self._runner.server
        assert aiohttp_protocol is not None
        trie = RouteTrie(ALL_ROUTES.routes, API_PREFIX)
        self._server = await asyncio.get_running_loop().create_server(
            lambda: FastHttpProtocol(self, trie, aiohttp_protocol, self._fast_connections),
            self.host,
            self.port,
            backlog=1024,
        )
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]
        log.info("Discord emulator listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        self.interactions.cancel_all()
        if self._server is not None:
            self._server.close()
            for connection in list(self._fast_connections):
                connection.close()
            self._server = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- events -----------------------------------------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        """Sends a gateway event to the shard that owns ``guild_id`` (shard 0 for DMs)."""
        self.gateway.dispatch(event, data, guild_id=guild_id)

    # -- the application ------------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        """The aiohttp application: the gateway, attachments, control API, and every REST route.

        Most REST requests never reach it: :mod:`.fast_http` answers them first and hands
        aiohttp only the connections it does not serve itself. Both end in :meth:`serve_api`.

        The application has no middleware: aiohttp keeps the handler chains it builds for
        middlewares in a process-wide cache of 1024 entries, which would keep every emulator of
        a test session (its stored messages, its request log) alive and make each full garbage
        collection slower than the last.
        """
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        # aiohttp tries routes in the order added: literal segments first (/roles/member-counts
        # before /roles/{role_id}), as the fast front's trie does
        literal_first = sorted(
            ALL_ROUTES.routes,
            key=lambda r: [(s.startswith("{"), s) for s in r.path.strip("/").split("/")],
        )
        for route in literal_first:
            app.router.add_route(route.method, API_PREFIX + route.path, self._aiohttp_handler(route))
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._serve_attachment)
        add_cdn_routes(app, self)
        add_control_routes(app, self)
        add_limit_routes(app, self)
        # last: any other path or method under the API prefix gets Discord's 404 from serve_api
        app.router.add_route("*", API_PREFIX + "{tail:.*}", self._aiohttp_handler(None))
        return app

    def _aiohttp_handler(
        self, route: RouteDef | None
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The aiohttp handler of one REST route (None: of the paths no route serves)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = await self.serve_api(request, route)
            return response.to_aiohttp() if isinstance(response, JsonAnswer) else response

        return handler

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment = self.state.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None:
            raise web.HTTPNotFound()
        return web.Response(body=attachment.data, content_type=attachment.content_type)

    async def serve_api(self, request: Request, route: RouteDef | None) -> web.Response | JsonAnswer:
        """Answers one REST request: logs it, applies auth, faults and rate limits, runs the route."""
        record = RequestRecord(request.method, request.path, route.name if route else None, time.monotonic())
        self.requests.append(record)
        response = await self._answer(request, route, record)
        record.status = response.status
        if response.status in (401, 403, 429):
            self.invalid_requests.observe(response.status, response.headers.get("X-RateLimit-Scope"))
        return response

    async def _answer(
        self, request: Request, route: RouteDef | None, record: RequestRecord
    ) -> web.Response | JsonAnswer:
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        if route is None:
            return self._not_served(request, record)
        if route.auth and request.headers.get("Authorization") != self._authorization:
            return json_response(Unauthorized().body(), status=401)
        now = time.monotonic()
        if route.auth and (wait := self.global_limit.take(now)):
            return self._too_many(wait, is_global=True)
        if now < self.faults.global_blocked_until:
            return self._too_many(self.faults.global_blocked_until - now, is_global=True)
        dropped_after = False
        if self.faults.scheduled:
            fault = self.faults.take(route.name)
            if fault is not None and fault.kind == "drop":
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=499)
            if fault is not None and fault.kind == "5xx":
                message = f"{fault.status}: Server Error"
                return json_response({"message": message, "code": 0}, status=fault.status)
            if fault is not None and fault.kind == "drop_after":
                dropped_after = True
            elif fault is not None:
                if fault.is_global:
                    self.faults.global_blocked_until = now + fault.retry_after
                return self._too_many(fault.retry_after, is_global=fault.is_global)
        major = request.match_info[route.major_parameter] if route.major_parameter else ""
        bucket = self.rate_limits.bucket(route.name, major)
        if not bucket.take(now):
            return self._too_many(bucket.reset_at - now, is_global=False, scope="user")
        response: web.Response | JsonAnswer
        try:
            result = await route.handler(self, request)
        except DiscordError as error:
            response = json_response(error.body(), status=error.status)
        else:
            if isinstance(result, web.Response):
                response = result
            elif result is None:
                response = web.Response(status=204)
            else:
                response = JsonAnswer(result)
        if self.record_bodies and response.status < 300:
            record.body = response.body
        response.headers.update(self.rate_limits.headers(bucket, now))
        if dropped_after:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)
        return response

    def _not_served(self, request: Request, record: RequestRecord) -> web.Response:
        """404 naming the route when discord.py knows it (``not emulated: PUT /guilds/{guild_id}/...``)."""
        template = route_template_for(request.method, request.path[len(API_PREFIX) :])
        if template is None:
            return json_response({"message": "404: Not Found", "code": 0}, status=404)
        record.route = None
        self.not_emulated.append(template)
        log.warning("emulator: the bot called %s, which is not emulated", template)
        return json_response({"message": f"not emulated: {template}", "code": 0}, status=404)

    @staticmethod
    def _too_many(retry_after: float, *, is_global: bool, scope: str = "user") -> web.Response:
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, int(retry_after + 0.999))),
            "X-RateLimit-Scope": "global" if is_global else scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        }
        return json_response(body, status=429, headers=headers)

    # -- request log helpers ------------------------------------------------------------------------
    def requests_to(self, route: str) -> list[RequestRecord]:
        """Logged requests whose route is ``"METHOD /template"``."""
        return [r for r in self.requests if r.route == route]
