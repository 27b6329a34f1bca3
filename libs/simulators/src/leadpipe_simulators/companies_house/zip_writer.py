"""A single-member ZIP archive written from independently deflated chunks.

Deflating 2.9 GB in one thread takes longer than generating it on two cores, so worker
processes compress their chunks themselves (raw deflate ending in a sync flush, like pigz)
and this writer concatenates them, finishes the deflate stream with an empty final block, and
combines the chunks' CRC-32s. The result is an ordinary ZIP that ``zipfile`` and ``unzip`` read.
"""

from __future__ import annotations

import struct
import time
import zlib
from typing import BinaryIO, Final

_FINAL_BLOCK: Final = b"\x03\x00"  # an empty fixed-Huffman block with BFINAL set
_ZIP64_LIMIT: Final = 0xFFFFFFFF


def _gf2_times(matrix: list[int], vector: int) -> int:
    total = 0
    i = 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A+B from crc(A), crc(B) and len(B) (zlib's algorithm; absent from Python)."""
    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def deflate_chunk(data: bytes, level: int) -> bytes:
    """Raw deflate of one chunk, ending on a byte boundary so chunks can be concatenated."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _dos_time(moment: float) -> tuple[int, int]:
    t = time.localtime(moment)
    dos_time = (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2)
    dos_date = ((max(t.tm_year, 1980) - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    return dos_time, dos_date


class DeflatedMemberWriter:
    """Writes one deflated member to a seekable binary file, chunk by chunk."""

    def __init__(self, out: BinaryIO, name: str, *, zip64: bool) -> None:
        self._out = out
        self._name = name.encode()
        self._zip64 = zip64
        self._crc = 0
        self._size = 0
        self._compressed = 0
        self._header_offset = out.tell()
        self._time, self._date = _dos_time(time.time())
        self._write_local_header()

    def _extra(self, usize: int, csize: int) -> bytes:
        return struct.pack("<HHQQ", 0x0001, 16, usize, csize) if self._zip64 else b""

    def _write_local_header(self) -> None:
        extra = self._extra(self._size, self._compressed)
        sizes = (_ZIP64_LIMIT, _ZIP64_LIMIT) if self._zip64 else (self._compressed, self._size)
        header = struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            45 if self._zip64 else 20,
            0,
            8,
            self._time,
            self._date,
            self._crc,
            sizes[0],
            sizes[1],
            len(self._name),
            len(extra),
        )
        self._out.write(header + self._name + extra)

    def write_chunk(self, compressed: bytes, crc: int, size: int) -> None:
        self._out.write(compressed)
        self._crc = crc32_combine(self._crc, crc, size)
        self._size += size
        self._compressed += len(compressed)

    def close(self) -> None:
        """Finish the deflate stream, patch the local header, write the central directory."""
        self._out.write(_FINAL_BLOCK)
        self._compressed += len(_FINAL_BLOCK)
        if not self._zip64 and max(self._size, self._compressed) >= _ZIP64_LIMIT:
            raise ValueError("member exceeded 4 GiB without ZIP64; enable zip64")
        end_of_data = self._out.tell()
        self._out.seek(self._header_offset)
        self._write_local_header()
        self._out.seek(end_of_data)

        central_offset = end_of_data
        if self._zip64:
            extra = struct.pack(
                "<HHQQQ", 0x0001, 24, self._size, self._compressed, self._header_offset
            )
            sizes = (_ZIP64_LIMIT, _ZIP64_LIMIT, _ZIP64_LIMIT)
        else:
            extra = b""
            sizes = (self._compressed, self._size, self._header_offset)
        central = struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            (3 << 8) | 45,
            45 if self._zip64 else 20,
            0,
            8,
            self._time,
            self._date,
            self._crc,
            sizes[0],
            sizes[1],
            len(self._name),
            len(extra),
            0,
            0,
            0,
            0o100644 << 16,
            sizes[2],
        )
        record = central + self._name + extra
        self._out.write(record)
        central_size = len(record)
        if self._zip64:
            zip64_end_offset = self._out.tell()
            self._out.write(
                struct.pack(
                    "<IQHHIIQQQQ",
                    0x06064B50,
                    44,
                    45,
                    45,
                    0,
                    0,
                    1,
                    1,
                    central_size,
                    central_offset,
                )
            )
            self._out.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_end_offset, 1))
            self._out.write(
                struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, central_size, _ZIP64_LIMIT, 0)
            )
        else:
            self._out.write(
                struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, central_size, central_offset, 0)
            )
