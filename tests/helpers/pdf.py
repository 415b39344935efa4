"""Reading the text of the PDFs rusfokus writes (fpdf2 with embedded TrueType fonts): kursusbeviser,
the nøgleperson kit. Each font's ToUnicode map turns the glyph ids back into text."""

from __future__ import annotations

import re
import zlib


def pdf_text(data: bytes) -> str:
    """The text of a PDF written by fpdf2 with embedded TrueType fonts (via each font's ToUnicode map)."""
    assert data.startswith(b"%PDF-"), "not a PDF"
    objs = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(?s)(\d+) 0 obj(.*?)endobj", data)}

    def stream(body: bytes) -> bytes:
        # the data is exactly /Length bytes: a compressed stream may itself end in a byte that looks like
        # the end-of-line before "endstream" (\r), which a pattern would cut off
        start = re.search(rb"stream(\r\n|\n)", body).end()
        length = re.search(rb"/Length (\d+)(?! \d+ R)", body)
        raw = body[start : start + int(length.group(1))] if length else body[start : body.rindex(b"endstream")]
        return zlib.decompress(raw) if b"/FlateDecode" in body else raw

    def cmap(num: int) -> dict[int, str]:
        text = stream(objs[num]).decode("latin-1")
        out = {}
        for block in re.findall(r"(?s)beginbfchar(.*?)endbfchar", text):
            for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                out[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
        return out

    fonts = {}
    for body in objs.values():
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            m = re.search(rb"/ToUnicode (\d+) 0 R", objs.get(int(ref), b""))
            if m:
                fonts[name.decode()] = cmap(int(m.group(1)))
    string = rb"\((?:\\.|[^\\)])*\)"
    ops = re.compile(rb"/(F\d+) [\d.]+ Tf|\[((?:" + string + rb"|[^\]()])*)\]\s*TJ|(" + string + rb")\s*Tj|(ET)", re.S)
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def unescape(m):
        g = m.group(1)
        return bytes([int(g, 8) & 0xFF]) if g[:1].isdigit() else escapes.get(g, g)

    out = []
    for body in objs.values():
        if b"stream" not in body or b"BT" not in (content := stream(body)):
            continue
        font: dict[int, str] = {}
        for op in ops.finditer(content):
            if op.group(1):
                font = fonts.get(op.group(1).decode(), {})
            elif op.group(4):
                out.append("\n")
            else:
                strings = re.findall(string, op.group(2)) if op.group(2) is not None else [op.group(3)]
                for s in strings:
                    raw = re.sub(rb"\\([0-7]{1,3}|.)", unescape, s[1:-1], flags=re.S)
                    out.append(
                        "".join(font.get(int.from_bytes(raw[i : i + 2], "big"), "?") for i in range(0, len(raw) - 1, 2))
                    )
    return re.sub(r"[ \t\xa0]+", " ", "".join(out))
