"""Reading GWAS summary statistics (GWAS-VCF, FinnGen, Neale lab UK Biobank, GWAS-SSF, TwoSampleMR, generic)
and harmonised tables.

Every reader returns one schema (:data:`SCHEMA_COLUMNS`), validated by the rules of
:mod:`mrkit.gwas.schema`, with dropped rows counted.
"""
from ..schema import SCHEMA_COLUMNS
from .harmonised import read_harmonised
from .reader import FORMATS, ReadReport, detect_format, read_sumstats

__all__ = ["FORMATS", "SCHEMA_COLUMNS", "ReadReport", "detect_format", "read_harmonised", "read_sumstats"]
