"""Reading GWAS summary statistics (GWAS-VCF, FinnGen, Neale lab UK Biobank, GWAS-SSF, generic).

Every reader returns one schema (:data:`SCHEMA_COLUMNS`), validated, with dropped rows counted.
"""
from .reader import FORMATS, ReadReport, detect_format, read_sumstats
from .validate import SCHEMA_COLUMNS

__all__ = ["FORMATS", "SCHEMA_COLUMNS", "ReadReport", "detect_format", "read_sumstats"]
