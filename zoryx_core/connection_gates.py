"""Where a plugin can pace the bot's traffic with Discord: before each IDENTIFY and around each
REST request.

discord.py offers both as documented hooks that must be given when the client is built
(``before_identify_hook`` and ``http_trace``), before any plugin is loaded. ZoryxBot builds its
client with :class:`ConnectionGates` in place, and plugins fill it in from their set-up::

    bot.gates.identify = my_identify_gate            # async (shard_id, initial) -> None
    bot.gates.add_request_gate(wait_for_slot)        # async (method, url) -> None or a "done" callback
    bot.gates.add_response_observer(count_status)    # (method, url, status, headers) -> None

A plugin removes what it added in its teardown. With nothing set, discord.py's own behaviour
stays (its 5 s pause between IDENTIFYs) and requests pass straight through: the trace is taken off
the HTTP session (``ClientSession.trace_configs``) at its first request, so aiohttp's tracing costs
nothing per request, and put back as soon as a gate or an observer is added.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from types import SimpleNamespace

import aiohttp
from yarl import URL

__all__ = ["ConnectionGates", "IdentifyGate", "RequestDone", "RequestGate", "ResponseObserver"]

log = logging.getLogger("zoryx.gates")

IdentifyGate = Callable[[int, bool], Awaitable[None]]
"""``await gate(shard_id, initial)`` returns when the shard may IDENTIFY."""
RequestDone = Callable[[int | None], Awaitable[None]]
"""``await done(status)`` once the request's answer arrived (``None``: the request failed)."""
RequestGate = Callable[[str, URL], Awaitable[RequestDone | None]]
"""``await gate(method, url)`` returns when the REST request may be sent; it may return a
:data:`RequestDone` to be told when the request is over."""
ResponseObserver = Callable[[str, URL, int, Mapping[str, str]], None]
"""``observer(method, url, status, headers)`` sees every REST answer; it must not block."""


class ConnectionGates:
    """The identify gate and the REST request gates and observers of one bot."""

    def __init__(self) -> None:
        self.identify: IdentifyGate | None = None
        self._request_gates: list[RequestGate] = []
        self._observers: list[ResponseObserver] = []
        self._trace: aiohttp.TraceConfig | None = None
        self._sessions: weakref.WeakSet[aiohttp.ClientSession] = weakref.WeakSet()

    def add_request_gate(self, gate: RequestGate) -> None:
        self._request_gates.append(gate)
        self._attach_or_detach()

    def remove_request_gate(self, gate: RequestGate) -> None:
        if gate in self._request_gates:
            self._request_gates.remove(gate)
        self._attach_or_detach()

    def add_response_observer(self, observer: ResponseObserver) -> None:
        self._observers.append(observer)
        self._attach_or_detach()

    def remove_response_observer(self, observer: ResponseObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)
        self._attach_or_detach()

    @property
    def tracing(self) -> bool:
        """Whether REST requests need the trace (a gate or an observer is set)."""
        return bool(self._request_gates or self._observers)

    def trace_config(self) -> aiohttp.TraceConfig:
        """The ``http_trace`` to build the client with: it runs the gates and observers."""
        if self._trace is None:
            trace = aiohttp.TraceConfig()
            trace.on_request_start.append(self._on_request_start)
            trace.on_request_end.append(self._on_request_end)
            trace.on_request_exception.append(self._on_request_exception)
            self._trace = trace
        return self._trace

    def traced_sessions(self) -> int:
        """How many of the bot's HTTP sessions carry the trace now."""
        trace = self._trace
        return sum(1 for session in self._sessions if trace in session.trace_configs)

    def _attach_or_detach(self) -> None:
        """Put the trace on every known session when it is needed, take it off when not."""
        trace = self._trace
        if trace is None:
            return
        wanted = self.tracing
        for session in list(self._sessions):
            configs = session.trace_configs  # aiohttp reads this list at the start of each request
            if wanted and trace not in configs:
                configs.append(trace)
            elif not wanted and trace in configs:
                configs.remove(trace)

    async def _on_request_start(
        self,
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        if session not in self._sessions:  # a new session (at login): known from now on
            self._sessions.add(session)
            self._attach_or_detach()
        pending: list[RequestDone] = []
        for gate in tuple(self._request_gates):
            done = await gate(params.method, params.url)
            if done is not None:
                pending.append(done)
        if pending:
            context.zoryx_done = pending

    async def _on_request_end(
        self, _: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        response = params.response
        for observer in tuple(self._observers):
            try:
                observer(params.method, params.url, response.status, response.headers)
            except Exception:
                log.exception("a REST response observer failed")
        await self._finish(context, response.status)

    async def _on_request_exception(
        self, _: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        await self._finish(context, None)

    @staticmethod
    async def _finish(context: SimpleNamespace, status: int | None) -> None:
        for done in getattr(context, "zoryx_done", ()):
            try:
                await done(status)
            except Exception:
                log.exception("a REST request gate failed to finish")

    async def before_identify(self, shard_id: int, initial: bool) -> bool:
        """Runs the identify gate; False when there is none (discord.py's own pause applies)."""
        gate = self.identify
        if gate is None:
            return False
        await gate(shard_id, initial)
        return True
