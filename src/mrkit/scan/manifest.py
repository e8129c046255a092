"""The scan manifest (TOML): which exposures and outcomes, where their summary statistics are, and how.

Example (paths are relative to the manifest's folder)::

    [settings]
    methods = ["ivw", "egger", "weighted_median"]   # default: mrkit.mr's (TwoSampleMR's plus ml, raps)
    convention = "twosamplemr"                       # or "mendelianrandomization"
    seed = 1                                         # random draws (bootstraps); default mrkit.rng.DEFAULT_SEED
    p_threshold = 5e-8                               # instrument selection; per exposure: p_threshold
    reference = "ref"                                # PLINK prefix to clump against; none: no clumping
    clump_r2 = 0.001
    clump_kb = 10000
    harmonise_action = 2
    min_snps = 1                                     # fewer instruments after harmonisation: a failed pair

    [[exposure]]
    id = "insomnia"
    file = "insomnia.tsv.gz"                         # any format read_sumstats reads; format = "auto"
    [[exposure]]
    id = "lbp"
    file = "lbp.gz"
    p_threshold = 5e-6
    ncase = 13945                                    # sample sizes a file lacks (FinnGen)
    ncontrol = 163915

    [[outcome]]
    id = "trait001"
    file = "phenome/trait001.tsv.gz"
    [[outcome]]
    id = "cad"
    opengwas = "ieu-a-7"                             # an IEU OpenGWAS dataset id instead of a file

    [opengwas]                                       # how OpenGWAS ids are read (defaults: TwoSampleMR's)
    pop = "EUR"                                      # the server's LD reference for clumping top hits
    clump = true                                     # clump on the server at clump_r2 / clump_kb
    proxies = true                                   # LD proxies for outcome variants the dataset lacks
    proxy_r2 = 0.8
    palindromes = true                               # palindromic proxies allowed (resolved by allele frequency)
    maf_threshold = 0.3

    # optional: only these pairs (default: every exposure against every outcome but itself)
    [[pair]]
    exposure = "insomnia"
    outcome = "trait001"

A trait's source is one key: ``file`` (a local GWAS file, read by :func:`mrkit.gwas.io.read_sumstats`) or
``opengwas`` (an IEU OpenGWAS dataset id, read through :class:`mrkit.gwas.opengwas.Client`; files and ids
mix freely in one manifest). Every source kind answers the same two questions: the instruments of an
exposure (a file: selection and LD clumping against ``reference``, :mod:`mrkit.scan.tasks`; an id:
``tophits`` at the exposure's threshold, clumped on the server at ``clump_r2`` / ``clump_kb`` with the
``[opengwas]`` population, as TwoSampleMR's ``extract_instruments``) and the associations of an outcome at
given variants (a file: one streaming read; an id: ``associations`` with LD proxies, as TwoSampleMR's
``extract_outcome_data``; :mod:`mrkit.scan.opengwas`). ``format``, ``columns``, ``n``, ``ncase`` and
``ncontrol`` describe files and are refused on ids (the API gives its own columns and sample sizes).

The ``[opengwas]`` table is not part of the settings' fingerprint: it is recorded in the signature of each
OpenGWAS source instead, so changing it makes only the pairs of OpenGWAS sources stale, and file-only
scans are unaffected by it.
"""
from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..gwas.io.catalogue import FORMAT_NAMES
from ..gwas.opengwas.contract import DATASET_ID
from ..paths import plain_name
from ..rng import DEFAULT_SEED, resolve_seed

__all__ = ["SOURCE_KINDS", "Manifest", "OpenGWASOptions", "Pair", "Settings", "Source", "load_manifest",
           "parse_manifest"]

#: Source kinds a trait may name, and whether this version can read them.
SOURCE_KINDS = {"file": True, "opengwas": True}
#: LD reference populations of the OpenGWAS server (ieugwasr ``tophits(pop=)``).
OPENGWAS_POPULATIONS = ("EUR", "SAS", "EAS", "AFR", "AMR")
FORMATS = ("auto", *FORMAT_NAMES)  # every format mrkit read knows (mrkit.gwas.io.catalogue)


@dataclass(frozen=True)
class Settings:
    """How every pair is analysed (the same for all pairs; recorded in DIR/scan.json)."""

    methods: tuple[str, ...] | None = None
    convention: str = "twosamplemr"
    seed: int = DEFAULT_SEED
    n_boot: int | None = None
    p_threshold: float = 5e-8
    reference: str | None = None
    clump_r2: float = 0.001
    clump_kb: float = 10000.0
    clump_engine: str = "auto"
    harmonise_action: int = 2
    min_snps: int = 1

    def fingerprint(self) -> str:
        """sha256 of the settings: a scan folder holds results of one set of settings only."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class OpenGWASOptions:
    """How OpenGWAS ids are read (the manifest's ``[opengwas]`` table; defaults as TwoSampleMR / ieugwasr)."""

    pop: str = "EUR"
    clump: bool = True
    proxies: bool = True
    proxy_r2: float = 0.8
    palindromes: bool = True
    maf_threshold: float = 0.3

    def request(self, role: str) -> dict[str, Any]:
        """The parameters of a source's requests fixed by these options (``tophits`` for an exposure,
        ``associations`` for an outcome)."""
        if role == "exposure":
            return {"pop": self.pop, "clump": self.clump}
        out: dict[str, Any] = {"proxies": self.proxies}
        if self.proxies:
            out.update(proxy_r2=self.proxy_r2, palindromes=self.palindromes, maf_threshold=self.maf_threshold,
                       pop=self.pop)  # the LD reference of the proxies
        return out


@dataclass(frozen=True)
class Source:
    """One trait in one role: where its summary statistics are and how to read them."""

    id: str
    role: str  # "exposure" | "outcome"
    kind: str  # a key of SOURCE_KINDS
    location: str  # the file's absolute path (kind "file"), or the OpenGWAS id
    format: str = "auto"
    columns: dict[str, str] | None = None
    n: float | None = None
    ncase: float | None = None
    ncontrol: float | None = None
    p_threshold: float | None = None  # exposure: overrides the settings' threshold
    opengwas: dict[str, Any] | None = None  # kind "opengwas": OpenGWASOptions.request(role)

    def signature(self) -> dict[str, Any]:
        """What identifies this input's content: a changed file (or OpenGWAS request) makes its pairs stale."""
        sig: dict[str, Any] = {"kind": self.kind, "location": self.location, "format": self.format}
        if self.opengwas is not None:
            sig["opengwas"] = dict(self.opengwas)
        if self.kind == "file":
            try:
                st = Path(self.location).stat()
                sig.update(bytes=st.st_size, mtime_ns=st.st_mtime_ns)
            except OSError:
                sig.update(bytes=None, mtime_ns=None)
        return sig


@dataclass(frozen=True)
class Pair:
    exposure: str
    outcome: str

    @property
    def name(self) -> str:
        return f"{self.exposure} -> {self.outcome}"


@dataclass(frozen=True)
class Manifest:
    path: Path
    settings: Settings
    exposures: dict[str, Source] = field(default_factory=dict)
    outcomes: dict[str, Source] = field(default_factory=dict)
    pairs: tuple[Pair, ...] = ()
    opengwas: OpenGWASOptions = field(default_factory=OpenGWASOptions)

    def exposure_threshold(self, exposure: str) -> float:
        own = self.exposures[exposure].p_threshold
        return self.settings.p_threshold if own is None else own


_SETTING_TYPES = {"methods": list, "convention": str, "seed": int, "n_boot": int, "p_threshold": float,
                  "reference": str, "clump_r2": float, "clump_kb": float, "clump_engine": str,
                  "harmonise_action": int, "min_snps": int}
_TRAIT_KEYS = {"id", "file", "opengwas", "format", "columns", "n", "ncase", "ncontrol", "p_threshold"}
_FILE_ONLY_KEYS = ("format", "columns", "n", "ncase", "ncontrol")


def _number(value: Any, kind: type, where: str, path: Path) -> Any:
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind in (str, list) and isinstance(value, kind):
        return value
    raise InputError(f"{where} must be {kind.__name__}, got {value!r}", file=str(path), column=where)


def _settings(raw: dict, path: Path, base: Path) -> Settings:
    unknown = sorted(set(raw) - set(_SETTING_TYPES))
    if unknown:
        raise InputError(f"unknown setting(s) {unknown}; known: {sorted(_SETTING_TYPES)}", file=str(path),
                         column=f"settings.{unknown[0]}")
    values = {k: _number(v, _SETTING_TYPES[k], f"settings.{k}", path) for k, v in raw.items()}
    if "methods" in values:
        from ..methods.estimate import METHODS

        methods = [str(m) for m in values["methods"]]
        bad = [m for m in methods if m not in METHODS]
        if bad or not methods:
            raise InputError(f"unknown method(s) {bad}; choose from {', '.join(METHODS)}" if bad
                             else "methods is empty", file=str(path), column="settings.methods")
        values["methods"] = tuple(dict.fromkeys(methods))
    if "convention" in values:
        from ..methods.conventions import CONVENTIONS

        if values["convention"] not in CONVENTIONS:
            raise InputError(f"convention must be one of {sorted(CONVENTIONS)}, got {values['convention']!r}",
                             file=str(path), column="settings.convention")
    checks = [("p_threshold", lambda v: 0 < v <= 1, "in (0, 1]"), ("clump_r2", lambda v: 0 < v <= 1, "in (0, 1]"),
              ("clump_kb", lambda v: v > 0, "positive"), ("harmonise_action", lambda v: v in (1, 2, 3), "1, 2 or 3"),
              ("min_snps", lambda v: v >= 1, "at least 1"), ("n_boot", lambda v: v >= 2, "at least 2"),
              ("clump_engine", lambda v: v in ("auto", "plink", "numpy"), "auto, plink or numpy")]
    for key, ok, what in checks:
        if key in values and not ok(values[key]):
            raise InputError(f"{key} must be {what}, got {values[key]!r}", file=str(path), column=f"settings.{key}")
    if "reference" in values:
        values["reference"] = str((base / values["reference"]).resolve())
    values["seed"] = resolve_seed(values.get("seed"))
    return Settings(**values)


def _opengwas_options(raw: Any, path: Path) -> OpenGWASOptions:
    if not isinstance(raw, dict):
        raise InputError("[opengwas] must be a table", file=str(path), column="opengwas")
    known = {f.name for f in OpenGWASOptions.__dataclass_fields__.values()}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"unknown key(s) {unknown} in [opengwas]; known: {sorted(known)}", file=str(path),
                         column=f"opengwas.{unknown[0]}")
    for key in ("clump", "proxies", "palindromes"):
        if key in raw and not isinstance(raw[key], bool):
            raise InputError(f"{key} must be true or false, got {raw[key]!r}", file=str(path), column=f"opengwas.{key}")
    if "pop" in raw and raw["pop"] not in OPENGWAS_POPULATIONS:
        raise InputError(f"pop must be one of {OPENGWAS_POPULATIONS}, got {raw['pop']!r}", file=str(path),
                         column="opengwas.pop")
    values = dict(raw)
    for key, ok, what in (("proxy_r2", lambda v: 0 < v <= 1, "in (0, 1]"),
                          ("maf_threshold", lambda v: 0 <= v <= 0.5, "in [0, 0.5]")):
        if key in values:
            values[key] = _number(values[key], float, f"opengwas.{key}", path)
            if not ok(values[key]):
                raise InputError(f"{key} must be {what}, got {values[key]!r}", file=str(path),
                                 column=f"opengwas.{key}")
    return OpenGWASOptions(**values)


def _source(raw: Any, role: str, index: int, path: Path, base: Path,
            options: OpenGWASOptions | None = None) -> Source:
    where = f"{role}[{index}]"
    if not isinstance(raw, dict):
        raise InputError(f"each [[{role}]] must be a table", file=str(path), column=where)
    unknown = sorted(set(raw) - _TRAIT_KEYS)
    if unknown and not any(k in raw for k in SOURCE_KINDS):
        raise InputError(f"unknown key(s) {unknown} in [[{role}]], and no source: the source kinds are "
                         "file = \"PATH\" (a local GWAS file) and opengwas = \"ID\" (an IEU OpenGWAS dataset id "
                         "such as \"ieu-a-2\")",
                         file=str(path), column=f"{where}.{unknown[0]}")
    if unknown:
        raise InputError(f"unknown key(s) {unknown} in [[{role}]]; known: {sorted(_TRAIT_KEYS)}",
                         file=str(path), column=f"{where}.{unknown[0]}")
    trait = raw.get("id")
    if not plain_name(trait):  # it names folders of the scan: matched whole, so never a line end or a "/"
        raise InputError(f"id must be letters, digits, '_', '.' or '-' (starting with a letter or digit), "
                         f"got {trait!r}", file=str(path), column=f"{where}.id")
    kinds = [k for k in SOURCE_KINDS if k in raw]
    if len(kinds) != 1:
        raise InputError(f"{role} {trait!r} needs exactly one source key of {list(SOURCE_KINDS)}, found {kinds}",
                         file=str(path), column=where)
    kind = kinds[0]
    if not SOURCE_KINDS[kind]:
        raise InputError(f"{role} {trait!r}: {kind} sources are not available in this version of mrkit",
                         file=str(path), column=f"{where}.{kind}")
    location = raw[kind]
    if not isinstance(location, str) or not location:
        raise InputError(f"{kind} must be a non-empty string", file=str(path), column=f"{where}.{kind}")
    if kind == "file":
        location = str((base / location).resolve())
    else:
        location = location.strip()
        if not DATASET_ID.fullmatch(location):  # the OpenGWAS client's own rule
            raise InputError(f"opengwas must be a dataset id such as \"ieu-a-2\", got {location!r}", file=str(path),
                             column=f"{where}.opengwas")
        misplaced = [k for k in _FILE_ONLY_KEYS if k in raw]
        if misplaced:
            raise InputError(f"{misplaced[0]} describes a file; {role} {trait!r} is an OpenGWAS id, whose columns "
                             "and sample sizes come from the API", file=str(path), column=f"{where}.{misplaced[0]}")
    fmt = raw.get("format", "auto")
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {FORMATS}, got {fmt!r}", file=str(path), column=f"{where}.format")
    columns = raw.get("columns")
    if columns is not None and not (isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())):
        raise InputError("columns must be a table of schema column = file column", file=str(path),
                         column=f"{where}.columns")
    sizes = {k: _number(raw[k], float, f"{where}.{k}", path) for k in ("n", "ncase", "ncontrol") if k in raw}
    threshold = None
    if "p_threshold" in raw:
        if role != "exposure":
            raise InputError("p_threshold applies to exposures only", file=str(path), column=f"{where}.p_threshold")
        threshold = _number(raw["p_threshold"], float, f"{where}.p_threshold", path)
        if not 0 < threshold <= 1:
            raise InputError(f"p_threshold must be in (0, 1], got {threshold!r}", file=str(path),
                             column=f"{where}.p_threshold")
    api = (options or OpenGWASOptions()).request(role) if kind == "opengwas" else None
    return Source(trait, role, kind, location, fmt, dict(columns) if columns else None, p_threshold=threshold,
                  opengwas=api, **sizes)


def parse_manifest(text: str, path: str | Path = "<manifest>") -> Manifest:
    """A :class:`Manifest` from TOML text; relative paths are resolved against ``path``'s folder.

    Raises
    ------
    InputError
        Naming the manifest (and the TOML line for syntax errors, the key otherwise): unknown keys,
        values of the wrong type, duplicated ids, pairs naming unknown traits, no pairs at all.
    """
    path = Path(path)
    base = path.resolve().parent
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_of(str(exc))
        raise InputError(f"not valid TOML: {exc}", file=str(path), line=line) from None
    unknown = sorted(set(raw) - {"settings", "opengwas", "exposure", "outcome", "pair"})
    if unknown:
        raise InputError(f"unknown section(s) {unknown}; expected [settings], [opengwas], [[exposure]], [[outcome]], "
                         "[[pair]]", file=str(path), column=unknown[0])
    settings = _settings(raw.get("settings", {}), path, base)
    options = _opengwas_options(raw.get("opengwas", {}), path)
    groups: dict[str, dict[str, Source]] = {}
    for role in ("exposure", "outcome"):
        entries = raw.get(role, [])
        if not isinstance(entries, list) or not entries:
            raise InputError(f"the manifest lists no [[{role}]]", file=str(path), column=role)
        group: dict[str, Source] = {}
        for i, entry in enumerate(entries):
            source = _source(entry, role, i, path, base, options)
            if source.id in group:
                raise InputError(f"{role} id {source.id!r} is listed twice", file=str(path), column=f"{role}[{i}].id")
            group[source.id] = source
        groups[role] = group
    exposures, outcomes = groups["exposure"], groups["outcome"]
    if "pair" in raw:
        pairs = []
        for i, entry in enumerate(raw["pair"]):
            e, o = (entry.get("exposure"), entry.get("outcome")) if isinstance(entry, dict) else (None, None)
            if e not in exposures or o not in outcomes:
                raise InputError(f"pair ({e!r}, {o!r}) names an exposure or outcome the manifest does not list",
                                 file=str(path), column=f"pair[{i}]")
            pairs.append(Pair(e, o))
        pairs = list(dict.fromkeys(pairs))
    else:
        pairs = [Pair(e, o) for e in exposures for o in outcomes if e != o]
    if not pairs:
        raise InputError("no exposure-outcome pair to analyse", file=str(path), column="pair")
    return Manifest(path, settings, exposures, outcomes, tuple(pairs), options)


def load_manifest(path: str | Path) -> Manifest:
    """Read and check a manifest file (see :func:`parse_manifest`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such manifest file", file=str(path))
    return parse_manifest(path.read_text(encoding="utf-8"), path)


def _line_of(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None
