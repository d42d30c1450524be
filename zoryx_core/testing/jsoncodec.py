"""JSON encoding for the emulator's answers and gateway frames: orjson when installed, else the stdlib.

discord.py decodes with orjson when it is installed (its ``speed`` extra), so installing it
speeds up both ends alike; the emulator never requires it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["USING_ORJSON", "dumps"]

dumps: Callable[[Any], bytes]

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    USING_ORJSON = False
    _encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def dumps(obj: Any) -> bytes:
        """Compact JSON as UTF-8 bytes."""
        return _encode(obj).encode()

else:  # pragma: no cover - depends on the environment
    USING_ORJSON = True
    dumps = orjson.dumps
