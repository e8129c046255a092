"""mrkit: two-sample Mendelian randomization that matches the R packages, for a reproducible paper."""
__version__ = "0.1.0"

from .methods.estimate import mr, odds_ratios  # noqa: E402
from .methods.heterogeneity import heterogeneity, pleiotropy  # noqa: E402
from .methods.sensitivity import leave_one_out, single_snp  # noqa: E402

__all__ = ["mr", "heterogeneity", "pleiotropy", "leave_one_out", "single_snp", "odds_ratios"]
