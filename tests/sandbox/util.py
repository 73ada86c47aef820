"""Helpers for the sandbox's tests."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from telegram import Bot

from bot.sandbox import SandboxServer


def png(width: int, height: int) -> bytes:
    """A real (grey) PNG image of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int) -> bytes:
    """A real JPEG image of the given size (Pillow)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def make_bot(server: SandboxServer) -> Bot:
    return Bot(
        server.config.token,
        base_url=server.bot_base_url,
        base_file_url=server.bot_base_file_url,
    )
