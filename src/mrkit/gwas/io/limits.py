"""Bounds on what a reader holds, whatever the input, enforced while the text streams in.

A line longer than ``line_bytes`` (1 MiB), a header wider than ``columns`` (10,000) or a small table
(harmonised, multivariable) larger than ``table_bytes`` (16 MiB once decompressed: about 140,000
instruments; read whole, such a table takes about 18 times its size in memory) is refused with one line
naming the file and the line (:class:`ReadLimits`). The check runs on the chunks of text as they are read or
decompressed (:class:`LineGuard`), before a line is held whole: a gzip bomb of 1 MB that inflates to one
1 GB line is refused after its first megabyte, and a file whose line ends were lost after the first
megabyte of its first line.
"""
from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError

#: Bytes read at a time by the bounded readers.
CHUNK = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """What a reader holds at most, whatever the input; enforced while the text streams in.

    ``line_bytes``: the longest line (the header included), in bytes without its line end. Summary
    statistics lines hold a few hundred bytes; a longer line is a damaged file (line ends lost) or not a
    table at all. ``columns``: the widest header. ``table_bytes``: the decompressed size of the small
    tables read whole (harmonised and multivariable tables: one row per instrument); a GWAS is streamed and
    has no such limit (its memory is that of the rows kept).
    """

    line_bytes: int = 1 << 20
    columns: int = 10_000
    table_bytes: int = 16 << 20

    def describe(self) -> str:
        """The limits in one line, for help texts and the README."""
        return (f"a line (the header included) of at most {_size(self.line_bytes)}, a header of at most "
                f"{self.columns:,} columns, a harmonised or multivariable table of at most "
                f"{_size(self.table_bytes)} once decompressed")


DEFAULT_LIMITS = ReadLimits()


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n:,} bytes"


class LongLine(Exception):
    """Raised by :class:`LineGuard`: a line longer than the limit starts at byte ``offset`` of the text."""

    def __init__(self, offset: int, length: int, limit: int):
        super().__init__(offset, length, limit)
        self.offset, self.length, self.limit = offset, length, limit


class TooLarge(Exception):
    """Raised by :class:`LineGuard`: the text is longer than its ``total`` limit."""


class LineGuard:
    """Checks text chunk by chunk, as it streams: no line longer than ``limit`` bytes (line ends LF, CRLF or
    CR), and, when ``total`` is given, no more than ``total`` bytes in all.

    Cost: a few ``bytes.find`` per chunk, whatever its lines (every aligned block of ``limit // 2`` bytes
    must hold a line end; only a block without one is measured exactly), so it can watch a 16-million-row
    GWAS as it is decompressed.
    """

    def __init__(self, limit: int, total: int | None = None):
        self.limit, self.total = limit, total
        self.offset = 0  # bytes seen before the current chunk
        self.current = 0  # length of the line still open at the end of what was seen

    def feed(self, chunk: bytes) -> None:
        """Check the next chunk; raises :class:`LongLine` or :class:`TooLarge`."""
        n, limit = len(chunk), self.limit
        if self.total is not None and self.offset + n > self.total:
            raise TooLarge(self.total)
        first = _find_break(chunk, 0, n)
        if first < 0:  # the open line goes on
            if self.current + n > limit:
                raise LongLine(self.offset - self.current, self.current + n, limit)
            self.current += n
            self.offset += n
            return
        if self.current + first > limit:
            raise LongLine(self.offset - self.current, self.current + first, limit)
        last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        # a line wholly inside (first, last) longer than limit holds a whole block of `step` bytes
        step = max(1, (limit + 1) // 2)
        for block in range(first + 1, last - step + 1, step):
            if _find_break(chunk, block, block + step) < 0:
                left = max(chunk.rfind(b"\n", 0, block), chunk.rfind(b"\r", 0, block))
                right = _find_break(chunk, block + step, n)
                if right - left - 1 > limit:
                    raise LongLine(self.offset + left + 1, right - left - 1, limit)
        self.current = n - last - 1
        if self.current > limit:
            raise LongLine(self.offset + last + 1, self.current, limit)
        self.offset += n


def _find_break(data: bytes, start: int, end: int) -> int:
    """Position of the first LF or CR in ``data[start:end]``, or -1."""
    lf, cr = data.find(b"\n", start, end), data.find(b"\r", start, end)
    return lf if cr < 0 else cr if lf < 0 else min(lf, cr)


def open_binary(path: Path, compression: str | None):
    """The file's bytes, decompressed when it is gzip."""
    return gzip.open(path, "rb") if compression == "gzip" else open(path, "rb")


def line_number_at(path: Path, compression: str | None, offset: int) -> int:
    """The 1-based physical line holding byte ``offset`` of the (decompressed) text; reads up to there."""
    breaks, seen, previous_cr = 0, 0, False
    with open_binary(path, compression) as fh:
        while seen < offset and (chunk := fh.read(min(CHUNK, offset - seen))):
            breaks += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
            breaks -= previous_cr and chunk.startswith(b"\n")
            previous_cr = chunk.endswith(b"\r")
            seen += len(chunk)
    return breaks + 1


def refusal(exc: LongLine | TooLarge, path: Path, compression: str | None) -> InputError:
    """The one-line refusal of a line or a table over its limit (:class:`LineGuard`)."""
    if isinstance(exc, TooLarge):
        return InputError(f"larger than {_size(exc.args[0])} once decompressed: a harmonised or multivariable "
                          f"table holds one row per instrument (ReadLimits.table_bytes)", file=str(path))
    return InputError(f"line longer than {_size(exc.limit)} ({'at least ' if exc.length > exc.limit else ''}"
                      f"{exc.length:,} bytes without a line end): its line ends were lost, or it is not a "
                      f"summary-statistics table (ReadLimits.line_bytes)",
                      file=str(path), line=line_number_at(path, compression, exc.offset))


def bounded_lines(path: Path, compression: str | None, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[bytes]:
    """The physical lines of a file without their ends (LF, CRLF or CR), none held longer than
    ``limits.line_bytes``: a longer one is refused (:func:`refusal`) after at most that many bytes of it."""
    guard = LineGuard(limits.line_bytes)
    splitter = re.compile(rb"\r\n|\r|\n")
    with open_binary(path, compression) as fh:
        pending = b""
        while chunk := fh.read(CHUNK):
            try:
                guard.feed(chunk)
            except LongLine as exc:
                raise refusal(exc, path, compression) from None
            text = pending + chunk
            cut = len(text) - 1 if text.endswith(b"\r") else len(text)  # a CR may be the half of a CRLF
            lines = splitter.split(text[:cut])
            pending = lines.pop() + text[cut:]
            yield from lines
        if pending.endswith(b"\r"):
            pending = pending[:-1]
            yield pending
        elif pending:
            yield pending


def read_bounded(path: Path, compression: str | None, limits: ReadLimits = DEFAULT_LIMITS) -> bytes:
    """The whole (decompressed) text of a small table, refused past ``limits.table_bytes`` or at a line
    longer than ``limits.line_bytes``, before more than that is held."""
    guard, parts = LineGuard(limits.line_bytes, limits.table_bytes), []
    with open_binary(path, compression) as fh:
        while chunk := fh.read(CHUNK):
            try:
                guard.feed(chunk)
            except (LongLine, TooLarge) as exc:
                raise refusal(exc, path, compression) from None
            parts.append(chunk)
    return b"".join(parts)
