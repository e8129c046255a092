"""Streaming, columnar reading of large delimited text tables (plain, gzip or bgzip) with pyarrow.

Summary-statistics files hold tens of millions of rows; reading them whole with pandas costs minutes
and gigabytes. Here the file is parsed in record batches by ``pyarrow.csv.open_csv`` with only the
needed columns and their types, so the caller can filter each batch (``p <= p_max``) and keep little.
Every kept row carries its 1-based physical line number, computed from the batch offset plus the
number of lines before the first data row, so errors can say ``sed -n Np`` where to look.

Malformed input is never guessed around: a truncated or corrupt gzip, a row with the wrong number of
fields or a non-numeric value in a numeric column raises :class:`~mrkit.errors.InputError` naming the
file, line and column. pyarrow does not report row numbers for such errors, so the failing batch is
re-read as text by :func:`locate_bad_row` (only ever on the error path).

The text is read (a gzip file decompressed) in a background thread that feeds the parser through a pipe, so
decompression and parsing, which cost about the same, run on two cores at once; on the way every chunk is
checked for a line longer than the limit (:mod:`.limits`), so that no block the parser holds exceeds it. An
error in that thread is raised by the reader (a line over the limit; a truncated or corrupt gzip, never a
shorter table).

References
----------
Apache Arrow CSV reader, https://arrow.apache.org/docs/python/csv.html ;
SAM/BAM format specification, section 4.1 (BGZF blocks and end-of-file marker),
https://samtools.github.io/hts-specs/SAMv1.pdf
"""
from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ...errors import InputError, shown
from .limits import LineGuard, LongLine, TooLarge, refusal
from .text import (  # noqa: F401 (the layout helpers are imported from here by the format readers)
    BGZF_EOF,
    DECIMAL_COMMA,
    GZIP_MAGIC,
    NULL_VALUES,
    TextLayout,
    first_malformed_line,
    gzip_errors,
    is_decompression_error,
    require_columns,
    sniff,
)

DEFAULT_BLOCK_SIZE = 2 << 20  # bytes of text per batch (~20k FinnGen rows): as fast as larger, far less memory


@dataclass(frozen=True)
class Batch:
    """One parsed record batch and the physical line number of its first row."""

    data: pa.RecordBatch
    first_line: int

    def lines(self) -> np.ndarray:
        return np.arange(self.first_line, self.first_line + self.data.num_rows, dtype=np.int64)


def _options(layout: TextLayout, column_types: dict[str, pa.DataType], block_size: int):
    read = pacsv.ReadOptions(column_names=list(layout.header), skip_rows=len(layout.meta_lines) + 1,
                             block_size=block_size)
    parse = pacsv.ParseOptions(delimiter=layout.delimiter, quote_char='"' if layout.quoted else False,
                               ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(include_columns=list(column_types), column_types=column_types,
                                   null_values=NULL_VALUES, strings_can_be_null=True,
                                   quoted_strings_can_be_null=True)
    return read, parse, convert


class _Pump:
    """The file's text, decompressed when it is gzip, fed by a background thread through a pipe (``reader``)
    and watched on the way by a :class:`~mrkit.gwas.io.limits.LineGuard`: a line longer than the limit stops
    the pump, and the reader raises it (:meth:`finish`) before anything else.

    The inflate is ISA-L's (python-isal, which releases the GIL): twice as fast as zlib's on summary
    statistics, so that decompression, no longer the slower half, hides behind the parser.
    """

    CHUNK = 1 << 21

    def __init__(self, layout: TextLayout, total: int | None = None):
        read_fd, write_fd = os.pipe()
        self.layout, self.total = layout, total
        self.error: BaseException | None = None
        self.reader = os.fdopen(read_fd, "rb")
        self._thread = threading.Thread(target=self._pump, args=(write_fd,), daemon=True)
        self._thread.start()

    def _open(self):
        if self.layout.compression == "gzip":
            from isal import igzip

            return igzip.open(self.layout.path, "rb")
        return open(self.layout.path, "rb")

    def _pump(self, write_fd: int) -> None:
        guard = LineGuard(self.layout.limits.line_bytes, self.total)
        with os.fdopen(write_fd, "wb", buffering=0) as out:
            try:
                with self._open() as stream:
                    while chunk := stream.read(self.CHUNK):
                        guard.feed(chunk)
                        out.write(chunk)
            except BrokenPipeError:  # the parser stopped early: nothing more is wanted
                pass
            except BaseException as exc:  # raised again by the reader (finish / close)
                self.error = exc

    def close(self) -> None:
        """Stop (closing the pipe unblocks the thread) and wait for the thread."""
        self.reader.close()
        self._thread.join()

    def finish(self) -> None:
        """After the parser saw the end of the text (or failed): raise the pump's error, if there was one (a
        line over the limit, a decompression error)."""
        self._thread.join()
        if isinstance(self.error, (LongLine, TooLarge)):
            raise refusal(self.error, self.layout.path, self.layout.compression) from None
        if self.error is not None:
            raise self.error


def _numeric(kind: pa.DataType) -> bool:
    return pa.types.is_floating(kind) or pa.types.is_integer(kind)


def _typed(batch: pa.RecordBatch, column_types: dict[str, pa.DataType]) -> pa.RecordBatch:
    """The numeric columns of a batch read as text, cast to their types (raises ArrowInvalid on text)."""
    arrays = [pc.cast(pc.utf8_trim(column, " \t"), column_types[name]) if _numeric(column_types[name]) else column
              for name, column in zip(batch.schema.names, batch.columns)]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def scan(layout: TextLayout, column_types: dict[str, pa.DataType],
         block_size: int = DEFAULT_BLOCK_SIZE, total: int | None = None) -> Iterator[Batch]:
    """Yield the typed columns ``column_types`` batch by batch, each with its first line number.

    Empty lines stay rows (all values null), so that line numbers remain physical. Numeric columns are
    parsed as text and then cast (``pyarrow.compute.cast`` after trimming spaces and tabs): the same values
    and the same refusals as the CSV reader's own conversion (``tests/test_io_formats.py`` checks), at a
    third of its cost. ``total``: refuse a text longer than this many bytes (a small table read whole).
    """
    text_types = {name: pa.string() if _numeric(kind) else kind for name, kind in column_types.items()}
    # a block holds any line within the limit: pyarrow refuses a line longer than its block
    read, parse, convert = _options(layout, text_types, max(block_size, layout.limits.line_bytes + 2))
    rows = 0
    with gzip_errors(layout.path):
        pump = _Pump(layout, total)
        source = pa.input_stream(pump.reader)
        try:
            reader = pacsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
            while True:
                try:
                    batch = _typed(reader.read_next_batch(), column_types)
                except StopIteration:
                    break
                yield Batch(batch, layout.first_data_line + rows)
                rows += batch.num_rows
            pump.finish()
        except pa.ArrowInvalid as exc:
            # a stream cut by the line guard or a decompression error can look like a bad row: those win
            pump.close()
            pump.finish()
            if is_decompression_error(exc):
                raise
            raise locate_bad_row(layout, column_types, rows, exc) from exc
        finally:
            source.close()
            pump.close()


def _parses(value: str, kind: pa.DataType) -> bool:
    if value in NULL_VALUES:
        return True
    try:
        if pa.types.is_integer(kind):
            int(value)
        elif pa.types.is_floating(kind):
            float(value)
        elif pa.types.is_boolean(kind):
            return value in ("true", "false", "True", "False", "TRUE", "FALSE", "1", "0")
    except ValueError:
        return False
    return True


def locate_bad_row(layout: TextLayout, column_types: dict[str, pa.DataType], start_row: int,
                   exc: Exception) -> InputError:
    """Find the first malformed line at or after data row ``start_row`` and describe it.

    Called only after pyarrow refused a batch; reads that part of the file as text.
    """
    checks = [(layout.header.index(name), name, kind) for name, kind in column_types.items()
              if not (pa.types.is_string(kind) or pa.types.is_large_string(kind))]

    def check(fields: list[str], lineno: int) -> InputError | None:
        for index, name, kind in checks:
            if not _parses(fields[index], kind):
                hint = " (a decimal comma? numbers need a decimal point)" if DECIMAL_COMMA.match(fields[index]) else ""
                return InputError(f"value {shown(fields[index])} is not a valid {kind} number{hint}"
                                  if not pa.types.is_boolean(kind) else
                                  f"value {shown(fields[index])} is not true/false",
                                  file=str(layout.path), line=lineno, column=name)
        return None

    return first_malformed_line(layout, start_row, check) or InputError(
        f"could not parse the file after line {layout.first_data_line + start_row - 1}: {exc}", file=str(layout.path))


def list_field(lists: pa.Array, index: int) -> pa.Array:
    """Element ``index`` of each list (null where the list is null or shorter), vectorised.

    ``pyarrow.compute.list_element`` fails on short lists; VCF allows trailing FORMAT fields to be
    omitted, so short lists must read as missing.
    """
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    offsets = lists.offsets.to_numpy()[:-1]
    take = pa.array(offsets + index, mask=lengths <= index, type=pa.int64())
    return pc.take(lists.values, take) if len(lists.values) else pa.nulls(len(lists), lists.type.value_type)


def to_float(values: pa.Array, column: str, layout: TextLayout, lines: np.ndarray,
             missing: tuple[str, ...] = (".",)) -> np.ndarray:
    """Cast text values (e.g. a field split out of a VCF sample column) to float64; locate bad ones."""
    values = pc.if_else(pc.is_in(values, pa.array(list(missing) + NULL_VALUES)), None, values)
    try:
        return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        parsed = np.array([v is None or _parses(v, pa.float64()) for v in values.to_pylist()])
        bad = int(np.flatnonzero(~parsed)[0])
        raise InputError(f"value {shown(values[bad].as_py())} is not a number", file=str(layout.path),
                         line=int(lines[bad]), column=column) from None


def scan_filtered(layout: TextLayout, column_types: dict[str, pa.DataType],
                  keep: Callable[[Batch], np.ndarray | None] | None = None,
                  block_size: int = DEFAULT_BLOCK_SIZE, total: int | None = None) -> tuple[pa.Table, int]:
    """All batches concatenated after ``keep(batch)`` (a boolean mask, or None for all rows).

    Returns the table, with a ``_line`` column of physical line numbers, and the number of rows read.
    """
    kept, rows = [], 0
    for batch in scan(layout, column_types, block_size, total):
        rows += batch.data.num_rows
        mask = keep(batch) if keep is not None else None
        data = batch.data.append_column("_line", pa.array(batch.lines()))
        kept.append(data if mask is None else data.filter(pa.array(mask)))
    if kept:
        return pa.Table.from_batches(kept), rows
    return pa.schema([*column_types.items(), ("_line", pa.int64())]).empty_table(), rows


BGZF_BLOCK = 65280  # input bytes per BGZF block, as bgzip uses


def write_bgzip(path: str | Path, chunks, level: int = 6) -> Path:
    """Write text chunks (bytes) as BGZF: independent gzip blocks plus the end-of-file block.

    What ``bgzip`` and tabix-indexed release files (FinnGen) are: valid multi-member gzip.
    """
    path = Path(path)
    pending = bytearray()
    with open(path, "wb") as out:
        def block(data: bytes) -> None:
            deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
            body = deflate.compress(data) + deflate.flush()
            size = len(body) + 25  # header 18 + body + crc 4 + isize 4, minus one
            out.write(b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00"
                      + size.to_bytes(2, "little") + body
                      + zlib.crc32(data).to_bytes(4, "little") + len(data).to_bytes(4, "little"))

        for chunk in ([chunks] if isinstance(chunks, bytes | bytearray) else chunks):
            pending += chunk
            while len(pending) >= BGZF_BLOCK:
                block(bytes(pending[:BGZF_BLOCK]))
                del pending[:BGZF_BLOCK]
        if pending:
            block(bytes(pending))
        out.write(BGZF_EOF)
    return path
