"""Small valid images for building worlds: emojis, stickers, server icons and banners."""

from __future__ import annotations

import struct
import zlib

__all__ = ["sample_gif", "sample_png"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def sample_png(seed: int = 0, size: int = 4) -> bytes:
    """A ``size`` x ``size`` RGB PNG whose colour (and so bytes) depend on ``seed``."""
    r, g, b = (seed * 47) % 256, (seed * 91 + 31) % 256, (seed * 13 + 200) % 256
    row = b"\x00" + bytes((r, g, b)) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * size))
        + _chunk(b"IEND", b"")
    )


def sample_gif(seed: int = 0) -> bytes:
    """A 1 x 1 GIF (the kind Discord takes for animated emojis) whose colour depends on ``seed``."""
    r, g, b = (seed * 47) % 256, (seed * 91 + 31) % 256, (seed * 13 + 200) % 256
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
        + bytes((r, g, b))
        + b"\x00\x00\x00"
        + b"!\xf9\x04\x00\x00\x00\x00\x00"
        + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
