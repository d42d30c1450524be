"""Real servers for the marketplace tests: a catalog/wheel HTTP server (aiohttp, in its own
thread so both async tests and CLI subprocesses can use it) and a PyPI-compatible index
(pypiserver, a subprocess). Both listen on loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

__all__ = ["CatalogServer", "Fault", "free_port", "package_index"]


@dataclass
class Fault:
    """Answer the next ``times`` requests to a path with ``status`` (and ``headers``)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    times: int = 1


class CatalogServer:
    """Serves catalogs published by tests at ``/c/<n>/catalog.json``, wheels from a folder at
    ``/wheels/<file>`` and altered copies at ``/tampered/<file>``; records each request."""

    def __init__(self, wheel_dir: Path) -> None:
        self.wheel_dir = wheel_dir
        self.bodies: dict[str, bytes] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._counter = 0
        self.endless_sent = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="catalog-server", daemon=True)
        self.base_url = ""

    def start(self) -> None:
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.base_url = f"http://127.0.0.1:{port}"

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_get("/c/{key}/catalog.json", self._catalog)
        app.router.add_get("/wheels/{name}", self._wheel)
        app.router.add_get("/tampered/{name}", self._tampered)
        app.router.add_get("/endless/{name}", self._endless)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        return int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # --- what tests call ---------------------------------------------------------------------------

    def publish(self, document: Any) -> str:
        """Serve ``document`` (JSON) at a new URL; returns the URL."""
        return self.publish_raw(json.dumps(document).encode())

    def publish_raw(self, body: bytes) -> str:
        with self._lock:
            self._counter += 1
            key = str(self._counter)
        self.bodies[key] = body
        return f"{self.base_url}/c/{key}/catalog.json"

    def replace(self, url: str, body: bytes) -> None:
        """Change what an already published URL serves."""
        self.bodies[url.rsplit("/", 2)[-2]] = body

    def fail(self, url: str, fault: Fault) -> None:
        self.faults.setdefault(_path(url), []).append(fault)

    def requests_to(self, url: str) -> list[dict[str, str]]:
        """The headers of each request received for ``url``, oldest first."""
        return [headers for path, headers in self.requests if path == _path(url)]

    def wheel_url(self, filename: str) -> str:
        return f"{self.base_url}/wheels/{filename}"

    def tampered_url(self, filename: str) -> str:
        return f"{self.base_url}/tampered/{filename}"

    # --- handlers ----------------------------------------------------------------------------------

    def _fault(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.path, dict(request.headers)))
        queue = self.faults.get(request.path)
        if queue:
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return web.Response(status=fault.status, headers=dict(fault.headers), text="fault")
        return None

    async def _catalog(self, request: web.Request) -> web.StreamResponse:
        if (fault := self._fault(request)) is not None:
            return fault
        body = self.bodies.get(request.match_info["key"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/json")

    async def _wheel(self, request: web.Request) -> web.StreamResponse:
        if (fault := self._fault(request)) is not None:
            return fault
        path = self.wheel_dir / request.match_info["name"]
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(body=path.read_bytes(), content_type="application/octet-stream")

    async def _tampered(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.headers)))
        path = self.wheel_dir / request.match_info["name"]
        body = bytearray(path.read_bytes())
        body[len(body) // 2] ^= 0xFF  # one byte changed, same length
        return web.Response(body=bytes(body), content_type="application/octet-stream")


    def endless_url(self, filename: str) -> str:
        return f"{self.base_url}/endless/{filename}"

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """The wheel, then more bytes without end, chunked (no Content-Length): a server that
        lies about the size. Counts what it managed to send in ``endless_sent``."""
        self.requests.append((request.path, dict(request.headers)))
        response = web.StreamResponse()
        response.content_type = "application/octet-stream"
        await response.prepare(request)
        self.endless_sent = 0
        body = (self.wheel_dir / request.match_info["name"]).read_bytes()
        try:
            await response.write(body)
            self.endless_sent += len(body)
            while self.endless_sent < 1024 * 1024 * 1024:
                await response.write(b"\0" * 65536)
                self.endless_sent += 65536
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading
        return response


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1]


_PYPISERVER = [
    sys.executable,
    "-m",
    "pypiserver",
    "run",
    "-i",
    "127.0.0.1",
    "--disable-fallback",
    "--server",
    "wsgiref",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def package_index(packages: Path, log: Path) -> Iterator[str]:
    """pypiserver serving ``packages`` on a free loopback port (no fallback to PyPI); yields the
    simple index URL."""
    last_error = ""
    for _ in range(3):  # the port may be taken between choosing and binding it
        port = free_port()
        with log.open("ab") as output:
            process = subprocess.Popen(
                [*_PYPISERVER, "-p", str(port), str(packages)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}/simple/"
        try:
            ready = False
            deadline = time.monotonic() + 20
            while not ready and time.monotonic() < deadline and process.poll() is None:
                try:
                    with urllib.request.urlopen(url, timeout=1):
                        ready = True
                except OSError as error:
                    last_error = str(error)
                    time.sleep(0.1)
            if ready:
                yield url
                return
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    raise RuntimeError(f"pypiserver did not start ({last_error}); see {log}")
