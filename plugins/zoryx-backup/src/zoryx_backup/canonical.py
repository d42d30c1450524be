"""The canonical form a snapshot's SHA-256 is computed over: JSON with keys sorted, no whitespace,
UTF-8 (``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``).

:func:`canonical_chunks` produces the same bytes piece by piece, so a worker thread that encodes
a large snapshot gives the event loop's thread the interpreter between pieces instead of holding
it for the whole document. Call these functions off the event loop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

__all__ = ["canonical_bytes", "canonical_chunks", "canonical_sha256"]

_SPLIT_DEPTH = 3  # containers nested deeper than this are encoded in one call
_CHUNK_BYTES = 64 * 1024


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _pieces(value: Any, depth: int) -> Iterator[str]:
    if depth >= _SPLIT_DEPTH or not isinstance(value, dict | list):
        yield _dump(value)
    elif isinstance(value, dict):
        yield "{"
        for index, key in enumerate(sorted(value)):
            if not isinstance(key, str):
                raise TypeError(f"canonical JSON keys must be strings, got {key!r}")
            yield ("," if index else "") + _dump(key) + ":"
            yield from _pieces(value[key], depth + 1)
        yield "}"
    else:
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _pieces(item, depth + 1)
        yield "]"


def canonical_chunks(value: Any) -> Iterator[bytes]:
    """The canonical UTF-8 bytes of ``value`` in pieces of about 64 KiB."""
    buffer: list[str] = []
    size = 0
    for piece in _pieces(value, 0):
        buffer.append(piece)
        size += len(piece)
        if size >= _CHUNK_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            size = 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def canonical_bytes(value: Any) -> bytes:
    """The whole canonical form at once."""
    return b"".join(canonical_chunks(value))


def canonical_sha256(value: Any) -> str:
    """The hex SHA-256 of the canonical form of ``value``."""
    digest = hashlib.sha256()
    for chunk in canonical_chunks(value):
        digest.update(chunk)
    return digest.hexdigest()
