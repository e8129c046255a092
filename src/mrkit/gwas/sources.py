"""The study's GWAS sources (``data/sources.toml``) and where each one's file is on this machine.

A source names a trait's GWAS: its OpenGWAS id, units, sample size, citation, the reader format of
the real file and its public download location. :func:`resolve` turns a trait key into a file path
and a reader format, preferring a copy the user points at (argument, ``MRKIT_SOURCE_<TRAIT>``, a
``[local]`` table) over the download cache, so nobody has to download what they already have.

References
----------
Luo J et al. (2022) Causal association of sleep disturbances and low back pain: a bidirectional
two-sample Mendelian randomization study. Front Neurosci 16:1074605 (the sources of the study).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from ..errors import InputError, MRKitError
from ..paths import DATA_DIR, cache_dir

SOURCES_FILE = DATA_DIR / "sources.toml"
REFERENCE = "reference"  # the [reference] table and its [local] override key


class SourceUnavailable(MRKitError):
    """The file of a source is neither downloaded nor pointed at."""


@dataclass(frozen=True)
class Source:
    """One trait's GWAS, as described in ``data/sources.toml``."""

    trait: str
    description: str
    units: str
    format: str
    citation: str
    ancestry: str = ""
    opengwas_id: str = ""
    n: int | None = None
    ncase: int | None = None
    ncontrol: int | None = None
    n_variants: int | None = None
    url: str = ""
    filename: str = ""
    size: int | None = None
    sha256: str = ""
    synthetic_format: str = ""
    prefix: str = ""  # [reference]: PLINK prefix inside the downloaded archive
    local: str = ""  # a local file from a [local] table, when given
    local_format: str = ""

    @property
    def sample_size(self) -> int | None:
        """Total N: ``n``, or cases + controls."""
        if self.n is not None:
            return self.n
        return self.ncase + self.ncontrol if self.ncase is not None and self.ncontrol is not None else None

    @property
    def cache_name(self) -> str:
        return self.filename or (self.url.rstrip("/").rsplit("/", 1)[-1] if self.url else f"{self.trait}.gz")


def _load_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from exc


def _local_overrides(path: Path, doc: dict) -> dict:
    """The ``[local]`` table of the sources file, updated by the one in ``sources.local.toml`` beside it."""
    local = dict(doc.get("local", {}))
    local_file = path.with_name("sources.local.toml")
    if local_file.is_file():
        local.update(_load_toml(local_file).get("local", {}))
    return local


def load_sources(path: str | Path | None = None) -> dict[str, Source]:
    """Trait key -> :class:`Source`, with ``[local]`` overrides from the file and ``sources.local.toml``."""
    path = Path(path) if path is not None else SOURCES_FILE
    if not path.is_file():
        raise InputError("sources file not found", file=str(path))
    doc = _load_toml(path)
    local = _local_overrides(path, doc)
    known = {f.name for f in fields(Source)}
    sources = {}
    for trait, table in doc.get("sources", {}).items():
        unknown = sorted(set(table) - known)
        if unknown:
            raise InputError(f"[sources.{trait}] has unknown key(s) {unknown}", file=str(path))
        missing = [k for k in ("description", "units", "format", "citation") if not table.get(k)]
        if missing:
            raise InputError(f"[sources.{trait}] lacks {missing}", file=str(path))
        override = local.get(trait, "")
        if isinstance(override, dict):
            extra = {"local": str(override.get("path", "")), "local_format": str(override.get("format", ""))}
        else:
            extra = {"local": str(override)}
        sources[trait] = Source(trait=trait, **table, **extra)
    unknown_local = sorted(set(local) - set(sources) - {REFERENCE})
    if unknown_local:
        raise InputError(f"[local] names unknown source(s) {unknown_local}; known: {sorted(sources)}",
                         file=str(path))
    return sources


def reference_source(path: str | Path | None = None) -> Source:
    """The LD reference panel's download (the ``[reference]`` table), as a :class:`Source`."""
    path = Path(path) if path is not None else SOURCES_FILE
    table = dict(_load_toml(path).get(REFERENCE, {}))
    if not table.get("url"):
        raise InputError("no [reference] table with a url", file=str(path))
    return Source(trait=REFERENCE, description=table.get("description", ""), units="", format="plink",
                  citation=table.get("citation", ""), url=table["url"], filename=table.get("filename", ""),
                  sha256=table.get("sha256", ""), prefix=str(table.get("prefix", "")))


def _has_plink(prefix: Path) -> bool:
    return all(prefix.with_name(prefix.name + ext).is_file() for ext in (".bed", ".bim", ".fam"))


def reference_panel(path: str | Path | None = None) -> Path:
    """PLINK prefix of the real-data LD reference panel.

    ``$MRKIT_REFERENCE``, else ``reference`` in a ``[local]`` table, else the panel unpacked in the
    cache by ``mrkit fetch reference``.
    """
    path = Path(path) if path is not None else SOURCES_FILE
    candidates = []
    if os.environ.get("MRKIT_REFERENCE"):
        candidates.append(("MRKIT_REFERENCE", Path(os.environ["MRKIT_REFERENCE"]).expanduser()))
    local = _local_overrides(path, _load_toml(path))
    if local.get(REFERENCE):
        candidates.append(("[local] reference", Path(str(local[REFERENCE])).expanduser()))
    if candidates:
        what, prefix = candidates[0]
        if not _has_plink(prefix):
            raise InputError(f"{what} must be a PLINK prefix with .bed/.bim/.fam files", file=str(prefix))
        return prefix
    source = reference_source(path)
    prefix = reference_dir(source) / source.prefix
    if _has_plink(prefix):
        return prefix
    raise SourceUnavailable("no LD reference panel: run `mrkit fetch reference` or set "
                            "MRKIT_REFERENCE=/path/to/plink_prefix")


def reference_dir(source: Source) -> Path:
    """Where ``mrkit fetch reference`` unpacks the archive: the cache, folder named after it."""
    name = source.cache_name
    for ext in (".tar.gz", ".tgz", ".tar"):
        name = name.removesuffix(ext)
    return cache_dir() / name


def _existing(path: str | Path, what: str) -> Path:
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{what} points at a file that does not exist", file=str(path))
    return path


def resolve(trait: str, *, local: str | Path | None = None,
            sources: dict[str, Source] | None = None) -> tuple[Path, str]:
    """The real GWAS file of ``trait`` and the :func:`mrkit.gwas.io.read_sumstats` format to read it with.

    Order of preference: the ``local`` argument, else ``$MRKIT_SOURCE_<TRAIT>``, else the ``[local]``
    table, else the downloaded file in the cache (``mrkit fetch TRAIT``); local files are format "auto"
    unless their ``[local]`` entry names one. (The synthetic panel's files come from
    :func:`mrkit.simulate.panel_files`.)

    Raises
    ------
    InputError
        Unknown trait, or a local path that does not exist.
    SourceUnavailable
        Neither downloaded nor pointed at.
    """
    sources = load_sources() if sources is None else sources
    if trait not in sources:
        raise InputError(f"unknown trait {trait!r}; sources: {sorted(sources)}")
    source = sources[trait]
    env = f"MRKIT_SOURCE_{trait.upper()}"
    if local is not None:
        return _existing(local, "local="), "auto"
    if os.environ.get(env):
        return _existing(os.environ[env], env), "auto"
    if source.local:
        return _existing(source.local, f"[local] {trait}"), source.local_format or "auto"
    cached = cache_dir() / source.cache_name
    if cached.is_file():
        return cached, source.format
    raise SourceUnavailable(f"no file for {trait!r} ({source.opengwas_id or source.description}): run "
                            f"`mrkit fetch {trait}` or set {env}=/path/to/your/copy")
