"""mrkit: two-sample Mendelian randomization that matches the R packages, for a reproducible paper.

The public API (``mrkit.mr``, ``heterogeneity``, ``pleiotropy``, ``leave_one_out``, ``single_snp``,
``odds_ratios``) is imported on first use (module ``__getattr__``, PEP 562), so that ``import mrkit``
and the command line start without numpy, scipy or pandas.
"""
__version__ = "0.1.0"

#: public name -> module of :mod:`mrkit.methods` that defines it
_API = {"mr": "estimate", "odds_ratios": "estimate", "heterogeneity": "heterogeneity",
        "pleiotropy": "heterogeneity", "leave_one_out": "sensitivity", "single_snp": "sensitivity"}

__all__ = ["mr", "heterogeneity", "pleiotropy", "leave_one_out", "single_snp", "odds_ratios"]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'mrkit' has no attribute {name!r}")
    if _API[name] == "estimate":
        from .methods import estimate as module
    elif _API[name] == "heterogeneity":
        from .methods import heterogeneity as module
    else:
        from .methods import sensitivity as module
    value = getattr(module, name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
