"""Tables as the command line prints and writes them, without pandas (whose import costs half a second of
``mrkit estimate``'s start-up): the text layout of ``DataFrame.to_string`` and the CSV of ``DataFrame.to_csv``
(``tests/test_estimate_output.py`` checks both against pandas), and the rows a reader dropped or flagged."""
from __future__ import annotations

import csv
import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..gwas.io.harmonised import HarmonisedTable

__all__ = ["format_table", "write_csv", "print_drops", "python_scalar"]


def python_scalar(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (other values as they are)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)) else value


def _csv_cell(value: Any) -> str:
    """A cell as pandas' ``to_csv`` writes it: empty when missing, floats in their shortest round-trip form."""
    value = python_scalar(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def write_csv(rows: list[dict], stream) -> None:
    """Result rows as ``pandas.DataFrame(rows).to_csv(stream, index=False)`` writes them."""
    columns = list(dict.fromkeys(c for row in rows for c in row))
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])


_DECIMAL_NUMBER = re.compile(r"^\s*[+-]?[0-9]+\.[0-9]*$")


def _trim_zeros(cells: list[str]) -> list[str]:
    """Trailing zeros cut equally from every decimal number of a column, one kept after the point (pandas)."""
    numbers = [_DECIMAL_NUMBER.match(c) is not None for c in cells]
    if not any(numbers):
        return cells
    while all(c.endswith("0") for c, is_number in zip(cells, numbers) if is_number):
        cells = [c[:-1] if is_number else c for c, is_number in zip(cells, numbers)]
    return [c + "0" if is_number and c.endswith(".") else c for c, is_number in zip(cells, numbers)]


def _float_cells(values: list[float], digits: int = 6) -> list[str]:
    """A float column as pandas prints it (``display.precision`` 6): fixed notation with trailing zeros
    trimmed, or scientific for the whole column when a value is below 1e-6 or, in a column too wide,
    above 1e6."""
    def cells(spec: str) -> list[str]:
        return _trim_zeros(["NaN" if math.isnan(v) else format(v, spec) for v in values])

    fixed = cells(f".{digits}f")
    finite = [abs(v) for v in values if not math.isnan(v)]
    too_long = max(map(len, fixed), default=0) > digits + 6
    if any(0 < v < 10 ** -digits for v in finite) or (too_long and any(v > 1e6 for v in finite)):
        return cells(f".{digits}e")
    return fixed


def format_table(rows: list[dict], columns: list[str]) -> str:
    """Rows as ``pandas.DataFrame(rows)[columns].to_string(index=False)`` prints them: right-aligned columns
    one space apart, numeric headers with a leading space, floats as :func:`_float_cells`."""
    out = []
    for c in columns:
        values = [r.get(c) for r in rows]
        if values and all(isinstance(v, float) for v in values):
            cells, header = _float_cells(values), " " + c
        elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            cells, header = [str(v) for v in values], " " + c
        else:
            cells, header = ["NaN" if v is None else str(v) for v in values], c
        width = max(len(header), *map(len, cells))
        out.append([header.rjust(width)] + [cell.rjust(width) for cell in cells])
    return "\n".join(" ".join(line) for line in zip(*out))


def print_drops(table: HarmonisedTable, stream) -> None:
    a = table.attrs
    for reason, count in sorted(a["dropped"].items()):
        print(f"{a['source']}: dropped {count} row(s): {reason}", file=stream)
    for reason, count in sorted(a["flagged"].items()):
        print(f"{a['source']}: flagged {count} row(s): {reason}", file=stream)
