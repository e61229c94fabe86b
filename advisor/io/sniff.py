"""Detect a data file's format, compression, encoding and delimiter.

Everything here looks at the first bytes of the file only (a few KB, more for
very wide files), so it is cheap on any file size. Problems a user can fix
(missing path, empty or binary file, broken gzip) raise ``InputError``.
"""

from __future__ import annotations

import csv
import gzip
import re
import struct
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from advisor.errors import InputError

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
# Gzipped CSV typically compresses 3-10x; used when the gzip trailer is unreliable.
GZIP_TYPICAL_RATIO = 5
PARQUET_EXTENSIONS = (".parquet", ".pq")

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
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
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
            "or a folder with one subfolder of images per class"
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
    if not head.strip():
        what = "empty after decompression" if compression else "empty (only blank lines)"
        raise InputError(f"{name} is {what}: export the table again with a header row and data")
    encoding, text = _decode(head, at_eof)
    if "\x00" in text:
        raise InputError(
            f"{name} is a binary file (it contains NUL bytes), not a text table: export it as CSV or Parquet"
        )
    delimiter = _sniff_delimiter(text, at_eof)
    lines = text.splitlines() or [text]
    return Sniffed(
        path=p,
        format="tsv" if delimiter == "\t" else "csv",
        size_bytes=size,
        compression=compression,
        encoding=encoding,
        delimiter=delimiter,
        header=next(csv.reader([lines[0]], delimiter=delimiter or NO_DELIMITER), []),
        decimal_point=_sniff_decimal(lines, delimiter),
        max_line_bytes=max(len(line.encode("utf-8", "replace")) for line in lines),
        text_bytes=_gzip_size_estimate(p, size) if compression else size,
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


def _sniff_delimiter(text: str, at_eof: bool) -> str | None:
    """The candidate whose per-line count matches the header's on most lines (None if none)."""
    lines = [ln for ln in _QUOTED.sub('""', text).splitlines() if ln.strip()]
    if not at_eof and len(lines) > 1:
        lines = lines[:-1]  # the last line of a head is usually cut
    lines = lines[:MAX_SNIFF_LINES]
    header, rows = lines[0], lines[1:]
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for order, delim in enumerate(DELIMITERS):
        n_header = header.count(delim)
        if n_header == 0:
            continue
        agreement = sum(row.count(delim) == n_header for row in rows) / len(rows) if rows else 1.0
        if agreement < MIN_DELIMITER_AGREEMENT:
            continue
        score = (agreement, n_header, -order)
        if best is None or score > best:
            best, chosen = score, delim
    return chosen


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


def _gzip_size_estimate(path: Path, size: int) -> int:
    """Uncompressed size from the gzip trailer (mod 2**32), never below a typical ratio."""
    try:
        with open(path, "rb") as fh:
            fh.seek(-4, 2)
            (isize,) = struct.unpack("<I", fh.read(4))
    except OSError:
        isize = 0
    return max(isize, size * GZIP_TYPICAL_RATIO)


def _one_line(exc: BaseException, limit: int = 160) -> str:
    """An exception's message on one short line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
