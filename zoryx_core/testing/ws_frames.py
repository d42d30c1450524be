"""Server-to-client WebSocket frames, encoded for writing straight to a transport.

The gateway sends two frames per bot round trip, so the per-frame cost matters for benchmarks.
aiohttp's ``send_str`` is a coroutine, which means a writer task and a task switch for every
frame; encoding the (unmasked, RFC 6455) frame here and writing it synchronously from the event
loop is cheaper and keeps frames in dispatch order. aiohttp still owns the socket for pings and
the closing handshake.
"""

from __future__ import annotations

import struct

__all__ = ["OPCODE_BINARY", "OPCODE_TEXT", "encode_frame", "frame_header"]

OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
_FIN = 0x80
_HEADER_16 = struct.Struct("!BBH").pack
_HEADER_64 = struct.Struct("!BBQ").pack


def frame_header(opcode: int, length: int) -> bytes:
    """The header of one final, unmasked frame of ``length`` payload bytes: what a server sends.
    Written just before the payload, it spares copying the payload into one frame object."""
    if length < 126:
        return bytes((_FIN | opcode, length))
    if length < 1 << 16:
        return _HEADER_16(_FIN | opcode, 126, length)
    return _HEADER_64(_FIN | opcode, 127, length)


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame: what a server sends."""
    return frame_header(opcode, len(payload)) + payload
