"""Reading GWAS summary statistics (GWAS-VCF, FinnGen, Neale lab UK Biobank, GWAS-SSF, TwoSampleMR, generic)
and harmonised tables.

Every reader returns one schema (:data:`SCHEMA_COLUMNS`), validated by the rules of
:mod:`mrkit.gwas.schema`, with dropped rows counted. The readers are imported on first use (module
``__getattr__``, PEP 562), so that reading a harmonised table does not import pyarrow and pandas.
"""
from ..rules import SCHEMA_COLUMNS

#: public name -> module of this package that defines it
_API = {"read_harmonised": "harmonised", "FORMATS": "reader", "ReadReport": "reader", "detect_format": "reader",
        "read_sumstats": "reader"}

__all__ = ["FORMATS", "SCHEMA_COLUMNS", "ReadReport", "detect_format", "read_harmonised", "read_sumstats"]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{_API[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
