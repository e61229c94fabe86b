"""How much text a gzip file holds, without trusting its trailer blindly.

The trailer gives the last member's size modulo 2**32; multi-member files
(bgzip, ``cat a.gz b.gz``) and text over 4 GiB make it lie, and a lie there
would load a huge file whole instead of streaming it.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

# Gzipped CSV typically compresses 3-10x; a floor for the size the gzip trailer gives.
GZIP_TYPICAL_RATIO = 5
GZIP_WBITS = 47  # zlib: a gzip (or zlib) header, one member per decompressor
GZIP_PROBE_BYTES = 1024 * 1024  # text decompressed to measure the file's compression ratio
GZIP_COUNT_LIMIT = 512 * 1024 * 1024  # text counted when the trailer is implausible; extrapolated beyond
# The trailer is trusted when it is at least this fraction of the size the head's
# ratio implies; above 1/2 so that two equal gzip members are caught.
GZIP_TRAILER_MIN_SHARE = 0.66
INFLATE_CHUNK = 64 * 1024


def gzip_text_bytes(path: Path, size: int) -> int:
    """Uncompressed size: the gzip trailer when it is plausible, else counted by decompressing.

    The trailer holds the size of the last member only, modulo 2**32, so it
    understates multi-member files (bgzip, ``cat a.gz b.gz``) and text over
    4 GiB. It is trusted when it fits the compression ratio of the first MB of
    text; otherwise the text is counted up to GZIP_COUNT_LIMIT and the rest
    extrapolated, so a big file is never mistaken for a small one.
    """
    isize = trailer_size(path)
    used, produced, complete = inflate_count(path, GZIP_PROBE_BYTES)
    if complete:
        return produced
    ratio = produced / max(used, 1)
    if isize >= size and isize >= GZIP_TRAILER_MIN_SHARE * ratio * size:
        return max(isize, size * GZIP_TYPICAL_RATIO)
    used, produced, complete = inflate_count(path, GZIP_COUNT_LIMIT)
    if complete:
        return produced
    return max(produced, int(produced / max(used, 1) * size), size * GZIP_TYPICAL_RATIO)


def trailer_size(path: Path) -> int:
    """ISIZE from the gzip trailer: the last member's size modulo 2**32 (0 if unreadable)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(-4, 2)
            (isize,) = struct.unpack("<I", fh.read(4))
    except (OSError, struct.error):
        return 0
    return isize


def inflate_count(path: Path, stop_after: int) -> tuple[int, int, bool]:
    """Decompress every gzip member, keeping nothing, until ``stop_after`` bytes came out.

    Returns (compressed bytes used, bytes produced, whether the whole file was
    read). A corrupt stream ends the count; the reader reports it later.
    """
    inflater = zlib.decompressobj(GZIP_WBITS)
    read = produced = 0
    pending = b""
    with open(path, "rb") as fh:
        while produced < stop_after:
            if not pending:
                pending = fh.read(INFLATE_CHUNK)
                read += len(pending)
                if not pending:
                    return read, produced, True
            try:
                produced += len(inflater.decompress(pending, INFLATE_CHUNK * 4))
            except zlib.error:
                return read, produced, True
            if inflater.eof:  # next member (gzip allows zero padding after the last one)
                pending = inflater.unused_data.lstrip(b"\x00")
                inflater = zlib.decompressobj(GZIP_WBITS)
            else:
                pending = inflater.unconsumed_tail
    return read - len(pending), produced, False
