"""Keeping secrets out of what people and logs see: URLs lose their credentials and query strings.

``redact_url("https://user:pass@host/c.json?access_token=x")`` gives
``"https://***@host/c.json?***"``; :func:`redact_urls` does the same to every URL inside a text
(an error message, a line of pip's output).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["HIDDEN", "redact_url", "redact_urls"]

HIDDEN = "***"
"""What stands in for a removed secret."""

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")


def redact_url(url: str) -> str:
    """``url`` without its user name, password, query string and fragment (each replaced by
    ``***``); text that is not a URL with a host comes back unchanged, minus any query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _strip_query(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{HIDDEN}@{netloc.rsplit('@', 1)[1]}"
    query = HIDDEN if parts.query else ""
    fragment = HIDDEN if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_urls(text: str) -> str:
    """``text`` with every ``scheme://...`` URL in it passed through :func:`redact_url`."""
    return _URL.sub(lambda match: redact_url(match.group(0)), text)


def _strip_query(text: str) -> str:
    head, separator, _ = text.partition("?")
    return f"{head}?{HIDDEN}" if separator else head
