"""Detect a data file's format, compression, encoding and delimiter.

Everything here looks at the first bytes of the file only (a few KB, more for
very wide files), so it is cheap on any file size. The one exception is a gzip
file whose trailer cannot give its uncompressed size: that is counted by
decompressing (``advisor.io.gzsize``), so the memory limit holds. Problems a user can fix
(missing path, empty or binary file, broken gzip) raise ``InputError``.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from advisor.errors import InputError
from advisor.io.gzsize import gzip_text_bytes

HEAD_BYTES = 64 * 1024  # how much text the sniffer looks at
MAX_HEAD_BYTES = 32 * 1024 * 1024  # read further (wide files) until a few full lines are in the head
MIN_HEAD_LINES = 3
MAX_SNIFF_LINES = 200
DELIMITERS = (",", "\t", ";", "|")
# Parse single-column files with a character that never occurs in text, so an
# unquoted comma inside a value does not split it.
NO_DELIMITER = "\x1f"
# A delimiter is accepted when at least this share of the sniffed rows has the
# header's field count; ragged files still sniff correctly below 100%.
MIN_DELIMITER_AGREEMENT = 0.5
MAX_PREAMBLE_LINES = 20  # title or comment lines looked for above a header
MIN_TABLE_AGREEMENT = 0.9  # share of rows that must split like the header below a preamble
MIN_TABLE_ROWS = 2
CLIP_CHARS = 60  # longest header or value quoted in a message
PARQUET_EXTENSIONS = (".parquet", ".pq")
# The csv module refuses fields over 128 KB by default; a 200 KB column name is
# legal. Nothing here parses more than the head, so its size bounds every field.
csv.field_size_limit(max(csv.field_size_limit(), 2 * MAX_HEAD_BYTES))

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
# Formats people pass by mistake: magic bytes -> what it is.
BINARY_MAGIC: dict[bytes, str] = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive (or an Excel .xlsx workbook)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (OLE) file",
    b"BZh": "a bzip2 archive",
    b"\xfd7zXZ": "an xz archive",
    b"7z\xbc\xaf": "a 7-zip archive",
    b"\x28\xb5\x2f\xfd": "a zstd archive",
    b"ARROW1": "an Arrow/Feather file",
    b"SQLite format 3": "an SQLite database",
}
BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),  # before UTF-16: it starts with the UTF-16 LE BOM
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Text documents people pass by mistake: start of the head (lower case) -> what it is.
MARKUP: tuple[tuple[str, str], ...] = (
    ("<?xml", "an XML document"),
    ("<!doctype html", "an HTML page"),
    ("<html", "an HTML page"),
    ("<!doctype", "an XML or HTML document"),
    ("{\\rtf", "an RTF document"),
)
_JSON_START = re.compile(r'[\[{]\s*(?:["{\[]|$)')  # {" [{ [[ [" or a lone bracket (pretty-printed)
_MARKDOWN_RULE = re.compile(r"^\s*\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?\s*)?$")  # |---|:--:|
_PROSE = re.compile(r"[\s:]")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$")
_DOT_DECIMAL = re.compile(r"^-?\d+\.\d+$")


@dataclass
class Sniffed:
    """What a file is and how to parse it."""

    path: Path
    format: str  # "csv" | "tsv" | "parquet"
    size_bytes: int
    compression: str | None = None  # "gzip" or None
    encoding: str | None = None  # Python codec name; None for Parquet
    delimiter: str | None = None  # None: one column (no candidate splits the lines consistently)
    header: list[str] = field(default_factory=list)  # raw column names, as the parser will see them
    decimal_point: str = "."
    max_line_bytes: int = 0  # longest line in the head, to size parser blocks
    text_bytes: int = 0  # (estimated) uncompressed size of the text


def sniff(path: str | Path) -> Sniffed:
    """Inspect ``path``; raise ``InputError`` when it cannot be a table."""
    p = Path(path)
    name = p.name or str(p)
    if not p.exists():
        raise InputError(f"{p} does not exist: check the path and try again")
    if p.is_dir():
        raise InputError(
            f"{name} is a directory, not a table or an image folder: pass a CSV, TSV or Parquet file, "
            "a folder of CSV or Parquet shards, or a folder with one subfolder of images per class"
        )
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            magic = fh.read(16)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}; check the file's permissions") from exc
    if size == 0:
        raise InputError(f"{name} is empty (0 bytes): export the table again with a header row and data")
    if magic.startswith(PARQUET_MAGIC) or p.suffix.lower() in PARQUET_EXTENSIONS:
        if not magic.startswith(PARQUET_MAGIC):
            raise InputError(
                f"{name} is not a valid Parquet file (no PAR1 header): re-export it as Parquet or CSV"
            )
        return Sniffed(p, "parquet", size)
    for prefix, what in BINARY_MAGIC.items():
        if magic.startswith(prefix):
            raise InputError(f"{name} is {what}, not a table: export the data as CSV, TSV or Parquet")

    compression = "gzip" if magic.startswith(GZIP_MAGIC) else None
    head, at_eof = _read_head(p, compression)
    if compression:
        _check_inner_format(name, head)
    encoding, text = _decode(head, at_eof)
    if not text.lstrip("\ufeff").strip():  # a BOM alone is empty too
        what = "empty after decompression" if compression else "empty (only blank lines)"
        raise InputError(f"{name} is {what}: export the table again with a header row and data")
    if "\x00" in text:
        raise InputError(
            f"{name} is a binary file (it contains NUL bytes), not a text table: export it as CSV or Parquet"
        )
    _check_text_format(name, text)
    sniff_lines = _sniff_lines(text, at_eof)
    delimiter = _choose_delimiter(sniff_lines)
    if delimiter is None:
        _check_unsplit(name, text, sniff_lines)
    lines = text.splitlines() or [text]
    # The parser skips empty lines, so the header is the first non-empty one.
    first = next((line for line in lines if line), "")
    return Sniffed(
        path=p,
        format="tsv" if delimiter == "\t" else "csv",
        size_bytes=size,
        compression=compression,
        encoding=encoding,
        delimiter=delimiter,
        header=next(csv.reader([first], delimiter=delimiter or NO_DELIMITER), []),
        decimal_point=_sniff_decimal(lines, delimiter),
        max_line_bytes=max(len(line.encode("utf-8", "replace")) for line in lines),
        text_bytes=gzip_text_bytes(p, size) if compression else size,
    )


def open_binary(path: Path, compression: str | None) -> BinaryIO:
    """The file's (decompressed) bytes as a stream."""
    return gzip.open(path, "rb") if compression == "gzip" else open(path, "rb")  # type: ignore[return-value]


def _read_head(path: Path, compression: str | None) -> tuple[bytes, bool]:
    """The first HEAD_BYTES of text (more if needed for a few whole lines) and whether that is all."""
    chunks: list[bytes] = []
    total = 0
    try:
        with open_binary(path, compression) as fh:
            want = HEAD_BYTES
            while total < MAX_HEAD_BYTES:
                chunk = fh.read(want)
                if not chunk:
                    return b"".join(chunks), True
                chunks.append(chunk)
                total += len(chunk)
                if b"".join(chunks).count(b"\n") >= MIN_HEAD_LINES:
                    break
                want = total  # double the head until whole lines fit
    except (EOFError, OSError, zlib.error) as exc:
        if compression:
            raise InputError(
                f"the gzip file is truncated or corrupt: {path.name} ({_one_line(exc)}); download or compress it again"
            ) from exc
        raise InputError(f"cannot read {path.name}: {_one_line(exc)}") from exc
    return b"".join(chunks), False


def _decode(head: bytes, at_eof: bool) -> tuple[str, str]:
    """Pick the encoding: BOM, else UTF-8, else cp1252 (latin-1 if cp1252 cannot decode)."""
    for bom, codec in BOMS:
        if head.startswith(bom):
            return codec, head.decode(codec, errors="replace")
    codec = _bomless_utf16(head)
    if codec:
        return codec, head.decode(codec, errors="replace")
    try:
        return "utf-8", head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the head is not an error.
        if not at_eof and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8", head[: exc.start].decode("utf-8", errors="replace")
    text = head.decode("utf-8", errors="replace")
    # Valid multi-byte UTF-8 next to invalid bytes: a UTF-8 file with a few
    # legacy bytes. Read as UTF-8; the reader repairs the bad values per cell.
    if any(ord(ch) > 127 and ch != "\ufffd" for ch in text):
        return "utf-8", text
    for codec in ("cp1252", "latin-1"):
        try:
            return codec, head.decode(codec)
        except UnicodeDecodeError:
            continue
    return "latin-1", head.decode("latin-1")  # pragma: no cover - latin-1 decodes any bytes


def _bomless_utf16(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for UTF-16 text without a BOM: NUL in every other byte of ASCII-range text."""
    sample = head[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 4:
        return None
    for codec, zeros, chars in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= 0.7 * len(zeros) and chars.count(0) <= 0.05 * len(chars):
            text = sample[: len(sample) // 2 * 2].decode(codec, errors="replace")
            if sum(ch.isprintable() or ch in "\t\r\n" for ch in text) >= 0.95 * len(text):
                return codec
    return None


def _check_inner_format(name: str, head: bytes) -> None:
    """Refuse a gzip file whose content is not text: compressed twice, Parquet, an image..."""
    if head.startswith(GZIP_MAGIC):
        raise InputError(f"{name} is gzip-compressed twice: decompress it once (gunzip) and try again")
    if head.startswith(PARQUET_MAGIC):
        raise InputError(
            f"{name} is a gzip-compressed Parquet file: decompress it (gunzip) and pass the .parquet file"
        )
    for prefix, what in BINARY_MAGIC.items():
        if head.startswith(prefix):
            raise InputError(
                f"{name} is {what} compressed with gzip, not a table: export the data as CSV, TSV or Parquet"
            )


def _check_text_format(name: str, text: str) -> None:
    """Refuse text that is not a delimited table: markup, JSON, a Markdown table."""
    start = text.lstrip("\ufeff \t\r\n")
    lowered = start[:16].lower()
    for prefix, what in MARKUP:
        if lowered.startswith(prefix):
            raise InputError(f"{name} is {what}, not a table: export the data as CSV, TSV or Parquet")
    kind = _json_kind(start)
    if kind:
        lines_arg = ", lines=True" if kind == "JSON Lines" else ""
        raise InputError(
            f"{name} looks like {kind}, not a table: convert it to CSV or Parquet "
            f"(e.g. pandas.read_json(path{lines_arg}).to_csv('data.csv', index=False))"
        )
    lines = [line for line in start.split("\n", 3)[:3] if line.strip()]
    if len(lines) >= 2 and "|" in lines[0] and _MARKDOWN_RULE.match(lines[1]):
        raise InputError(
            f"{name} looks like a Markdown table (a |---| line under the header), not a CSV: "
            "export the data as CSV, or delete the |---| line and the outer | of every line"
        )


def _json_kind(start: str) -> str | None:
    """'JSON Lines' or 'JSON' when text (stripped of leading space) looks like it, else None."""
    if not start.startswith(("{", "[")):
        return None
    first = start.split("\n", 1)[0].strip()
    if first.startswith("{") and first.endswith("}") and "\n" in start.strip():
        try:
            if isinstance(json.loads(first), dict):
                return "JSON Lines"
        except ValueError:
            pass
    return "JSON" if _JSON_START.match(first) else None


def _sniff_lines(text: str, at_eof: bool) -> list[str]:
    """The head's non-blank lines, quoted values blanked, without a cut last line."""
    lines = [ln for ln in _QUOTED.sub('""', text).splitlines() if ln.strip()]
    if not at_eof and len(lines) > 1:
        lines = lines[:-1]  # the last line of a head is usually cut
    return lines[:MAX_SNIFF_LINES]


def _choose_delimiter(lines: list[str], min_agreement: float = MIN_DELIMITER_AGREEMENT) -> str | None:
    """The candidate whose per-line count matches the header's on most lines (None if none)."""
    if not lines:
        return None
    header, rows = lines[0], lines[1:]
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for order, delim in enumerate(DELIMITERS):
        n_header = header.count(delim)
        if n_header == 0:
            continue
        agreement = sum(row.count(delim) == n_header for row in rows) / len(rows) if rows else 1.0
        if agreement < min_agreement:
            continue
        score = (agreement, n_header, -order)
        if best is None or score > best:
            best, chosen = score, delim
    return chosen


def _check_unsplit(name: str, text: str, lines: list[str]) -> None:
    """Refuse a head no delimiter splits when the cause is clear: lines above the header, or spaces."""
    n = _preamble_length(lines)
    spaces = not n and _space_delimited(lines)
    if not (n or spaces):
        return
    # Quote the lines as written: ``lines`` has its quoted values blanked.
    raw = [line for line in text.splitlines() if line.strip()]
    if n:
        raise InputError(
            f"{name} has {n} title or comment line(s) above its header row (the first is {_quoted(raw[0])}): "
            f"delete them so that the header {_quoted(raw[n])} is the first line, then try again"
        )
    raise InputError(
        f"{name} looks space-delimited (header {_quoted(raw[0])}): "
        "re-export it with commas, tabs, semicolons or pipes between the values"
    )


def _preamble_length(lines: list[str]) -> int:
    """How many leading '#' comment or title lines sit above a well-split table (0: none).

    A title has no delimiter and reads like prose (a space or a colon), so the
    one-word header of a one-column file whose values hold commas is not one.
    """
    for n in range(1, min(MAX_PREAMBLE_LINES, len(lines) - MIN_TABLE_ROWS) + 1):
        above = lines[n - 1].strip()
        title = not any(d in above for d in DELIMITERS) and _PROSE.search(above)
        if not (above.startswith("#") or title):
            return 0
        if not lines[n].lstrip().startswith("#") and _choose_delimiter(lines[n:], MIN_TABLE_AGREEMENT):
            return n
    return 0


def _space_delimited(lines: list[str]) -> bool:
    """Three or more space-separated fields on the header and on nearly every row."""
    n_fields = len(lines[0].split())
    rows = lines[1:]
    if n_fields < 3 or len(rows) < MIN_TABLE_ROWS:
        return False
    return sum(len(row.split()) == n_fields for row in rows) >= MIN_TABLE_AGREEMENT * len(rows)


def _sniff_decimal(lines: list[str], delimiter: str | None) -> str:
    """',' when numbers in a non-comma file are written like 1,5 and never like 1.5."""
    if delimiter in (",", None):
        return "."
    counts: Counter[str] = Counter()
    for line in lines[1:MAX_SNIFF_LINES]:
        for token in line.split(delimiter):
            token = token.strip()
            if _COMMA_DECIMAL.match(token):
                counts[","] += 1
            elif _DOT_DECIMAL.match(token):
                counts["."] += 1
    return "," if counts[","] and not counts["."] else "."


def clip(text: str, limit: int = CLIP_CHARS) -> str:
    """``text`` cut to ``limit`` characters, so a huge header or cell cannot flood a one-line message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str, limit: int = CLIP_CHARS) -> str:
    """``text`` quoted for a one-line message: line breaks escaped, clipped."""
    return "'" + clip(text.replace("\r", "\\r").replace("\n", "\\n"), limit) + "'"


def _one_line(exc: BaseException, limit: int = 160) -> str:
    """An exception's message on one short line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
