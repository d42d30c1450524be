"""Real servers for tests that install plugins: a PyPI-compatible package index, a static HTTP
server for catalogs and files, and wheels built from plugin source folders.

Everything listens on loopback only and is plain functions and context managers, usable from
sync and async tests alike (the servers run in their own thread or process, never on the test's
event loop):

- :func:`build_wheels` ``(sources, out)``: ``pip wheel --no-deps --no-build-isolation`` over
  copies of the source folders (the originals stay free of build output); returns the wheel paths.
- :func:`package_index` ``(folder)``: a context manager running pypiserver as a subprocess on a
  free port with the fallback to PyPI disabled; yields a :class:`PackageIndex` whose
  ``simple_url`` is what ``pip --index-url`` (or ``marketplace.index_url``) takes. pypiserver is
  only needed when this is used: ``pip install 'pypiserver>=2.4'``.
- :class:`StaticServer`: files of a folder at ``/files/<name>``, documents published by the test
  at ``/docs/<n>/<name>`` (changeable in place), altered copies of files at ``/tampered/<name>``,
  programmable failures, and a record of each request with its headers.
- :func:`free_port`: a free TCP port on 127.0.0.1.

A session fixture typically builds the wheels once and keeps both servers for the session::

    @pytest.fixture(scope="session")
    def index(tmp_path_factory):
        wheels = build_wheels(SOURCES.iterdir(), tmp_path_factory.mktemp("wheels"))
        with package_index(wheels[0].parent) as running:
            yield running
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = [
    "PackageIndex",
    "RecordedRequest",
    "StaticServer",
    "build_wheels",
    "free_port",
    "package_index",
    "tamper",
]

_IGNORED = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.pyc")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pip_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def build_wheels(
    sources: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    python: str | os.PathLike[str] | None = None,
    timeout: float = 600.0,
) -> list[Path]:
    """Build a wheel of each source folder (a ``pyproject.toml`` project) into ``out``.

    The folders are copied to a temporary place first, so no ``build/`` or ``*.egg-info`` is left
    in them, and built with ``pip wheel --no-deps --no-build-isolation --no-index`` by ``python``
    (default: this interpreter, which must have the build backend, e.g. setuptools): one pip run
    for all, or one per version when a project comes in several versions.
    Returns the wheels' paths in ``out``, sorted; raises :class:`RuntimeError` with pip's output
    when the build fails and :class:`ValueError` for a folder without ``pyproject.toml``.
    """
    folders = [Path(source) for source in sources]
    for folder in folders:
        if not (folder / "pyproject.toml").is_file():
            raise ValueError(f"{folder} is not a project folder: it has no pyproject.toml")
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    if not folders:
        return []
    with tempfile.TemporaryDirectory(prefix="zoryx-wheels-") as scratch:
        work = Path(scratch)
        copies = []
        for index, folder in enumerate(folders):
            copy = work / "src" / f"{index}-{folder.name}"
            shutil.copytree(folder, copy, ignore=_IGNORED)
            copies.append(copy)
        built_dir = work / "wheels"
        # pip resolves the folders of one run together: two versions of a project need two runs
        for batch in _batches(copies):
            command = [
                os.fspath(python or sys.executable),
                "-m",
                "pip",
                "wheel",
                "--isolated",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--quiet",
                "--wheel-dir",
                str(built_dir),
                *map(str, batch),
            ]
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=_pip_environment(), cwd=work
            )
            if result.returncode != 0:
                output = f"{result.stdout}\n{result.stderr}".strip()
                raise RuntimeError(f"building wheels failed (exit code {result.returncode}):\n{output}")
        built = []
        for wheel in sorted(built_dir.glob("*.whl")):
            destination = target / wheel.name
            shutil.move(wheel, destination)
            built.append(destination)
    return built


def _project_name(folder: Path) -> str:
    try:
        with (folder / "pyproject.toml").open("rb") as handle:
            name = tomllib.load(handle).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError):
        name = None
    return re.sub(r"[-_.]+", "-", str(name)).lower() if name else folder.name


def _batches(folders: list[Path]) -> list[list[Path]]:
    """The folders in as few groups as possible with each project at most once per group."""
    batches: list[tuple[set[str], list[Path]]] = []
    for folder in folders:
        name = _project_name(folder)
        for names, batch in batches:
            if name not in names:
                names.add(name)
                batch.append(folder)
                break
        else:
            batches.append(({name}, [folder]))
    return [batch for _, batch in batches]


@dataclass(frozen=True)
class PackageIndex:
    """A running pypiserver: ``simple_url`` for pip's ``--index-url``, the folder it serves."""

    url: str
    """``http://127.0.0.1:<port>``."""
    simple_url: str
    """``http://127.0.0.1:<port>/simple/``: the PEP 503 index."""
    folder: Path
    port: int
    log: Path


def _pypiserver_available(python: str) -> bool:
    if python == sys.executable:
        return importlib.util.find_spec("pypiserver") is not None
    probe = subprocess.run([python, "-c", "import pypiserver"], capture_output=True, timeout=60, check=False)
    return probe.returncode == 0


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def package_index(
    folder: str | os.PathLike[str],
    *,
    log: str | os.PathLike[str] | None = None,
    python: str | os.PathLike[str] | None = None,
    startup_timeout: float = 30.0,
) -> Iterator[PackageIndex]:
    """Serve the packages in ``folder`` with pypiserver on a free loopback port, with the fallback
    to PyPI disabled (a package it lacks is a 404, not a redirect), until the block ends.

    ``log`` receives the server's output (default: a file in the system's temporary folder);
    ``python`` is the interpreter that runs pypiserver (default: this one). Raises
    :class:`RuntimeError` naming what to install when pypiserver is missing, and with the log's
    end when it does not start within ``startup_timeout`` seconds.
    """
    interpreter = os.fspath(python or sys.executable)
    if not _pypiserver_available(interpreter):
        raise RuntimeError(
            f"pypiserver is not installed for {interpreter}; install it with: pip install 'pypiserver>=2.4'"
        )
    packages = Path(folder).resolve()
    if not packages.is_dir():
        raise ValueError(f"{packages} is not a folder of packages")
    log_path = Path(log) if log is not None else _temporary_log()
    last_problem = ""
    for _ in range(3):  # the chosen port may be taken before pypiserver binds it: try another
        port = free_port()
        command = [
            interpreter,
            "-m",
            "pypiserver",
            "run",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--disable-fallback",
            "--server",
            "wsgiref",
            str(packages),
        ]
        with log_path.open("ab") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            if _wait_until_serving(f"{base}/simple/", process, startup_timeout):
                yield PackageIndex(base, f"{base}/simple/", packages, port, log_path)
                return
            last_problem = f"exit code {process.poll()}" if process.poll() is not None else "no answer"
        finally:
            _stop(process)
    tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise RuntimeError(f"pypiserver did not start ({last_problem}); its log {log_path} ends with:\n{tail}")


def _temporary_log() -> Path:
    with tempfile.NamedTemporaryFile(prefix="pypiserver-", suffix=".log", delete=False) as handle:
        return Path(handle.name)


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except (OSError, urllib.error.URLError):
            time.sleep(0.05)
    return False


def tamper(data: bytes) -> bytes:
    """``data`` with its middle byte inverted: same length, another sha256."""
    if not data:
        return b"\0"
    altered = bytearray(data)
    altered[len(altered) // 2] ^= 0xFF
    return bytes(altered)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the :class:`StaticServer` received."""

    method: str
    path: str
    headers: Mapping[str, str]


@dataclass
class _Failure:
    status: int
    headers: Mapping[str, str]
    times: int


@dataclass
class _Document:
    body: bytes
    content_type: str


@dataclass
class _State:
    folder: Path | None
    documents: dict[str, _Document] = field(default_factory=dict)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class StaticServer:
    """A static HTTP server on a free loopback port, in a thread of its own.

    - ``/files/<name>``: the files of ``folder`` (e.g. wheels), read when asked;
    - ``/tampered/<name>``: the same file with one byte changed (:func:`tamper`);
    - ``/docs/<n>/<name>``: what :meth:`publish` put there (a catalog, an index page...).

    Use it as a context manager (``with StaticServer(folder) as server:``) or call
    :meth:`start` and :meth:`stop`. It records every request (:attr:`requests`) and answers the
    next requests to a URL with an error status when told to (:meth:`fail`).
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self._state = _State(Path(folder).resolve() if folder is not None else None)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0
        self.base_url = ""

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> StaticServer:
        """Start listening (on 127.0.0.1, a free port); :attr:`base_url` tells where."""
        if self._server is not None:
            return self
        handler = _handler_for(self._state)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="static-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and wait for the server thread."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._server = None
        self._thread = None

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- content ---------------------------------------------------------------------------------

    def publish(self, document: Any, *, name: str = "catalog.json") -> str:
        """Serve ``document`` as JSON at a new URL (``/docs/<n>/<name>``); returns the URL."""
        return self.publish_bytes(json.dumps(document).encode("utf-8"), name=name)

    def publish_bytes(
        self, body: bytes, *, name: str = "catalog.json", content_type: str = "application/json"
    ) -> str:
        """Serve ``body`` at a new URL (``/docs/<n>/<name>``); returns the URL."""
        if not name or "/" in name:
            raise ValueError(f"a published name is one path segment, got {name!r}")
        with self._state.lock:
            self._counter += 1
            path = f"/docs/{self._counter}/{name}"
            self._state.documents[path] = _Document(body, content_type)
        return self.base_url + path

    def replace(self, url: str, document: Any) -> None:
        """Change what an already published URL serves (JSON)."""
        self.replace_bytes(url, json.dumps(document).encode("utf-8"))

    def replace_bytes(self, url: str, body: bytes) -> None:
        """Change the bytes an already published URL serves (same content type)."""
        path = _path_of(url)
        with self._state.lock:
            if path not in self._state.documents:
                raise KeyError(f"{url} was not published by this server")
            previous = self._state.documents[path]
            self._state.documents[path] = _Document(body, previous.content_type)

    def file_url(self, name: str) -> str:
        """The URL of file ``name`` of the served folder."""
        return f"{self.base_url}/files/{name}"

    def tampered_url(self, name: str) -> str:
        """The URL of file ``name`` with one byte changed."""
        return f"{self.base_url}/tampered/{name}"

    # --- failures and the record -----------------------------------------------------------------

    def fail(
        self, url: str, status: int, *, times: int = 1, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the next ``times`` requests to ``url`` with ``status`` (and ``headers``)."""
        with self._state.lock:
            self._state.failures.setdefault(_path_of(url), []).append(
                _Failure(status, dict(headers or {}), times)
            )

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._state.lock:
            return list(self._state.requests)

    def requests_to(self, url: str) -> list[RecordedRequest]:
        """The requests received for ``url``'s path, oldest first."""
        path = _path_of(url)
        return [request for request in self.requests if request.path == path]


def _path_of(url: str) -> str:
    return unquote(urlsplit(url).path) or "/"


def _handler_for(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # tests read :attr:`StaticServer.requests` instead of stderr

        def do_GET(self) -> None:
            path = _path_of(self.path)
            with state.lock:
                state.requests.append(RecordedRequest("GET", path, dict(self.headers.items())))
                queue = state.failures.get(path)
                failure = queue[0] if queue else None
                if failure is not None and queue is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        queue.pop(0)
                document = state.documents.get(path)
            if failure is not None:
                self._answer(failure.status, b"failure on purpose", "text/plain", failure.headers)
                return
            if document is not None:
                self._answer(200, document.body, document.content_type)
                return
            kind, _, name = path.lstrip("/").partition("/")
            body = self._file(name) if kind in ("files", "tampered") else None
            if body is None:
                self._answer(404, b"not found", "text/plain")
                return
            self._answer(200, tamper(body) if kind == "tampered" else body, "application/octet-stream")

        def _file(self, name: str) -> bytes | None:
            if state.folder is None or not name or "/" in name or name.startswith("."):
                return None
            try:
                return (state.folder / name).read_bytes()
            except OSError:
                return None

        def _answer(
            self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
