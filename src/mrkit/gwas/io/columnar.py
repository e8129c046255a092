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

References
----------
Apache Arrow CSV reader, https://arrow.apache.org/docs/python/csv.html ;
SAM/BAM format specification, section 4.1 (BGZF blocks and end-of-file marker),
https://samtools.github.io/hts-specs/SAMv1.pdf
"""
from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ...errors import InputError, shown

GZIP_MAGIC = b"\x1f\x8b"
#: The 28-byte empty block every BGZF writer (bgzip, htslib, Biopython) appends at the end of a file.
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
#: Text that means "no value" in summary-statistics files (pyarrow's defaults plus GWAS-SSF "#NA").
NULL_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "NULL", "null", "None", "#NA", "#N/A"]
DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
DEFAULT_BLOCK_SIZE = 2 << 20  # bytes of text per batch (~20k FinnGen rows): as fast as larger, far less memory


@dataclass(frozen=True)
class TextLayout:
    """What the first lines of a table say about how to parse the rest."""

    path: Path
    compression: str | None  # "gzip" (gzip or bgzip) or None
    delimiter: str
    meta_lines: tuple[str, ...]  # lines before the header line (VCF "##" lines), without newlines
    header: tuple[str, ...]

    @property
    def header_line(self) -> int:
        """1-based physical line number of the header."""
        return len(self.meta_lines) + 1

    @property
    def first_data_line(self) -> int:
        return len(self.meta_lines) + 2

    @property
    def quoted(self) -> bool:
        """Tab-separated summary statistics never quote; comma-separated files may."""
        return self.delimiter != "\t"


#: Compressions recognised by their magic bytes but not read (decompress or re-compress with bgzip).
OTHER_COMPRESSIONS = {b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd",
                      b"PK\x03\x04": "zip"}


def compression_of(path: Path) -> str | None:
    """``"gzip"`` when the file starts with the gzip magic bytes (whatever its extension), else None.

    Other compressions are refused with a message saying which (a zip or bzip2 file would otherwise
    be parsed as text and fail with a confusing error).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None
    if head[:2] == GZIP_MAGIC:
        return "gzip"
    for magic, name in OTHER_COMPRESSIONS.items():
        if head.startswith(magic):
            raise InputError(f"{name}-compressed files are not read: decompress it, or re-compress it with "
                             f"gzip or bgzip", file=str(path))
    return None


def _is_bgzf(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(18)
    # gzip header with FEXTRA flag and a "BC" subfield: a BGZF block
    return len(head) == 18 and head[:2] == GZIP_MAGIC and head[3] & 4 and head[12:14] == b"BC"


def _corrupt(path: Path, detail: str, line: int | None = None) -> InputError:
    where = f" after line {line}" if line is not None else ""
    return InputError(f"truncated or corrupt gzip ({detail}){where}; download the file again", file=str(path))


def check_complete(path: Path) -> None:
    """A BGZF file must end with the BGZF end-of-file block, else it was cut (htslib warns; we stop).

    Cutting a bgzip file at a block boundary leaves a valid multi-member gzip whose last row may be
    silently shortened; the EOF block is the only way to tell.
    """
    if not _is_bgzf(path):
        return
    with open(path, "rb") as fh:
        fh.seek(0, io.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - len(BGZF_EOF)))
        tail = fh.read()
    if tail != BGZF_EOF:
        raise _corrupt(path, "BGZF end-of-file marker missing")


def _is_decompression_error(exc: BaseException) -> bool:
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return True
    text = str(exc).lower()
    return isinstance(exc, OSError) and any(w in text for w in ("compress", "zlib", "gzip", "inflate"))


def readable_lines(path: Path) -> int:
    """Complete lines that decompress before a damaged gzip stream fails (error path only)."""
    count, inflate = 0, zlib.decompressobj(31)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            try:
                count += inflate.decompress(chunk).count(b"\n")
                while inflate.eof and inflate.unused_data:  # next member (BGZF block)
                    rest, inflate = inflate.unused_data, zlib.decompressobj(31)
                    count += inflate.decompress(rest).count(b"\n")
            except zlib.error:
                break
    return count


@contextmanager
def gzip_errors(path: Path):
    """Turn the many ways a damaged gzip stream fails (EOFError, zlib.error, arrow OSError) into one
    :class:`InputError` naming the last physical line that could be read whole."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:
        if _is_decompression_error(exc):
            raise _corrupt(path, f"{type(exc).__name__}: {exc}", readable_lines(path)) from exc
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
            raise InputError(f"cannot read the file ({exc})", file=str(path)) from exc
        raise


def open_text(path: Path, compression: str | None) -> io.TextIOBase:
    """The file as text lines (slow path: sniffing the header and locating errors only)."""
    raw = gzip.open(path, "rb") if compression == "gzip" else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def sniff(path: str | Path, meta_prefix: str = "##") -> TextLayout:
    """Read the lines up to the header: meta lines (``##``), the header itself and its delimiter."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder, not a file", file=str(path))
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    compression = compression_of(path)
    if compression:
        check_complete(path)
    meta: list[str] = []
    with gzip_errors(path), open_text(path, compression) as fh:
        for raw in fh:
            line = raw.rstrip("\r\n").lstrip("\ufeff")  # a byte-order mark is not part of the first name
            if line.startswith(meta_prefix):
                meta.append(line)
                continue
            break
        else:
            raise InputError("empty file: no header line", file=str(path))
    if not line.strip():
        raise InputError("the header line is empty", file=str(path), line=len(meta) + 1)
    delimiter = next((d for d in ("\t", ",", ";", " ") if d in line), "\t")
    if delimiter == " " and "  " in line.strip():
        raise InputError("columns are aligned with runs of spaces; convert the file to tab-separated",
                         file=str(path), line=len(meta) + 1)
    header = tuple(next(csv.reader([line], delimiter=delimiter)) if delimiter != "\t" else line.split("\t"))
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"duplicated column name(s) {dupes} in the header", file=str(path), line=len(meta) + 1)
    return TextLayout(path, compression, delimiter, tuple(meta), header)


def require_columns(layout: TextLayout, required: list[str], what: str = "") -> None:
    """Raise naming the missing columns and the columns the file has."""
    missing = [c for c in required if c not in layout.header]
    if missing:
        raise InputError(
            f"missing required column(s) {missing}{' for ' + what if what else ''}; "
            f"the file has columns {list(layout.header)}",
            file=str(layout.path), line=layout.header_line, column=missing[0])


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


def scan(layout: TextLayout, column_types: dict[str, pa.DataType],
         block_size: int = DEFAULT_BLOCK_SIZE) -> Iterator[Batch]:
    """Yield the typed columns ``column_types`` batch by batch, each with its first line number.

    Empty lines stay rows (all values null), so that line numbers remain physical.
    """
    read, parse, convert = _options(layout, column_types, block_size)
    rows = 0
    with gzip_errors(layout.path):
        source = pa.input_stream(str(layout.path), compression=layout.compression)
        try:
            reader = pacsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                yield Batch(batch, layout.first_data_line + rows)
                rows += batch.num_rows
        except pa.ArrowInvalid as exc:
            if _is_decompression_error(exc):
                raise
            raise locate_bad_row(layout, column_types, rows, exc) from exc
        finally:
            source.close()


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
    ncol = len(layout.header)
    checks = [(layout.header.index(name), name, kind) for name, kind in column_types.items()
              if not (pa.types.is_string(kind) or pa.types.is_large_string(kind))]
    raw_file = gzip.open(layout.path, "rb") if layout.compression == "gzip" else open(layout.path, "rb")
    with gzip_errors(layout.path), raw_file as fh:
        lines = itertools.islice(fh, len(layout.meta_lines) + 1 + start_row, None)
        for lineno, raw in enumerate(lines, start=layout.first_data_line + start_row):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as err:
                return InputError(f"not UTF-8 text (byte {raw[err.start:err.start + 1]!r} at character "
                                  f"{err.start + 1}); save the file as UTF-8", file=str(layout.path), line=lineno)
            if not text:
                continue
            fields = (next(csv.reader([text], delimiter=layout.delimiter)) if layout.quoted
                      else text.split(layout.delimiter))
            if len(fields) != ncol:
                return InputError(f"expected {ncol} fields (as in the header), found {len(fields)}",
                                  file=str(layout.path), line=lineno)
            for index, name, kind in checks:
                if not _parses(fields[index], kind):
                    hint = " (a decimal comma? numbers need a decimal point)" if DECIMAL_COMMA.match(fields[index]) else ""
                    return InputError(f"value {shown(fields[index])} is not a valid {kind} number{hint}"
                                      if not pa.types.is_boolean(kind) else
                                      f"value {shown(fields[index])} is not true/false",
                                      file=str(layout.path), line=lineno, column=name)
    return InputError(f"could not parse the file after line {layout.first_data_line + start_row - 1}: {exc}",
                      file=str(layout.path))


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
                  block_size: int = DEFAULT_BLOCK_SIZE) -> tuple[pa.Table, int]:
    """All batches concatenated after ``keep(batch)`` (a boolean mask, or None for all rows).

    Returns the table, with a ``_line`` column of physical line numbers, and the number of rows read.
    """
    kept, total = [], 0
    for batch in scan(layout, column_types, block_size):
        total += batch.data.num_rows
        mask = keep(batch) if keep is not None else None
        data = batch.data.append_column("_line", pa.array(batch.lines()))
        kept.append(data if mask is None else data.filter(pa.array(mask)))
    if kept:
        return pa.Table.from_batches(kept), total
    return pa.schema([*column_types.items(), ("_line", pa.int64())]).empty_table(), total


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
