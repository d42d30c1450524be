"""Finding a wheel's download URL on a PEP 503 / PEP 691 simple index."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlparse

__all__ = ["ACCEPT", "project_page_url", "wheel_links"]

ACCEPT = "text/html"
"""PEP 503 pages are HTML; a PEP 691 JSON answer is understood as well."""


def project_page_url(index_url: str, project: str) -> str:
    """``https://pypi.org/simple`` + ``zoryx-weather`` -> ``https://pypi.org/simple/zoryx-weather/``."""
    return index_url.rstrip("/") + "/" + project + "/"


def wheel_links(body: bytes, page_url: str) -> dict[str, str]:
    """File name -> absolute URL (fragment removed) for each file a project page lists."""
    if body.lstrip().startswith(b"{"):
        document = json.loads(body.decode("utf-8"))
        return {
            str(item["filename"]): urljoin(page_url, str(item["url"])).split("#")[0]
            for item in document.get("files", [])
            if isinstance(item, dict) and "filename" in item and "url" in item
        }
    parser = _Anchors()
    parser.feed(body.decode("utf-8", errors="replace"))
    links: dict[str, str] = {}
    for href in parser.hrefs:
        url = urljoin(page_url, href).split("#")[0]
        links[unquote(urlparse(url).path.rsplit("/", 1)[-1])] = url
    return links


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)
