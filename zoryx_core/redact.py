"""Keep secrets out of what users and logs see: credentials and query strings of URLs and DSNs.

``https://user:pass@host/cat.json?access_token=abc`` becomes ``https://***@host/cat.json?***``;
``postgresql://app:pw@db/zoryx`` becomes ``postgresql://***@db/zoryx``; ``redis://:pw@cache:6379/0``
becomes ``redis://***@cache:6379/0``. The credentials go whole (a lone user name is often a token),
and so does the query string (its names as well as its values may be secrets).
:func:`redact_text` applies the same to every URL inside free text, and to ``password=...`` style
pairs (libpq keyword DSNs). :class:`RedactingFilter` does it to every log record it sees.
"""

from __future__ import annotations

import logging
import re
import traceback
from urllib.parse import SplitResult, urlsplit, urlunsplit

__all__ = ["HIDDEN", "MASK", "RedactingFilter", "redact_dsn", "redact_text", "redact_url", "redact_urls"]

MASK = "***"
"""What a removed secret is replaced with."""

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"'`]+")
_SECRET_PAIR = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|token|access_token|api_key|apikey|sslpassword)"
    r"(\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s&;,'\"]+)"
)
_TRAILING = ".,:;!?)]}"  # punctuation after a URL in a sentence, not part of it
_QUERY_PAIR = re.compile(r"([^&=;]*)(=?)([^&;]*)([&;]?)")


def _redact_query(query: str) -> str:
    """A query string is shown as ``***``: its names as well as its values may be secrets."""
    return MASK if query else query


def _redact_netloc(netloc: str) -> str:
    """``user:password@host`` and ``token@host`` become ``***@host``."""
    _, at, host = netloc.rpartition("@")
    return f"{MASK}@{host}" if at else netloc


def _fallback(url: str) -> str:
    """For text urlsplit refuses: mask everything between ``://`` and ``@``, and after ``?``/``#``."""
    scheme, sep, rest = url.partition("://")
    authority_end = len(rest)
    for mark in "/?#":
        index = rest.find(mark)
        if index >= 0:
            authority_end = min(authority_end, index)
    authority, tail = rest[:authority_end], rest[authority_end:]
    authority = _redact_netloc(authority)
    path, question, query = tail.partition("?")
    path, hash_mark, _ = path.partition("#")
    if question:
        query, hash_query, _ = query.partition("#")
        tail = f"{path}?{_redact_query(query)}" + (f"#{MASK}" if hash_query else "")
    else:
        tail = path + (f"#{MASK}" if hash_mark else "")
    return f"{scheme}{sep}{authority}{tail}"


def redact_url(url: str) -> str:
    """``url`` without secrets: the credentials, the query string and the fragment are each
    replaced with ``***``. Text that is not a URL with ``scheme://`` comes back unchanged."""
    if "://" not in url:
        path, question, _ = url.partition("?")
        return f"{path}?{MASK}" if question else url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _fallback(url)
    if not parts.scheme:
        return url
    redacted = SplitResult(
        parts.scheme,
        _redact_netloc(parts.netloc),
        parts.path,
        _redact_query(parts.query),
        MASK if parts.fragment else "",
    )
    return urlunsplit(redacted)


def redact_dsn(dsn: str) -> str:
    """A database DSN without its password: URL form (``postgresql://u:pw@h/db``, ``redis://:pw@h``)
    or libpq keyword form (``host=h password=pw`` -> ``host=h password=***``)."""
    if "://" in dsn:
        return redact_url(dsn)
    return _SECRET_PAIR.sub(_mask_pair, dsn)


def _mask_pair(match: re.Match[str]) -> str:
    value = match[3]
    kept = value if value[:1] in "'\"" else value.rstrip(_TRAILING)
    return f"{match[1]}{match[2]}{MASK}{value[len(kept) :]}"


def _redact_match(match: re.Match[str]) -> str:
    url = match[0]
    trimmed = url.rstrip(_TRAILING)
    return redact_url(trimmed) + url[len(trimmed) :]


def redact_text(text: str) -> str:
    """``text`` with every URL in it redacted (see :func:`redact_url`) and ``password=...``,
    ``token=...`` style pairs masked."""
    if not text:
        return text
    text = _URL.sub(_redact_match, text)
    return _SECRET_PAIR.sub(_mask_pair, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message and traceback of every record (never drops one).

    Install it on handlers (a filter on a logger does not see records propagated from children).
    The traceback is rendered into ``record.exc_text`` redacted, so formatters print that version.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it for the handler to report
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            rendered = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact_text(rendered)
        return True


HIDDEN = MASK
"""The same mask, under the name the marketplace uses."""


def redact_urls(text: str) -> str:
    """Every URL inside ``text`` redacted (the marketplace's name for :func:`redact_text`)."""
    return redact_text(text)
