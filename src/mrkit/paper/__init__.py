"""The paper: the study's analysis path and the book's tables, figures and teaching logic.

May import: the core modules, :mod:`mrkit.methods`, :mod:`mrkit.gwas`, :mod:`mrkit.simulate` and :mod:`mrkit.scan`.
Imports nothing from :mod:`mrkit.book` or :mod:`mrkit.commands`. The notebooks call this layer; it
holds what they would otherwise repeat, so that the notebooks only narrate and plot.

* the traits, their labels and units; the method labels: :mod:`.labels`
* which data a build uses (synthetic panel, real files or the OpenGWAS API) and its fingerprint:
  :mod:`.datasets`; the OpenGWAS side of the analysis and its provenance: :mod:`.opengwas_data`
* the analysis path, trait file -> harmonised instruments: :mod:`.study`; its per-trait tables kept on disk
  across pages and builds (Parquet, keyed by the data fingerprint and the code): :mod:`.study_cache`
* the analysis of one MR direction as one result that saves and loads itself (a versioned file):
  :mod:`.direction`; tables and numbers in prose: :mod:`.report`; figures: :mod:`.plots`
* how a table reads (alignment, decimals, caption and notes): :mod:`.tables`; the data behind each
  figure and table as CSV files beside the page: :mod:`.downloads`
* every univariable method on one direction, grouped by the assumption it trades, its verdict, and the methods
  chapter's per-method entries: :mod:`.robust`
* the limitations analysis (sample overlap, power): :mod:`.limitations`
* teaching chapters: the simulation study :mod:`.simulation_study` (its tables and figure
  :mod:`.simulation_report`), harmonisation by example :mod:`.harmonisation_examples`, the conventions compared
  :mod:`.convention_comparison`, the validation appendix against R :mod:`.validation`
* the exercises at the end of the pages, each a re-run of its page with a parameter changed, with the solution
  computed by the same functions, and the command that re-runs a page: :mod:`.exercises`
* beyond the paper: the phenome-wide scan and its false discovery rate against the truth :mod:`.phenome_scan`
* what a build ran on: the code fingerprint, the run plan's defaults and runs, the panel's files, the seeds
  and settings of each MR page :mod:`.reproducibility`

The two seeds (``DEFAULT_SEED``: an analysis's random draws; ``DEFAULT_PANEL_SEED``: which synthetic panel) are
re-exported from :mod:`mrkit.rng` for the notebooks' parameters.
"""
from ..rng import DEFAULT_PANEL_SEED, DEFAULT_SEED

__all__ = ["DEFAULT_SEED", "DEFAULT_PANEL_SEED"]
