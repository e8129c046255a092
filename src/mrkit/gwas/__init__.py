"""GWAS data: from summary-statistic files to harmonised instruments.

May import: the core modules (:mod:`mrkit.errors`, :mod:`mrkit.rng`, :mod:`mrkit.paths`) and
:mod:`mrkit.methods` (instrument strength comes from :mod:`mrkit.methods.strength`). Imports nothing
from :mod:`mrkit.simulate`, :mod:`mrkit.paper`, :mod:`mrkit.book` or :mod:`mrkit.commands`.

* the rule table (fields, each rule's policy: refuse, fill, drop and count, flag; how each compares with
  TwoSampleMR): :mod:`.rules`; the one rule engine that applies it at every entry point: :mod:`.schema`
  (its parts: :mod:`.normalise` for ids, chromosomes and alleles, :mod:`.repeats`, :mod:`.droplog`)
* readers of every format (TwoSampleMR CSVs included) and of harmonised tables: :mod:`.io`
  (``read_sumstats``, ``read_harmonised``)
* which column holds which field (internal or TwoSampleMR names): :mod:`.columns`
* instrument selection and strength table: :mod:`.instruments`
* LD from a PLINK reference panel: :mod:`.ld`; clumping (plink 1.9 or numpy): :mod:`.clump`;
  LD proxies: :mod:`.proxies`
* harmonisation (TwoSampleMR ``harmonise_data``): :mod:`.harmonise`, with its inputs checked
  (:mod:`.harmonise_input`), variants matched (:mod:`.matching`), alleles aligned (:mod:`.alignment`) and
  the log's flow table (:mod:`.flow`)
* genomic inflation and other whole-GWAS checks: :mod:`.qc`
* the study's sources (``data/sources.toml``) and downloads: :mod:`.sources`, :mod:`.fetch`
* the OpenGWAS API (top hits, associations with LD proxies) and its answer cache: :mod:`.opengwas`
"""
