"""The analysis of one MR direction (exposure -> outcome) as one typed result that saves and loads itself.

:func:`analyse` takes a harmonised table (TwoSampleMR columns, from any source: the book's
:class:`~mrkit.paper.study.Study`, or a user's own exposure and outcome files) and the two traits
(:class:`Trait`: key, label, units, binary or not), and runs everything the MR page shows: the estimates of
every method (:func:`mrkit.mr`), heterogeneity and the MR-Egger intercept (:func:`mrkit.heterogeneity`,
:func:`mrkit.pleiotropy`), MR-PRESSO, Steiger directionality, leave-one-out and single-SNP estimates. It
returns one :class:`DirectionResult`, which also records the harmonisation log, the instruments' strength,
the convention, the analysis ``seed`` and the page's other parameters.

:meth:`DirectionResult.save` writes the result as one JSON file with a format name and version
(:data:`FORMAT`, :data:`VERSION`); :meth:`DirectionResult.load` reads it back with the same tables, dtypes
and numbers (floats are written exactly; a missing or infinite number is written as ``null`` and read back as
missing) and refuses, naming the file, a file of another format or version. The results, limitations and
reproducibility pages read the MR pages' results with :func:`load_directions`.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MRKitError
from ..json_values import json_value
from ..paths import write_atomic
from ..rng import resolve_seed

__all__ = ["FORMAT", "VERSION", "METHODS", "every_robust_method", "Trait", "Pleiotropy", "Presso", "Steiger",
           "InstrumentSummary", "DirectionResult", "ResultFormatError", "analyse", "load_directions", "write_document",
           "read_document", "used_instruments", "mean_f"]

#: Name and version of the saved file's format; a file of another version is refused on load.
FORMAT = "mrkit.paper.direction"
VERSION = 2
#: The methods of the MR page, in the order of its estimates table.
METHODS = ("ivw", "ivw_fe", "ivw_mre", "egger", "simple_median", "weighted_median", "penalised_weighted_median",
           "simple_mode", "weighted_mode", "ml", "raps")
#: MR-PRESSO's simulated distributions on the MR page (R's ``NbDistribution``; TwoSampleMR's wrapper uses 1000).
PRESSO_N = 3000


class ResultFormatError(MRKitError):
    """A saved result file that is not a direction result of this format version; the message names the file."""


@dataclass(frozen=True)
class Trait:
    """A trait as the pages name it: its key, label (``"Low back pain"``), units in a few words, and whether it
    is binary (case-control: its GWAS effects are log odds ratios)."""

    key: str
    label: str
    units: str = ""
    binary: bool = False

    @property
    def effect_unit(self) -> str:
        """What one unit of an MR estimate on this trait, as the outcome, means to a reader."""
        if self.binary:
            return f"log odds of {self.label.lower()}"
        return f"{self.label.lower()} ({self.units})" if self.units else self.label.lower()

    @property
    def exposure_scale(self) -> str:
        """How one unit of this trait as an exposure reads."""
        if self.binary:
            return f"per unit increase in the log odds of {self.label.lower()} (genetic liability)"
        return f"per unit of {self.label.lower()}" + (f" ({self.units})" if self.units else "")


@dataclass(frozen=True)
class Pleiotropy:
    """The MR-Egger intercept (outcome units per effect allele), its SE and p-value, the p-value's distribution
    and I²_GX (:func:`mrkit.pleiotropy`)."""

    intercept: float
    se: float
    p: float
    i2gx: float
    distribution: str = ""


@dataclass(frozen=True)
class Presso:
    """What the MR page reports of MR-PRESSO (:func:`mrkit.methods.presso.mr_presso`): the global test
    (``global_p`` 0 means below ``1 / n_distributions``), the outliers' ids, the raw and outlier-corrected IVW rows
    (``estimate, sd, t_stat, p``), the distortion test's p-value, the number of distributions and the seed."""

    global_rss: float
    global_p: float
    global_p_text: str
    n_distributions: int
    seed: int
    outliers: list[str]
    raw: dict[str, float] | None
    corrected: dict[str, float] | None
    distortion_p: float | None = None


@dataclass(frozen=True)
class Steiger:
    """Steiger directionality (TwoSampleMR ``directionality_test``): variance explained by the instruments in
    the exposure and in the outcome, the test statistic and p-value, the r² rule used and a note."""

    r2_exposure: float
    r2_outcome: float
    z: float
    steiger_pval: float
    correct_causal_direction: bool
    rule: str = ""
    note: str = ""


@dataclass(frozen=True)
class InstrumentSummary:
    """The instruments used (rows with ``mr_keep``): their number, mean F = mean (β_X / SE_X)², the variance of
    the exposure they explain (Steiger's R², NaN without it) and the median outcome sample size (NaN without)."""

    nsnp: int
    mean_f: float
    r2_exposure: float
    samplesize_outcome: float


@dataclass(eq=False)  # holds DataFrames: compare the fields, not the objects
class DirectionResult:
    """Everything the MR page computes for one direction; :meth:`save` / :meth:`load` write and read it.

    Tables (pandas DataFrames): ``harmonised`` (the input, with ``attrs``), ``estimates`` (one row per method of
    the page's table, :func:`mrkit.mr`), ``heterogeneity``, ``leave_one_out``, ``single_snp``, ``robust`` (every
    univariable method of the registry, :func:`every_robust_method`: the page's robust-methods
    section, laid out by :mod:`mrkit.paper.robust`). ``presso`` and ``steiger`` are None
    when the data do not allow them (fewer than four instruments; no sample sizes), with the reason in ``notes``.
    ``parameters`` holds what the page was given besides the convention and seed (p-value threshold, data,
    panel size and panel seed, MR-PRESSO distributions, methods); ``planted`` the true effect on synthetic data.
    """

    exposure: Trait
    outcome: Trait
    convention: str
    seed: int
    parameters: dict[str, Any]
    harmonised: pd.DataFrame
    estimates: pd.DataFrame
    heterogeneity: pd.DataFrame
    pleiotropy: Pleiotropy
    presso: Presso | None
    steiger: Steiger | None
    leave_one_out: pd.DataFrame
    single_snp: pd.DataFrame
    robust: pd.DataFrame
    instruments: InstrumentSummary
    harmonisation_log: dict[str, int]
    planted: float | None = None
    opengwas_queries: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def page(self) -> str:
        """The page id of the direction in the book, ``mr-<exposure>-to-<outcome>``."""
        return f"mr-{self.exposure.key}-to-{self.outcome.key}"

    def method(self, name: str) -> pd.Series | None:
        """The estimates row of method ``name`` (None when it was not run)."""
        rows = self.estimates[self.estimates["method"] == name]
        return rows.iloc[0] if len(rows) else None

    # -- the file ---------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON document :meth:`save` writes (format name and version first)."""
        doc: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                doc[f.name] = _frame_to_json(value)
            elif value is not None and f.name in _RECORDS:
                doc[f.name] = asdict(value)
            else:
                doc[f.name] = value
        return _json_value(doc)

    def save(self, path: str | Path) -> Path:
        """Write the result to ``path`` (JSON, atomically: a failure leaves any previous file as it was)."""
        return write_document(path, self.to_dict())

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], where: str = "the result") -> DirectionResult:
        """The result of a document :meth:`to_dict` made; :class:`ResultFormatError` for another format/version."""
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
            raise ResultFormatError(f"{where}: not a saved MR direction result (no format {FORMAT!r}); it was written "
                                    "by something else or by an mrkit older than the format: re-run the MR page")
        if doc.get("version") != VERSION:
            raise ResultFormatError(f"{where}: a direction result of format version {doc.get('version')!r}; this mrkit "
                                    f"reads version {VERSION} only: re-run the MR page to write it again")
        try:
            values: dict[str, Any] = {}
            for f in fields(cls):
                value = doc.get(f.name) if f.default is None else doc[f.name]  # only planted may be absent
                if f.name in _TABLES:
                    value = _frame_from_json(value)
                elif f.name in _RECORDS and value is not None:
                    value = _record(_RECORDS[f.name], value)
                values[f.name] = value
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultFormatError(f"{where}: a damaged direction result ({type(exc).__name__}: {exc})") from None
        return cls(**values)

    @classmethod
    def load(cls, path: str | Path) -> DirectionResult:
        """Read a result :meth:`save` wrote; :class:`ResultFormatError` names the file when it is not one."""
        return cls.from_dict(read_document(path), str(path))


def write_document(path: str | Path, doc: Mapping[str, Any]) -> Path:
    """Write a JSON document (plain values: no NaN) to ``path`` atomically; the path."""
    path = Path(path)
    write_atomic(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")
    return path


def read_document(path: str | Path) -> Any:
    """The JSON document in ``path``; :class:`ResultFormatError` naming the file when it is not valid JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ResultFormatError(f"{path}: not valid JSON ({exc})") from None


_TABLES = ("harmonised", "estimates", "heterogeneity", "leave_one_out", "single_snp", "robust")
_RECORDS = {"exposure": Trait, "outcome": Trait, "pleiotropy": Pleiotropy, "presso": Presso, "steiger": Steiger,
            "instruments": InstrumentSummary}
_FLOAT_FIELD = {(cls, f.name): f.type == "float" for cls in set(_RECORDS.values()) for f in fields(cls)}


def _record(cls: type, values: Mapping[str, Any]) -> Any:
    """``cls(**values)``, a missing number (JSON null) of a ``float`` field read back as NaN."""
    unknown = set(values) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} of {cls.__name__}")
    return cls(**{k: math.nan if v is None and _FLOAT_FIELD[cls, k] else v for k, v in values.items()})


def _plain(v: Any) -> Any:
    """What :func:`mrkit.json_values.json_value` leaves to its caller: pandas' missing values, paths, mappings."""
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, Mapping):
        return dict(v)
    raise TypeError(f"cannot write {type(v).__name__} to a direction result")


def _json_value(v: Any) -> Any:
    """``v`` with numpy scalars and arrays as Python values and non-finite floats as None (JSON has no NaN)."""
    return json_value(v, default=_plain)


def _frame_to_json(df: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame as columns, dtypes, column-wise values and ``attrs`` (index dropped: the tables have none)."""
    return {"columns": [str(c) for c in df.columns], "dtypes": [str(t) for t in df.dtypes],
            "data": [df[c].tolist() for c in df.columns], "attrs": dict(df.attrs)}


def _frame_from_json(doc: Mapping[str, Any]) -> pd.DataFrame:
    columns, dtypes, data = doc["columns"], doc["dtypes"], doc["data"]
    if not len(columns) == len(dtypes) == len(data):
        raise ValueError("a table's columns, dtypes and data differ in length")
    out = pd.DataFrame({c: _column(values, dtype) for c, dtype, values in zip(columns, dtypes, data)})
    out.attrs.update(doc.get("attrs") or {})
    return out


def _column(values: list, dtype: str) -> pd.Series:
    if dtype.startswith(("float", "Float")):
        return pd.Series([np.nan if v is None else v for v in values], dtype=dtype)
    return pd.Series(values, dtype=dtype)


# -- the analysis ---------------------------------------------------------------------------------------------
def analyse(harmonised: pd.DataFrame, exposure: Trait, outcome: Trait, *, convention: str = "twosamplemr",
            seed: int | None = None, presso_n: int = PRESSO_N, methods: Sequence[str] = METHODS,
            robust_methods: Sequence[str] | None = None, planted: float | None = None,
            parameters: Mapping[str, Any] | None = None, opengwas_queries: Iterable[str] = ()) -> DirectionResult:
    """Every estimate and diagnostic of the MR page for one direction, as one :class:`DirectionResult`.

    Parameters
    ----------
    harmonised : DataFrame
        Harmonised instruments in TwoSampleMR's columns (``beta.exposure``, ``se.exposure``, ``beta.outcome``,
        ``se.outcome``, ``SNP``, ``mr_keep``; ``samplesize.*`` and ``pval.*`` for Steiger), e.g. from
        :meth:`mrkit.paper.study.Study.harmonised`; its ``attrs["log"]`` is kept as the harmonisation log.
    exposure, outcome : Trait
        The two traits, as the page names them.
    convention : str
        ``"twosamplemr"`` or ``"mendelianrandomization"`` (``mrkit.mr``'s conventions), recorded in every row.
    seed : int, optional
        Seed of the random draws: bootstrap SEs and MR-PRESSO (default :data:`mrkit.rng.DEFAULT_SEED`).
    presso_n : int
        MR-PRESSO's simulated distributions.
    methods : sequence of str
        Methods of :func:`mrkit.mr` of the estimates table (default :data:`METHODS`).
    robust_methods : sequence of str, optional
        Methods of the robust-methods section (default: every univariable method,
        :func:`every_robust_method`). Both sets are estimated in one :func:`mrkit.mr` call (a
        method's numbers do not depend on which others run with it).
    planted : float, optional
        The true causal effect, on synthetic data.
    parameters : mapping, optional
        What else the page was given (p-value threshold, data, panel size, panel seed), recorded as is.
    opengwas_queries : iterable of str
        Cache keys of the OpenGWAS answers the data came from (the Reproducibility page lists them).

    Raises
    ------
    mrkit.errors.MRKitError
        From :func:`mrkit.mr` when the table lacks a required column or has no usable instrument.
    """
    import mrkit

    from ..methods.presso import mr_presso
    from ..methods.steiger import steiger_directionality
    seed = resolve_seed(seed)
    kept = used_instruments(harmonised)
    robust_ids = list(every_robust_method() if robust_methods is None else robust_methods)
    both = mrkit.mr(harmonised, methods=list(dict.fromkeys([*methods, *robust_ids])), convention=convention,
                    seed=seed, presso_n=presso_n)
    estimates, robust = (_rows_of(both, ids) for ids in (list(methods), robust_ids))
    het = mrkit.heterogeneity(harmonised, convention=convention)
    pleio = mrkit.pleiotropy(harmonised, convention=convention)
    notes: list[str] = []
    presso = steiger = None
    try:
        p = mr_presso(kept["beta.exposure"].to_numpy(), kept["se.exposure"].to_numpy(),
                      kept["beta.outcome"].to_numpy(), kept["se.outcome"].to_numpy(),
                      snp=kept["SNP"].tolist(), n_distributions=presso_n, seed=seed)
        presso = Presso(global_rss=p.global_rss, global_p=p.global_p, global_p_text=p.global_p_text,
                        n_distributions=p.n_distributions, seed=p.seed, outliers=[str(o) for o in p.outliers],
                        raw=p.raw, corrected=p.corrected, distortion_p=p.distortion_p)
    except MRKitError as exc:
        notes.append(f"MR-PRESSO not run: {exc}")
    try:
        s = steiger_directionality(kept)
        steiger = Steiger(r2_exposure=s["r2_exposure"], r2_outcome=s["r2_outcome"], z=s["z"],
                          steiger_pval=s["steiger_pval"], correct_causal_direction=bool(s["correct_causal_direction"]),
                          rule=str(s.get("rule", "")), note=str(s.get("note", "")))
    except MRKitError as exc:  # the reason without the location prefix: the message names the column
        notes.append(f"Steiger directionality not computed: {getattr(exc, 'message', exc)}")
    first = pleio.iloc[0] if len(pleio) else {}
    samplesize = kept["samplesize.outcome"].median() if "samplesize.outcome" in kept else np.nan
    result = DirectionResult(
        exposure=exposure, outcome=outcome, convention=convention, seed=seed,
        parameters={**(parameters or {}), "presso_n": presso_n, "methods": list(methods),
                    "robust_methods": robust_ids},
        harmonised=harmonised, estimates=estimates, heterogeneity=het,
        pleiotropy=Pleiotropy(intercept=first.get("intercept", np.nan), se=first.get("se", np.nan),
                              p=first.get("p", np.nan), i2gx=first.get("i2gx", np.nan),
                              distribution=str(first.get("distribution", ""))),
        presso=presso, steiger=steiger,
        leave_one_out=mrkit.leave_one_out(harmonised, convention=convention),
        single_snp=mrkit.single_snp(harmonised, convention=convention), robust=robust,
        instruments=InstrumentSummary(nsnp=len(kept), mean_f=mean_f(kept),
                                      r2_exposure=steiger.r2_exposure if steiger else np.nan,
                                      samplesize_outcome=samplesize),
        harmonisation_log={str(k): int(v) for k, v in dict(harmonised.attrs.get("log", {})).items()},
        planted=planted, opengwas_queries=list(opengwas_queries), notes=notes)
    # one representation whether computed here or loaded from a file: numbers as Python floats, NaN for missing
    return DirectionResult.from_dict(result.to_dict())


def every_robust_method() -> tuple[str, ...]:
    """The ids an MR page's robust section runs: every univariable method of the registry but the Wald ratio (one
    variant only) and those that need an LD matrix (:data:`mrkit.methods.correlated.NEEDS_LD`: the page's clumped
    instruments are independent, where they are IVW and MR-Egger); HetPen runs where the direction has at most 20
    instruments, and says why not above."""
    from ..methods.correlated import NEEDS_LD
    from ..methods.registry import method_ids

    return tuple(m for m in method_ids() if m != "wald_ratio" and m not in NEEDS_LD)


def _rows_of(table: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """The rows of ``methods`` of an :func:`mrkit.mr` table, in that order, with the columns :func:`mrkit.mr` would
    have given for them alone (the standard ones, then these methods' extra quantities)."""
    from ..methods.estimate import TABLE_COLUMNS
    from ..methods.registry import get_method

    labels = [c for c in table.columns[:list(table.columns).index(TABLE_COLUMNS[0])]]
    extras = list(dict.fromkeys(k for m in methods for k in get_method(m).row_keys))
    rows = table.set_index("method", drop=False).loc[methods].reset_index(drop=True)
    out = rows[[*labels, *TABLE_COLUMNS, *[c for c in table.columns if c in extras]]].copy()
    out.attrs = dict(table.attrs)
    return out


def used_instruments(harmonised: pd.DataFrame) -> pd.DataFrame:
    """The rows of a harmonised table that enter MR (``mr_keep``; every row without that column)."""
    return harmonised[harmonised["mr_keep"].astype(bool)] if "mr_keep" in harmonised else harmonised


def mean_f(instruments: pd.DataFrame) -> float:
    """Mean F statistic of the instruments, mean (β_X / SE_X)² over the rows (TwoSampleMR columns)."""
    return float(((instruments["beta.exposure"] / instruments["se.exposure"]) ** 2).mean())


def load_directions(results_dir: str | Path) -> list[DirectionResult]:
    """Every direction result the MR pages saved in ``results_dir`` (``mr-*.json``), in file-name order."""
    return [DirectionResult.load(p) for p in sorted(Path(results_dir).glob("mr-*.json"))]
