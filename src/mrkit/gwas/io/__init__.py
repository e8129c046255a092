"""Reading GWAS summary statistics (GWAS-VCF, FinnGen, Neale lab UK Biobank, GWAS-SSF, TwoSampleMR, the outputs
of SAIGE, REGENIE, BOLT-LMM, PLINK 2, GCTA-COJO, fastGWA and METAL, generic) and harmonised tables.

Each format is read with its tool's own meaning of each column (:mod:`.catalogue`), within bounds on what is
held (:mod:`.limits`), one trait at a time (:mod:`.traits`).

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
