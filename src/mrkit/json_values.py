"""Values as JSON holds them: one conversion for every JSON mrkit writes (``mrkit estimate --format json``, the
book's saved directions, scan logs, the study cache's metadata).

Imports nothing beyond the standard library: numpy values are recognised only when numpy is already loaded (a
numpy value cannot exist otherwise), so ``mrkit estimate`` can use it at no start-up cost.
"""
from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["json_value"]


def _key(key: Any, strict: bool) -> str:
    """A mapping key as JSON text (JSON keys are strings), written as ``json.dumps`` writes a key."""
    if isinstance(key, str):
        return key
    value = json_value(key, strict=strict)
    return value if isinstance(value, str) else json.dumps(value)


def json_value(value: Any, *, strict: bool = True, default: Callable[[Any], Any] | None = None) -> Any:
    """``value`` with everything JSON cannot hold made plain, recursively.

    numpy scalars become Python ``bool``/``int``/``float``/``str`` and numpy arrays lists; tuples become lists
    and mapping keys strings. ``strict`` (the default): NaN and +-inf become ``None`` (JSON's ``null``; RFC 8259
    has no NaN); ``strict=False`` keeps them as floats, which Python's ``json`` writes as ``NaN``/``Infinity``
    and reads back (for stores that must round-trip them). Other objects go through ``default`` when given
    (its result converted in turn), else are returned as they are (for ``json.dumps(default=...)``).
    """
    if value is None or isinstance(value, (bool, str)) and type(value) in (bool, str):
        return value
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.generic):
            return json_value(value.item(), strict=strict, default=default)
        if isinstance(value, np.ndarray):
            return json_value(value.tolist(), strict=strict, default=default)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        value = float(value)
        return None if strict and not math.isfinite(value) else value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {_key(k, strict): json_value(v, strict=strict, default=default) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v, strict=strict, default=default) for v in value]
    if default is not None:
        return json_value(default(value), strict=strict, default=default)
    return value
