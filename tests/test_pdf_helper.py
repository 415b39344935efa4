"""The tests' PDF reader (helpers.pdf) reads a stream by its /Length, as a PDF reader must."""

from __future__ import annotations

import zlib

from helpers.pdf import pdf_text


def _ending_in_cr(prefix: bytes) -> tuple[bytes, bytes]:
    """Content whose compressed form ends in a carriage return (the last byte of zlib's checksum)."""
    for n in range(100_000):
        content = prefix + b"%% " + str(n).encode() + b"\n"
        packed = zlib.compress(content)
        if packed.endswith(b"\r"):
            return content, packed
    raise AssertionError("no such content")


def _pdf(objects: list[bytes]) -> bytes:
    out = b"%PDF-1.3\n"
    for i, body in enumerate(objects, start=1):
        out += str(i).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    return out + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _stream(data: bytes, compressed: bool) -> bytes:
    head = b"<<" + (b"/Filter /FlateDecode " if compressed else b"") + b"/Length " + str(len(data)).encode() + b">>"
    return head + b"\nstream\n" + data + b"\nendstream"


def test_a_compressed_stream_that_ends_in_a_carriage_return_is_read_whole():
    cmap = b"beginbfchar\n<0001> <0048>\n<0002> <0069>\nendbfchar\n"
    _, packed = _ending_in_cr(b"BT /F1 12 Tf (\\000\\001\\000\\002) Tj ET\n")
    pdf = _pdf(
        [
            b"<< /Type /Font /F1 2 0 R >>",
            b"<< /Type /Font /Subtype /Type0 /ToUnicode 3 0 R >>",
            _stream(cmap, compressed=False),
            _stream(packed, compressed=True),
        ]
    )
    assert pdf_text(pdf).strip() == "Hi"
