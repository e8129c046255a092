"""Which data a page is computed on, made ready and fingerprinted before any notebook runs.

``data="synthetic"`` is the embedded default: the simulated panel (:mod:`mrkit.simulate`), generated
into the cache on first use. ``data="real"`` reads the GWAS files of ``data/sources.toml`` (downloaded
with ``mrkit fetch`` or pointed at local copies). ``data="opengwas"`` asks the OpenGWAS API for top hits
and associations of the datasets named in ``data/sources.toml`` (:mod:`mrkit.paper.opengwas_data`).
``data="none"`` is for pages that use no GWAS data (teaching simulations, the validation appendix).
"""
from __future__ import annotations

import hashlib
import json

from ..errors import MRKitError

DATA_CHOICES = ("synthetic", "real", "opengwas", "none")


def prepare(data: str = "synthetic", panel_size: str = "full", panel_seed: int | None = None) -> str:
    """Make the data available and return a fingerprint that changes whenever the data change.

    ``panel_seed`` picks the synthetic panel (default :data:`mrkit.rng.DEFAULT_PANEL_SEED`); its fingerprint is
    the hash of the panel's manifest, which records the panel seed, the size, the calibration, the generator
    code and every file's checksum. The seed of an analysis's random draws is not part of the data.
    """
    if data == "none":
        return "none"
    if data == "synthetic":
        from ..simulate import ensure_panel

        folder = ensure_panel(size=panel_size, seed=panel_seed)
        return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    if data == "real":
        from ..gwas.sources import load_sources, resolve

        h = hashlib.sha256()
        for trait in sorted(load_sources()):
            path, fmt = resolve(trait)
            stat = path.stat()
            h.update(json.dumps([trait, str(path), fmt, stat.st_size, stat.st_mtime_ns]).encode())
        return h.hexdigest()
    if data == "opengwas":  # the datasets' gwasinfo (asked once, then cached) and the cache's refresh mark
        from .opengwas_data import fingerprint

        return fingerprint()
    raise MRKitError(f"unknown data choice {data!r}; expected one of {DATA_CHOICES}")
