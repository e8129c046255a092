"""What the first lines of a text table say (compression, delimiter, header), and reading damaged files.

The part of reading summary statistics that needs neither pyarrow nor pandas, so that a command reading a
small table (``mrkit estimate``) starts fast: the file's layout (:func:`sniff`: gzip or plain, the meta
lines, the header and its delimiter), the checks that a gzip file is complete, the translation of the many
ways a damaged gzip stream fails into one :class:`~mrkit.errors.InputError` naming the last line read whole,
and the location of the first malformed line (not UTF-8, wrong number of fields) once a parser refused the
file. :mod:`.columnar` streams large tables with pyarrow on top of this.

Every line is read through :mod:`.limits` (a line, a header and a small table have a bounded size, refused
while the text streams in).

References
----------
SAM/BAM format specification, section 4.1 (BGZF blocks and end-of-file marker),
https://samtools.github.io/hts-specs/SAMv1.pdf
"""
from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
import sys
import zlib
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError, shown
from .limits import CHUNK, DEFAULT_LIMITS, ReadLimits, bounded_lines, read_bounded

GZIP_MAGIC = b"\x1f\x8b"
#: The 28-byte empty block every BGZF writer (bgzip, htslib, Biopython) appends at the end of a file.
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
#: Text that means "no value" in summary-statistics files (pyarrow's defaults plus GWAS-SSF "#NA").
NULL_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "NULL", "null", "None", "#NA", "#N/A"]
DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
@dataclass(frozen=True)
class TextLayout:
    """What the first lines of a table say about how to parse the rest."""

    path: Path
    compression: str | None  # "gzip" (gzip or bgzip) or None
    delimiter: str
    meta_lines: tuple[str, ...]  # lines before the header line (VCF "##" lines, comments), without newlines
    header: tuple[str, ...]
    limits: ReadLimits = DEFAULT_LIMITS

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


def is_decompression_error(exc: BaseException) -> bool:
    isal = sys.modules.get("isal.isal_zlib")  # ISA-L's inflate (columnar's reader) raises its own error
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)) or (isal is not None and isinstance(exc, isal.error)):
        return True
    text = str(exc).lower()
    return isinstance(exc, OSError) and any(w in text for w in ("compress", "zlib", "gzip", "inflate"))


def readable_lines(path: Path) -> int:
    """Complete lines that decompress before a damaged gzip stream fails (error path only; at most 1 MiB
    of text is held at a time, whatever the compression ratio)."""
    count, inflate = 0, zlib.decompressobj(31)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            pending = chunk
            try:
                while pending:
                    count += inflate.decompress(pending, CHUNK).count(b"\n")
                    if inflate.eof:  # next member (BGZF block)
                        pending, inflate = inflate.unused_data, zlib.decompressobj(31)
                    else:
                        pending = inflate.unconsumed_tail
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
        if is_decompression_error(exc):
            raise _corrupt(path, f"{type(exc).__name__}: {exc}", readable_lines(path)) from exc
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
            raise InputError(f"cannot read the file ({exc})", file=str(path)) from exc
        raise


def sniff(path: str | Path, meta_prefix: str = "##", limits: ReadLimits = DEFAULT_LIMITS) -> TextLayout:
    """Read the lines up to the header: the lines before it, the header itself and its delimiter.

    Lines before the header start with ``#``: VCF meta lines (``##``) and comment lines, which are skipped
    (a file exported with a ``# source: ...`` line). A header may itself start with ``#`` (FinnGen's
    ``#chrom``, PLINK 2's ``#CHROM``, VCF's ``#CHROM``): the last ``#`` line is the header when a name follows
    its ``#`` (no space: ``# note`` is a comment) and it has as many fields as the line after it, and at least
    two. No line longer than ``limits.line_bytes`` is
    read, no header wider than ``limits.columns`` columns is kept; the duplicated-name check is linear.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder, not a file", file=str(path))
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    compression = compression_of(path)
    if compression:
        check_complete(path)
    leading: list[str] = []
    following = None
    with gzip_errors(path):
        for raw in bounded_lines(path, compression, limits):
            text = raw.decode("utf-8", errors="replace")
            if not leading:
                text = text.lstrip("\ufeff")  # a byte-order mark is not part of the first name
            if not text.startswith("#"):
                following = text
                break
            leading.append(text)
    last = leading[-1] if leading else None
    named = last is not None and not last.startswith(meta_prefix) and len(last) > 1 and not last[1].isspace()
    if named and (following is None or _fields(last, _delimiter(last)) == _fields(following, _delimiter(last)) >= 2):
        line, meta = last, leading[:-1]
    elif following is not None:
        line, meta = following, leading
    else:
        raise InputError("empty file: no header line" if not leading else
                         f"no header line: the file holds only {len(leading)} comment or meta line(s)", file=str(path))
    where = {"file": str(path), "line": len(meta) + 1}
    if not line.strip():
        raise InputError("the header line is empty", **where)
    delimiter = _delimiter(line)
    if delimiter == " " and "  " in line.strip():
        raise InputError("columns are aligned with runs of spaces; convert the file to tab-separated", **where)
    header = tuple(_split(line, delimiter))
    if len(header) > limits.columns:
        raise InputError(f"the header has {len(header):,} columns, more than {limits.columns:,} "
                         f"(ReadLimits.columns): not a summary-statistics table", **where)
    dupes = sorted(name for name, count in Counter(header).items() if count > 1)
    if dupes:
        raise InputError(f"duplicated column name(s) {shown(dupes, 200)} in the header", **where)
    return TextLayout(path, compression, delimiter, tuple(meta), header, limits)


def _delimiter(line: str) -> str:
    return next((d for d in ("\t", ",", ";", " ") if d in line), "\t")


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter)) if delimiter != "\t" else line.split("\t")


def _fields(line: str, delimiter: str) -> int:
    return len(_split(line, delimiter))


def require_columns(layout: TextLayout, required: list[str], what: str = "") -> None:
    """Raise naming the missing columns and the columns the file has."""
    missing = [c for c in required if c not in layout.header]
    if missing:
        raise InputError(
            f"missing required column(s) {missing}{' for ' + what if what else ''}; "
            f"the file has columns {list(layout.header)}",
            file=str(layout.path), line=layout.header_line, column=missing[0])


def first_malformed_line(layout: TextLayout, start_row: int = 0,
                         check: Callable[[list[str], int], InputError | None] | None = None) -> InputError | None:
    """The first line at or after data row ``start_row`` that is not UTF-8 text, has another number of fields
    than the header, or fails ``check(fields, line)``; None when there is none. Empty lines are skipped.

    The error path of a parser that refused the file without saying where: the lines are read again one
    by one, as physical lines (a line longer than ``layout.limits.line_bytes`` is refused as such).
    """
    ncol = len(layout.header)
    with gzip_errors(layout.path):
        lines = itertools.islice(bounded_lines(layout.path, layout.compression, layout.limits),
                                 len(layout.meta_lines) + 1 + start_row, None)
        for lineno, raw in enumerate(lines, start=layout.first_data_line + start_row):
            try:
                text = raw.decode("utf-8")
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
            if check is not None and (error := check(fields, lineno)) is not None:
                return error
    return None


def read_records(layout: TextLayout) -> list[list[str | None]]:
    """The data rows of a small table as text, as the pyarrow reader of :mod:`.columnar` parses them when
    every column is read as a string: one list of ``len(layout.header)`` values per row, None for the
    :data:`NULL_VALUES`.

    Lines end with LF, CRLF or CR; an empty line is a row of None (rows keep counting lines); a field of a
    comma- or semicolon-separated file may be quoted (holding the delimiter, a line break or ``""`` for a
    quote); tab-separated files are never quoted. For a table of thousands of rows, without importing
    pyarrow or pandas (``mrkit estimate`` reads one in milliseconds).

    Raises
    ------
    InputError
        A damaged gzip; a line that is not UTF-8 or has another number of fields than the header
        (named as :func:`first_malformed_line` names it); a line or a table over ``layout.limits``.
    """
    with gzip_errors(layout.path):
        data = read_bounded(layout.path, layout.compression, layout.limits)
    data = _after_lines(data, layout.header_line)  # comment lines may hold quotes: not for the csv module
    text = data.decode("utf-8", errors="surrogateescape")  # bytes that are not UTF-8 become lone surrogates
    options = {"delimiter": layout.delimiter} if layout.quoted else {"delimiter": layout.delimiter,
                                                                      "quoting": csv.QUOTE_NONE}
    records = csv.reader(io.StringIO(text, newline=""), **options)
    ncol, nulls = len(layout.header), frozenset(NULL_VALUES)
    rows: list[list[str | None]] = []
    for position, record in enumerate(records, start=1):
        if not record:
            rows.append([None] * ncol)
            continue
        if len(record) != ncol or _SURROGATE.search("".join(record)):
            raise first_malformed_line(layout) or _malformed(layout, record, layout.first_data_line + position - 1)
        rows.append([None if value in nulls else value for value in record])
    return rows


def _malformed(layout: TextLayout, record: list[str], line: int) -> InputError:
    """What is wrong with a record that :func:`first_malformed_line` could not find as a physical line (a
    file with CR line ends, or a quoted line break): its bytes, or its number of fields."""
    raw = layout.delimiter.join(record).encode("utf-8", errors="surrogateescape")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return InputError(f"not UTF-8 text (byte {raw[err.start:err.start + 1]!r} at character {err.start + 1}); "
                          f"save the file as UTF-8", file=str(layout.path), line=line)
    return InputError(f"expected {len(layout.header)} fields (as in the header), found {len(record)}",
                      file=str(layout.path), line=line)


_SURROGATE = re.compile("[\udc80-\udcff]")
_BREAK = re.compile(rb"\r\n|\r|\n")


def _after_lines(data: bytes, count: int) -> bytes:
    """``data`` without its first ``count`` physical lines."""
    if not count:
        return data
    ends = [match.end() for _, match in zip(range(count), _BREAK.finditer(data))]
    return data[ends[-1]:] if len(ends) == count else b""
