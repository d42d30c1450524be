"""JSON for the emulator's answers, gateway frames and request bodies: orjson when installed, else the stdlib.

discord.py decodes with orjson when it is installed (its ``speed`` extra), so installing it
speeds up both ends alike; the emulator never requires it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["USING_ORJSON", "dumps", "loads"]

dumps: Callable[[Any], bytes]
loads: Callable[[bytes | bytearray | str], Any]

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    USING_ORJSON = False
    _encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def dumps(obj: Any) -> bytes:
        """Compact JSON as UTF-8 bytes."""
        return _encode(obj).encode()

    loads = json.loads

else:  # pragma: no cover - depends on the environment
    USING_ORJSON = True
    _orjson_dumps = orjson.dumps

    def dumps(obj: Any) -> bytes:
        """Compact JSON as UTF-8 bytes, exactly as long as the text.

        orjson hands back its working buffer (at least 4 KiB, 8 KiB for a message event); the
        emulator keeps many of its outputs (the resume buffer, the request log), which made its
        memory grow by ~29 KB per ``!ping`` round trip instead of ~6.5 KB, page faults included.
        The copy costs ~0.2 µs.
        """
        return memoryview(_orjson_dumps(obj)).tobytes()

    def loads(raw: bytes | bytearray | str) -> Any:
        """Parses JSON; what orjson refuses (NaN, integers past 64 bits, lone surrogates) goes
        to the stdlib, so both accept and refuse exactly the same documents."""
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return json.loads(raw)
