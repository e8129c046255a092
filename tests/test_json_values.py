"""One conversion of values to JSON (``mrkit.json_values``), used by ``mrkit estimate``, the book's saved
directions, the scan store and the study cache. Expected values are written out by hand."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mrkit.json_values import json_value


def test_numpy_values_become_plain_python():
    got = json_value({"a": np.float64(0.25), "b": np.int64(3), "c": np.bool_(True), "d": np.str_("x"),
                      "e": np.array([[1, 2], [3, 4]]), "f": (np.float32(0.5), None)})
    assert got == {"a": 0.25, "b": 3, "c": True, "d": "x", "e": [[1, 2], [3, 4]], "f": [0.5, None]}
    assert [type(v) for v in (got["a"], got["b"], got["c"], got["d"])] == [float, int, bool, str]
    assert json.dumps(got) == ('{"a": 0.25, "b": 3, "c": true, "d": "x", "e": [[1, 2], [3, 4]], "f": [0.5, null]}')


def test_nan_and_infinities_are_null_unless_they_must_round_trip():
    values = [math.nan, np.float64("inf"), -math.inf, 1.5]
    assert json_value(values) == [None, None, None, 1.5]
    kept = json_value(values, strict=False)
    assert math.isnan(kept[0]) and kept[1:] == [math.inf, -math.inf, 1.5]
    assert json.dumps(kept) == "[NaN, Infinity, -Infinity, 1.5]"  # Python's json reads these back


def test_keys_are_text_as_json_dumps_writes_them_and_other_objects_go_to_default():
    assert json_value({1: "a", np.int64(2): "b", 2.5: "c", None: "d", "e": "e"}) == \
        {"1": "a", "2": "b", "2.5": "c", "null": "d", "e": "e"}
    assert json_value({False: 0}) == {"false": 0}
    assert json_value({"p": Path("/x/y")}, default=str) == {"p": "/x/y"}
    marker = object()
    assert json_value([marker])[0] is marker  # left for json.dumps(default=...) to decide
    with pytest.raises(TypeError):
        json.dumps(json_value({"o": marker}, default=lambda v: (_ for _ in ()).throw(TypeError("no"))))


def test_it_imports_nothing_but_the_standard_library():
    code = ("import sys, mrkit.json_values; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pandas')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
