"""MR scans: many exposure-outcome pairs from a manifest, serially or on a Dask cluster.

``mrkit scan MANIFEST -o DIR`` reads a TOML manifest of exposures and outcomes (:mod:`.manifest`), reads
each GWAS file once (one task per file: instrument selection for an exposure, the lookup of the union of
the needed variants for an outcome, :mod:`.tasks`), harmonises and estimates every pair and writes each
pair's result atomically into DIR (:mod:`.store`), so that a failing pair is recorded with its reason,
an interrupted scan resumes from the pairs already written, and a lost worker loses and duplicates
nothing (:mod:`.engine`). :mod:`.cluster` connects to a scheduler or starts a LocalCluster on loopback;
the simulation study's runner (:mod:`mrkit.paper.simulation_study`) uses it too.

May import: the core modules, :mod:`mrkit.methods` (estimators), :mod:`mrkit.gwas` (readers, instruments,
clumping, harmonisation) and :mod:`mrkit.simulate`; dask and distributed only inside the functions that
run on a cluster. Imports nothing from :mod:`mrkit.paper`, :mod:`mrkit.book` or :mod:`mrkit.commands`.
"""
