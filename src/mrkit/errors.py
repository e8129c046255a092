"""Errors that say where bad input is: file, line and column, never a silent wrong number."""
from __future__ import annotations


class MRKitError(Exception):
    """Base class of every error mrkit raises on purpose."""


class InputError(MRKitError, ValueError):
    """Bad input data, located as precisely as the caller knows it.

    ``line`` is the 1-based physical line of a text file (header included) or, for an in-memory
    table, the 0-based row position; ``column`` is the column name as the user wrote it.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 row: int | None = None, column: str | None = None):
        self.message, self.file, self.line, self.row, self.column = message, file, line, row, column
        where = []
        if file is not None:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class NotEstimable(MRKitError):
    """A method cannot be estimated on this input (too few SNPs, no variation...); carries the reason."""


def shown(value, limit: int = 40) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters (a cell may hold a whole line)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 5]}...{text[-2:]} ({len(str(value))} characters)"
