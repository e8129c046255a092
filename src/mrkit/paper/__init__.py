"""The paper: the study's analysis path and the book's tables, figures and teaching logic.

May import: the core modules, :mod:`mrkit.methods`, :mod:`mrkit.gwas` and :mod:`mrkit.simulate`.
Imports nothing from :mod:`mrkit.book` or :mod:`mrkit.commands`. The notebooks call this layer; it
holds what they would otherwise repeat, so that the notebooks only narrate and plot.

* the traits, their labels and units; the method labels: :mod:`.labels`
* which data a build uses (synthetic panel or real files) and its fingerprint: :mod:`.datasets`
* the analysis path, trait file -> harmonised instruments: :mod:`.study`
* tables, numbers in prose, saved results of each direction: :mod:`.report`; figures: :mod:`.plots`
* how a table reads (alignment, decimals, caption and notes): :mod:`.tables`; the data behind each
  figure and table as CSV files beside the page: :mod:`.downloads`
* the limitations analysis (sample overlap, power): :mod:`.limitations`
* teaching chapters: the simulation study :mod:`.simulation_study`, harmonisation by example
  :mod:`.harmonisation_examples`, the conventions compared :mod:`.convention_comparison`, the
  validation appendix against R :mod:`.validation`
"""
