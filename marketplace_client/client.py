"""The marketplace client: the catalog (fetched, validated, cached), search, info and wheel downloads."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

from .catalog import parse_catalog, parse_catalog_bytes
from .errors import CatalogError, MarketplaceError
from .http import (
    ByteProgress,
    FetchError,
    RetryEvent,
    RetryPolicy,
    fetch,
    fetch_to_file,
    is_local,
    local_path,
)
from .instance_id import INSTANCE_ID_HEADER, load_or_create_instance_id
from .models import Catalog, CatalogPlugin, CatalogVersion, ListingStatus
from .options import MarketplaceOptions
from .search import SearchPage, search
from .simple_index import ACCEPT, project_page_url, wheel_links

__all__ = ["CACHE_FILE", "MAX_DOCUMENT_BYTES", "MAX_WHEEL_BYTES", "MarketplaceClient"]

CACHE_FILE = "catalog-cache.json"
"""The last good catalog, under ``data_dir/marketplace``."""
MAX_WHEEL_BYTES = 200 * 1024 * 1024
"""No wheel larger than this is downloaded, whatever the catalog says."""
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""Largest catalog or index page read."""
_USER_AGENT = "zoryx-marketplace-client"


class MarketplaceClient:
    """Reads a marketplace: ``async with MarketplaceClient(options) as client: await client.search("dice")``.

    The catalog is kept ``options.cache_seconds`` in memory and in ``data_dir/marketplace`` (so
    separate processes share it); ``refresh=True`` fetches at once. A fetch that fails, or returns
    a document that is not a valid catalog, raises :class:`CatalogError` and leaves the cached copy
    as it was (:attr:`cached_catalog`). Each request carries the instance id header unless
    ``options.send_instance_id`` is false.
    """

    def __init__(
        self,
        options: MarketplaceOptions,
        *,
        session: aiohttp.ClientSession | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
    ) -> None:
        self.options = options
        self.on_retry = on_retry
        """Told about each retry (status, delay), e.g. to show "rate limited, retrying in 2 s"."""
        self._session = session
        self._owns_session = session is None
        self._cached: Catalog | None = None
        self._disk_checked = False
        self._lock = asyncio.Lock()
        self._instance_id: str | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    # --- identity and HTTP -------------------------------------------------------------------------

    async def instance_id(self) -> str:
        """This bot's instance id (made on first use, kept in ``data_dir/marketplace/instance_id``)."""
        if self._instance_id is None:
            self._instance_id = await asyncio.to_thread(
                load_or_create_instance_id, self.options.marketplace_dir
            )
        return self._instance_id

    async def request_headers(self) -> dict[str, str]:
        """Headers sent with every marketplace request."""
        headers = {"User-Agent": _USER_AGENT}
        if self.options.send_instance_id:
            headers[INSTANCE_ID_HEADER] = await self.instance_id()
        return headers

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    def _timeout(self, *, download: bool) -> aiohttp.ClientTimeout:
        seconds = self.options.timeout
        if download:  # a large wheel may take long: bound each read, not the whole transfer
            return aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)
        return aiohttp.ClientTimeout(total=seconds)

    def _policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=self.options.max_retries, max_wait=self.options.max_retry_wait)

    def _check_transport(self, url: str, what: str) -> None:
        problem = self.options.insecure(url, what)
        if problem is not None:
            raise MarketplaceError(problem)

    async def _get(
        self,
        url: str,
        *,
        accept: str | None = None,
        on_progress: ByteProgress | None = None,
    ) -> bytes:
        headers = await self.request_headers()
        if accept:
            headers["Accept"] = accept
        return await fetch(
            None if is_local(url) else self._http(),
            url,
            headers=headers,
            policy=self._policy(),
            timeout=self._timeout(download=False),
            max_bytes=MAX_DOCUMENT_BYTES,
            on_progress=on_progress,
            on_retry=self.on_retry,
        )

    # --- the catalog -------------------------------------------------------------------------------

    @property
    def catalog_url(self) -> str:
        """The configured catalog location as a URL (paths become ``file:`` URLs)."""
        url = self.options.catalog_url
        if not url:
            raise CatalogError(
                "no marketplace catalog is configured: set marketplace.catalog_url in config.json "
                "(or ZORYX_MARKETPLACE__CATALOG_URL, or --catalog-url)"
            )
        if is_local(url):
            return local_path(url).resolve().as_uri()
        problem = self.options.insecure(url, "the catalog")
        if problem is not None:
            raise CatalogError(problem, url=url, cached=self._cached)
        return url

    @property
    def cached_catalog(self) -> Catalog | None:
        """The last good catalog this client has (possibly stale), without fetching."""
        return self._cached

    def is_fresh(self, catalog: Catalog | None) -> bool:
        """Whether ``catalog`` is younger than ``options.cache_seconds``."""
        return catalog is not None and time.time() - catalog.fetched_at < self.options.cache_seconds

    async def catalog(self, *, refresh: bool = False) -> Catalog:
        """The catalog: the cached copy while fresh (unless ``refresh``), else fetched again."""
        url = self.catalog_url
        async with self._lock:
            if not self._disk_checked:
                self._disk_checked = True
                if self._cached is None:
                    self._cached = await asyncio.to_thread(self._read_disk_cache, url)
            cached = self._cached
            if not refresh and cached is not None and cached.source_url == url and self.is_fresh(cached):
                return cached
            try:
                body = await self._get(url, accept="application/json")
            except FetchError as error:
                raise CatalogError(
                    f"could not fetch the catalog: {error}", url=url, cached=self._cached
                ) from None
            try:
                catalog = await asyncio.to_thread(parse_catalog_bytes, body, url, fetched_at=time.time())
            except CatalogError as error:
                error.cached = self._cached
                raise
            self._cached = catalog
            await asyncio.to_thread(self._write_disk_cache, url, catalog.fetched_at, body)
            return catalog

    async def search(
        self,
        query: str = "",
        *,
        status: ListingStatus | str | None = None,
        page: int = 1,
        per_page: int = 5,
        refresh: bool = False,
    ) -> SearchPage:
        """One page of plugins matching ``query`` (see :func:`marketplace_client.search.search`)."""
        return search(await self.catalog(refresh=refresh), query, status=status, page=page, per_page=per_page)

    async def info(self, name: str, *, refresh: bool = False) -> CatalogPlugin:
        """The catalog entry of plugin ``name``; :class:`PluginNotFoundError` if absent."""
        return (await self.catalog(refresh=refresh)).get(name)

    def _cache_path(self) -> Path:
        return self.options.marketplace_dir / CACHE_FILE

    def _read_disk_cache(self, url: str) -> Catalog | None:
        path = self._cache_path()
        try:
            document: Any = json.loads(path.read_text(encoding="utf-8"))
            if document.get("url") != url:
                return None
            return parse_catalog(document["catalog"], url, fetched_at=float(document["fetched_at"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, CatalogError):
            return None  # a missing or unreadable cache is only a cache miss

    def _write_disk_cache(self, url: str, fetched_at: float, body: bytes) -> None:
        path = self._cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"url": url, "fetched_at": fetched_at, "catalog": json.loads(body)}
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with temporary.open("w", encoding="utf-8") as handle:
                json.dump(document, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)  # the cache is an optimisation; the catalog is still good

    # --- wheels ------------------------------------------------------------------------------------

    async def wheel_url(self, plugin: str, version: CatalogVersion) -> str:
        """Where ``version``'s wheel is: its URL, or the link its index lists for ``filename``.
        A catalog fetched over HTTP may not send the client to local files."""
        if version.url is not None:
            return self._remote_only(version.url, f"the wheel {version.filename}")
        assert version.index is not None
        page = project_page_url(self._remote_only(version.index, f"the index of {plugin}"), plugin)
        body = await self._get(page, accept=ACCEPT)
        links = await asyncio.to_thread(wheel_links, body, page)
        if version.filename not in links:
            raise MarketplaceError(f"the index page {page} does not list {version.filename}")
        return self._remote_only(links[version.filename], f"the wheel {version.filename}")

    def _remote_only(self, url: str, what: str) -> str:
        if is_local(url):
            if not is_local(self.catalog_url):
                raise MarketplaceError(
                    f"the catalog at {self.catalog_url} points at a local file ({url}); refused"
                )
            return url
        self._check_transport(url, what)
        return url

    async def download_wheel(
        self,
        plugin: str,
        version: CatalogVersion,
        destination: Path,
        *,
        on_progress: ByteProgress | None = None,
    ) -> tuple[int, str]:
        """Stream the wheel into ``destination``; returns (size, sha256). Not verified here (the
        installer compares with the catalog), but never more than the catalog's ``size`` (when
        given) nor :data:`MAX_WHEEL_BYTES` is read."""
        limit = MAX_WHEEL_BYTES if version.size is None else min(version.size, MAX_WHEEL_BYTES)
        url = await self.wheel_url(plugin, version)
        return await fetch_to_file(
            None if is_local(url) else self._http(),
            url,
            destination,
            max_bytes=limit,
            headers=await self.request_headers(),
            policy=self._policy(),
            timeout=self._timeout(download=True),
            on_progress=on_progress,
            on_retry=self.on_retry,
        )
