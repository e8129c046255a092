"""The embedded default data: a synthetic GWAS panel calibrated to the study, and MR scenario simulations.

:func:`ensure_panel` returns the folder of the panel (generated into the data cache on first use):
six traits' summary statistics in the real sources' formats (FinnGen, Neale lab UK Biobank,
GWAS-VCF), a PLINK reference panel with the planned LD, and the planted truth (``truth.json``).
:func:`simulate_mr_summary` draws many summary-level MR data sets at once for teaching and coverage
studies. :mod:`.phenome` (``ensure_phenome``) draws a synthetic phenome over the panel's variants, a few
traits caused by the panel's traits, with its planted truth and a scan manifest, for ``mrkit scan``.

May import: the core modules, :mod:`mrkit.methods` and :mod:`mrkit.gwas` (the writers of the file
formats); imports nothing from :mod:`mrkit.paper`, :mod:`mrkit.book` or :mod:`mrkit.commands`.
"""
from .build import build_panel, ensure_panel, panel_files, panel_problems
from .calibration import load_calibration
from .scenarios import SCENARIOS, simulate_mr_summary

__all__ = ["SCENARIOS", "build_panel", "ensure_panel", "load_calibration", "panel_files", "panel_problems",
           "simulate_mr_summary"]
