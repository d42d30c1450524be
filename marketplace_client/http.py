"""HTTP GET with bounded retries: 429 and 5xx answers (honouring Retry-After) and connection
failures are retried up to a number of times, never waiting longer than a bound. ``file:`` URLs
and plain paths are read from disk."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import inspect
import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import aiohttp

from zoryx_core.redact import redact_url

from .errors import MarketplaceError

__all__ = ["FetchError", "RetryEvent", "RetryPolicy", "fetch", "fetch_to_file", "is_local", "local_path"]

_T = TypeVar("_T")

ByteProgress = Callable[[int, int | None], Awaitable[None] | None]
"""Called with (bytes received so far, total bytes or None) while a body arrives."""


class FetchError(MarketplaceError):
    """A request failed for good: ``status`` is the last HTTP status, or None for a network error."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_retries`` retries; each wait is Retry-After when given (failing at once if it
    exceeds ``max_wait``), else ``base_delay * 2**n`` capped at ``max_wait``."""

    max_retries: int = 3
    max_wait: float = 30.0
    base_delay: float = 0.5


@dataclass(frozen=True)
class RetryEvent:
    """A request is about to be retried after ``delay`` seconds."""

    url: str
    """Without credentials or query string."""
    attempt: int
    """The attempt that failed, counting from 1."""
    status: int | None
    delay: float
    reason: str


def is_local(url: str) -> bool:
    """True for ``file:`` URLs and plain paths."""
    scheme = urlparse(url).scheme
    return scheme == "file" or scheme == "" or len(scheme) == 1


def local_path(url: str) -> Path:
    """The path a ``file:`` URL (or a plain path) names."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(url2pathname(unquote(parsed.path)))
    return Path(url)


async def fetch(
    session: aiohttp.ClientSession | None,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
    timeout: aiohttp.ClientTimeout | None = None,
    max_bytes: int | None = None,
    on_progress: ByteProgress | None = None,
    on_retry: Callable[[RetryEvent], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bytes:
    """The body at ``url``; raises :class:`FetchError` naming the URL (credentials and query
    string hidden) and what went wrong."""
    if is_local(url):
        return await _read_local(url, max_bytes, on_progress)

    async def consume(response: aiohttp.ClientResponse) -> bytes:
        return await _read_body(response, url, max_bytes, on_progress)

    return await _with_retries(session, url, consume, headers, policy, timeout, on_retry, sleep)


async def fetch_to_file(
    session: aiohttp.ClientSession | None,
    url: str,
    destination: Path,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
    timeout: aiohttp.ClientTimeout | None = None,
    on_progress: ByteProgress | None = None,
    on_retry: Callable[[RetryEvent], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[int, str]:
    """Stream the body at ``url`` into ``destination`` (created or replaced), hashing it on the
    way; stops with :class:`FetchError` as soon as more than ``max_bytes`` arrive. Returns
    (size, sha256 hex digest). Memory use stays one chunk whatever the size."""

    async def consume(response: aiohttp.ClientResponse) -> tuple[int, str]:
        total = response.content_length
        if total is not None and total > max_bytes:
            raise FetchError(
                f"{redact_url(url)} is {total} bytes, more than the limit of {max_bytes}", url=url
            )
        chunks = response.content.iter_chunked(_CHUNK)
        return await _write_stream(chunks, url, destination, max_bytes, total, on_progress)

    if is_local(url):
        source = local_path(url)

        async def local_chunks() -> AsyncIterator[bytes]:
            try:
                handle = await asyncio.to_thread(source.open, "rb")
            except OSError as error:
                raise FetchError(f"cannot read {source}: {error.strerror or error}", url=url) from None
            try:
                while chunk := await asyncio.to_thread(handle.read, _CHUNK):
                    yield chunk
            finally:
                await asyncio.to_thread(handle.close)

        return await _write_stream(local_chunks(), url, destination, max_bytes, None, on_progress)
    return await _with_retries(session, url, consume, headers, policy, timeout, on_retry, sleep)


_CHUNK = 64 * 1024


async def _write_stream(
    chunks: AsyncIterable[bytes],
    url: str,
    destination: Path,
    max_bytes: int,
    total: int | None,
    on_progress: ByteProgress | None,
) -> tuple[int, str]:
    digest = hashlib.sha256()
    done = 0
    await _notify(on_progress, 0, total)
    try:
        handle = await asyncio.to_thread(destination.open, "wb")
    except OSError as error:
        raise FetchError(f"cannot write {destination}: {error.strerror or error}", url=url) from None
    try:
        async for chunk in chunks:
            done += len(chunk)
            if done > max_bytes:
                raise FetchError(f"{redact_url(url)} sent more than the limit of {max_bytes} bytes", url=url)
            digest.update(chunk)
            await asyncio.to_thread(handle.write, chunk)
            await _notify(on_progress, done, total)
        await asyncio.to_thread(_flush, handle)
    except OSError as error:
        raise FetchError(f"cannot write {destination}: {error.strerror or error}", url=url) from None
    finally:
        await asyncio.to_thread(handle.close)
    return done, digest.hexdigest()


def _flush(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


async def _with_retries(
    session: aiohttp.ClientSession | None,
    url: str,
    consume: Callable[[aiohttp.ClientResponse], Awaitable[_T]],
    headers: Mapping[str, str] | None,
    policy: RetryPolicy | None,
    timeout: aiohttp.ClientTimeout | None,
    on_retry: Callable[[RetryEvent], None] | None,
    sleep: Callable[[float], Awaitable[None]],
) -> _T:
    shown = redact_url(url)
    if session is None:
        raise FetchError(f"cannot fetch {shown}: no HTTP session", url=url)
    policy = policy or RetryPolicy()
    attempt = 0
    while True:
        attempt += 1
        status: int | None = None
        retry_after: float | None = None
        try:
            async with session.get(url, headers=dict(headers or {}), timeout=timeout) as response:
                status = response.status
                if status == 200:
                    return await consume(response)
                if status != 429 and status < 500:
                    raise FetchError(
                        f"GET {shown} answered HTTP {status} {response.reason or ''}".rstrip(),
                        url=url,
                        status=status,
                    )
                retry_after = _retry_after(response.headers.get("Retry-After"))
                reason = f"HTTP {status}"
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as error:
            reason = _describe(error)
        except aiohttp.ClientError as error:  # a bad URL, too many redirects...: retrying cannot help
            raise FetchError(f"GET {shown} failed: {_describe(error)}", url=url, status=status) from None
        if attempt > policy.max_retries:
            tries = "1 attempt" if attempt == 1 else f"{attempt} attempts"
            raise FetchError(f"GET {shown} failed after {tries}: {reason}", url=url, status=status)
        if retry_after is not None:
            if retry_after > policy.max_wait:
                raise FetchError(
                    f"GET {shown} answered {reason} asking to retry after {retry_after:g} s, longer than "
                    f"the allowed wait of {policy.max_wait:g} s (marketplace.max_retry_wait)",
                    url=url,
                    status=status,
                )
            delay = retry_after
        else:
            delay = min(policy.max_wait, policy.base_delay * 2 ** (attempt - 1))
        if on_retry is not None:
            on_retry(RetryEvent(shown, attempt, status, delay, reason))
        await sleep(delay)


async def _read_body(
    response: aiohttp.ClientResponse, url: str, max_bytes: int | None, on_progress: ByteProgress | None
) -> bytes:
    total = response.content_length
    shown = redact_url(url)
    if max_bytes is not None and total is not None and total > max_bytes:
        raise FetchError(f"{shown} is {total} bytes, more than the limit of {max_bytes}", url=url)
    chunks: list[bytes] = []
    done = 0
    await _notify(on_progress, 0, total)
    async for chunk in response.content.iter_chunked(_CHUNK):
        done += len(chunk)
        if max_bytes is not None and done > max_bytes:
            raise FetchError(f"{shown} sent more than the limit of {max_bytes} bytes", url=url)
        chunks.append(chunk)
        await _notify(on_progress, done, total)
    return b"".join(chunks)


async def _read_local(url: str, max_bytes: int | None, on_progress: ByteProgress | None) -> bytes:
    path = local_path(url)
    try:
        body = await asyncio.to_thread(path.read_bytes)
    except OSError as error:
        raise FetchError(f"cannot read {path}: {error.strerror or error}", url=url) from None
    if max_bytes is not None and len(body) > max_bytes:
        raise FetchError(f"{path} is {len(body)} bytes, more than the limit of {max_bytes}", url=url)
    await _notify(on_progress, len(body), len(body))
    return body


async def _notify(callback: ByteProgress | None, done: int, total: int | None) -> None:
    if callback is None:
        return
    result = callback(done, total)
    if inspect.isawaitable(result):
        await result


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds (fractions accepted) or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
