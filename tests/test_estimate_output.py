"""``mrkit estimate`` prints without pandas what it printed with pandas: the text table, the CSV and the JSON.

The command used to build a DataFrame with :func:`mrkit.mr` and print it with ``to_string``/``to_csv``/
``to_dict``; it now formats the rows itself (pandas costs half a second of start-up). These tests render the
same rows both ways and compare the text, on random rows (NaN, tiny and huge numbers, long notes) and on the
estimates of real and damaged inputs.
"""
from __future__ import annotations

import io
import json
import math
import random

import numpy as np
import pandas as pd
import pytest

from mrkit import mr
from mrkit.cli import main
from mrkit.commands.estimate import format_table, write_csv
from mrkit.methods.estimate import TABLE_COLUMNS
from mrkit.methods.registry import get_method

COLUMNS = ["method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "se_model", "distribution", "note"]


def random_rows(rng: random.Random, n: int) -> list[dict]:
    def number() -> float:
        kind = rng.randrange(7)
        if kind == 0:
            return math.nan
        if kind == 1:
            return rng.uniform(-1, 1) * 10.0 ** rng.randint(-12, -5)
        if kind == 2:
            return rng.uniform(-1, 1) * 10.0 ** rng.randint(5, 12)
        if kind == 3:
            return float(rng.randint(-3, 3))
        return rng.uniform(-5, 5)

    scale = rng.choice([1.0, 1e-8, 1e8])  # whole columns of small or large numbers too
    return [{"method": rng.choice(["ivw", "egger", "weighted_median", "ml"]),
             "estimate": number() * scale, "se": abs(number()), "ci_lower": number(), "ci_upper": number(),
             "p": rng.choice([math.nan, 0.0, 1.0, 10.0 ** -rng.randint(0, 300), rng.random()]),
             "nsnp": rng.randint(1, 500), "se_model": rng.choice(["fixed", "random_floored", ""]),
             "distribution": rng.choice(["normal", "t(26)", ""]),
             "note": rng.choice(["", "not estimable: MR-Egger needs at least 3 SNPs, got 2", "x"])}
            for _ in range(n)]


def test_the_text_table_is_what_pandas_printed():
    rng = random.Random(8)
    for _ in range(400):
        rows = random_rows(rng, rng.randint(1, 8))
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            expected = pd.DataFrame(rows)[COLUMNS].to_string(index=False)
        assert format_table(rows, COLUMNS) == expected


def test_the_csv_is_what_pandas_wrote():
    rng = random.Random(9)
    for _ in range(200):
        rows = random_rows(rng, rng.randint(1, 6))
        for row in rows:
            row.update(n_boot=rng.choice([None, 1000]), seed=rng.choice([None, 7]), note=rng.choice(["", 'a "b", c']))
        frame = pd.DataFrame(rows)
        for column in ("n_boot", "seed"):
            frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
        out = io.StringIO()
        write_csv(rows, out)
        assert out.getvalue() == frame.to_csv(index=False)


@pytest.mark.parametrize("name,methods", [("lipids_chd_ldlc", None), ("bmi_chd", "ivw,egger,ml,presso"),
                                          ("lipids_chd_ldlc", "wald_ratio,ivw_fe,simple_median"),
                                          ("lipids_chd_ldlc", "lasso,rucker_cd,ivw_radial,sign")])
def test_the_json_methods_are_what_the_table_of_mr_gave(validation_dir, capsys, name, methods):
    """Each JSON row is the mr() table's row: its standard columns, then its own method's extra quantities (the
    registry's ``row_keys``; the table's columns of other methods' extras, NaN in this row, are not repeated)."""
    path = validation_dir / "harmonised" / f"{name}.csv"
    argv = ["estimate", str(path), "--format", "json", "--seed", "4", "--presso-n", "100", "--n-boot", "100"]
    assert main(argv + (["--methods", methods] if methods else [])) == 0
    got = json.loads(capsys.readouterr().out)["methods"]
    table = mr(pd.read_csv(path), methods=methods, seed=4, n_boot=100, presso_n=100)

    def clean(value):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        return value.item() if isinstance(value, np.generic) else value

    expected = [{k: clean(row[k]) for k in (*TABLE_COLUMNS, *get_method(row["method"]).row_keys)}
                for row in table.to_dict(orient="records")]
    assert got == expected
    # and in the table's column order
    assert all(list(row) == [*TABLE_COLUMNS, *get_method(row["method"]).row_keys] for row in got)


def test_two_snps_print_not_estimable_rows_as_before(tmp_path, capsys):
    path = tmp_path / "h.csv"
    path.write_text("SNP,bx,bxse,by,byse\nrs1,0.1,0.01,0.2,0.1\nrs2,0.2,0.01,0.3,0.1\n")
    assert main(["estimate", str(path), "--methods", "ivw,egger", "--presso-n", "10"]) == 0
    out = capsys.readouterr().out
    rows = mr({"SNP": ["rs1", "rs2"], "bx": [0.1, 0.2], "bxse": [0.01, 0.01], "by": [0.2, 0.3], "byse": [0.1, 0.1]},
              methods="ivw,egger")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        assert rows[COLUMNS].to_string(index=False) in out
    assert "Rucker Q' not estimable (needs >= 3 SNPs)" in out
