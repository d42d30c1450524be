"""Server-to-client WebSocket frames, encoded for writing straight to a transport.

The gateway sends two frames per bot round trip, so the per-frame cost matters for benchmarks.
aiohttp's ``send_str`` is a coroutine, which means a writer task and a task switch for every
frame; encoding the (unmasked, RFC 6455) frame here and writing it synchronously from the event
loop is cheaper and keeps frames in dispatch order. aiohttp still owns the socket for pings and
the closing handshake.
"""

from __future__ import annotations

import struct

__all__ = ["OPCODE_BINARY", "OPCODE_TEXT", "encode_frame"]

OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
_FIN = 0x80


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame: what a server sends."""
    length = len(payload)
    if length < 126:
        header = bytes((_FIN | opcode, length))
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FIN | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN | opcode, 127, length)
    return header + payload
