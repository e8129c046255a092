"""mrkit: two-sample Mendelian randomization that matches the R packages, for a reproducible paper."""
__version__ = "0.1.0"
