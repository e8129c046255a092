"""The streaming reader casts numeric columns itself: the same numbers and refusals as pyarrow's CSV conversion.

:func:`mrkit.gwas.io.columnar.scan` parses numeric columns as text and casts them (``pyarrow.compute.cast``
after trimming spaces and tabs), a third of the cost of the CSV reader's own conversion; and gzip files are
inflated by ISA-L instead of zlib. Checked here: random text cast both ways, and every file of a synthetic
panel read both ways (the reader's numbers must not change).
"""
from __future__ import annotations

import gzip
import io
import math
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from mrkit.errors import InputError
from mrkit.gwas.io import columnar, read_sumstats
from mrkit.gwas.io.columnar import NULL_VALUES, _typed
from mrkit.simulate import build_panel, panel_files
from mrkit.simulate.calibration import load_calibration


def converted(values: list[str], kind: pa.DataType):
    """pyarrow's CSV conversion of one column, and the text-then-cast of the reader: value lists or 'refused'."""
    data = ("x\n" + "\n".join(values) + "\n").encode()
    parse = pacsv.ParseOptions(delimiter="\t", quote_char=False, ignore_empty_lines=False)

    def read(column_type):
        convert = pacsv.ConvertOptions(column_types={"x": column_type}, null_values=NULL_VALUES,
                                       strings_can_be_null=True, quoted_strings_can_be_null=True)
        return pacsv.read_csv(io.BytesIO(data), parse_options=parse, convert_options=convert).to_batches()[0]

    out = []
    for how in ("csv", "cast"):
        try:
            batch = read(kind) if how == "csv" else _typed(read(pa.string()), {"x": kind})
            out.append(batch.column(0).to_pylist())
        except pa.ArrowInvalid:
            out.append("refused")
    return out


def same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return all(x == y and (not isinstance(x, float) or math.copysign(1, x) == math.copysign(1, y))
               or (x is None and y is None) or (isinstance(x, float) and isinstance(y, float)
                                                and math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


@pytest.mark.parametrize("kind", [pa.float64(), pa.int64()])
def test_text_then_cast_reads_and_refuses_as_the_csv_conversion(kind):
    rng = random.Random(6)
    alphabet = "0123456789.eE+- \t\v\finfatyINFATY_x,#/"
    specials = ["1", " 1", "1 ", "\t1", "+1", "-0", "1e5", "1E+5", ".5", "5.", ".", "inf", "-Infinity", "nan", "NAN",
                "+nan", "1_0", "0x10", "1e400", "1e-400", "", " ", "NA", "N/A", "#NA", "None", "9" * 30, "1.0"]
    for value in specials + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7))) for _ in range(8000)]:
        csv_result, cast_result = converted([value], kind)
        assert same(csv_result, cast_result), repr(value)
    column = [str(v) for v in np.random.default_rng(6).normal(size=5000) * 10.0 ** 5]
    if pa.types.is_integer(kind):
        column = [str(int(float(v))) for v in column]
    assert same(*converted(column + ["NA", ""], kind))


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    return build_panel(tmp_path_factory.mktemp("panel") / "small", size="small", seed=11,
                       calibration=load_calibration())


def test_every_panel_file_reads_the_same_numbers_as_with_the_csv_conversion(panel, monkeypatch):
    files = {trait: entry for trait, entry in panel_files(panel).items() if trait not in ("ref", "truth")}
    assert len(files) >= 6 and {fmt for _, fmt in files.values()} >= {"finngen", "gwasvcf"}
    for path, fmt in files.values():
        for p_max in (None, 5e-8):
            new = read_sumstats(path, fmt=fmt, p_max=p_max)
            with monkeypatch.context() as m:  # the reader as it was: pyarrow converts the numbers
                m.setattr(columnar, "_numeric", lambda kind: False)
                old = read_sumstats(path, fmt=fmt, p_max=p_max)
            pd.testing.assert_frame_equal(new, old, check_exact=True)
            assert new.attrs["dropped"] == old.attrs["dropped"] and new.attrs["rows_read"] == old.attrs["rows_read"]


def test_a_corrupt_or_cut_gzip_is_refused_with_isal_too(tmp_path):
    text = "SNP\tCHR\tBP\tA1\tA2\tBETA\tSE\tP\n" + "".join(
        f"rs{i}\t1\t{100 + i}\tA\tG\t0.1\t0.01\t1e-9\n" for i in range(20000))
    data = gzip.compress(text.encode())
    cut, corrupt = tmp_path / "cut.tsv.gz", tmp_path / "corrupt.tsv.gz"
    cut.write_bytes(data[: len(data) // 2])
    corrupt.write_bytes(data[:2000] + bytes(200) + data[2200:])
    for path in (cut, corrupt):
        with pytest.raises(InputError, match="truncated or corrupt gzip"):
            read_sumstats(path, fmt="generic")
