"""Load and check ``data/calibration.toml``: what the synthetic panel is calibrated to, and why.

The calibration holds the study's sample sizes and published causal effects, and the design choices
(numbers of causal variants, variance they explain) that give instrument counts like the real GWAS.
The loader refuses a file that is incomplete or inconsistent (for instance an ``expected_loci`` that
the other numbers do not imply), naming the key, so the documentation cannot drift from the model.

References
----------
Luo J, Yao W, Tao Y, Wang H, Yan C (2022) Causal association of sleep disturbances and low back pain:
a bidirectional two-sample Mendelian randomization study. Front Neurosci 16:1074605.
Bulik-Sullivan BK et al. (2015) LD Score regression distinguishes confounding from polygenicity in
genome-wide association studies. Nat Genet 47:291-295 (non-centrality N h2 / M per variant).
"""
from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import special

from ..errors import InputError
from ..methods.distributions import norm_cdf, norm_isf, norm_sf
from ..paths import DATA_DIR

CALIBRATION_PATH = DATA_DIR / "calibration.toml"
TRAITS = ("insomnia", "sleep_duration", "short_sleep", "long_sleep", "daytime_sleepiness", "lbp", "bmi")
FORMATS = ("finngen", "neale", "gwasvcf")
#: Variance of the standard logistic distribution: the latent scale of log-odds effects.
LOGISTIC_VARIANCE = math.pi ** 2 / 3
LOCI_TOLERANCE = 0.15
#: which way the outlier's ratio deviates from the causal effect: along it, against it, or a sign
#: drawn from the seed (no net bias over seeds)
OUTLIER_SIGNS = ("along", "against", "random")


@dataclass(frozen=True)
class TraitCalibration:
    """One trait: sample size, scale, planted genetic architecture and file format."""

    key: str
    label: str
    kind: str  # "continuous" | "binary"
    units: str
    n: float
    ncase: float
    ncontrol: float
    mean: float
    sd: float
    n_causal: int
    h2_planted: float
    p_threshold: float
    expected_loci: float
    format: str
    file: str
    study_id: str

    @property
    def binary(self) -> bool:
        return self.kind == "binary"

    @property
    def case_fraction(self) -> float:
        return self.ncase / self.n if self.binary else math.nan

    @property
    def sd_effective(self) -> float:
        """``se = sd_effective / sqrt(2 f (1-f) N)``: sd of y, or 1/sqrt(phi(1-phi)) for log odds."""
        if self.binary:
            phi = self.case_fraction
            return 1.0 / math.sqrt(phi * (1.0 - phi))
        return self.sd

    @property
    def latent_variance(self) -> float:
        """Variance that ``h2_planted`` is a share of (phenotypic, or logistic latent pi^2/3)."""
        return LOGISTIC_VARIANCE if self.binary else self.sd ** 2

    @property
    def n_effective(self) -> float:
        """Chi-square non-centrality per unit of variance explained: NCP = n_effective * h2_j."""
        return self.n * self.latent_variance / self.sd_effective ** 2


@dataclass(frozen=True)
class SizeCalibration:
    name: str
    n_variants: int
    n_reference: int
    neighbours: int


@dataclass(frozen=True)
class Calibration:
    """Everything the generator reads from the calibration file."""

    path: Path
    sha256: str
    trait_order: tuple[str, ...]
    traits: dict[str, TraitCalibration]
    chromosome_lengths: tuple[int, ...]
    n_ld_blocks: int
    ld_decay_kb: float
    maf_min: float
    causal_maf_min: float
    palindromic_share: float
    transition_share: float
    lbp_fst: float
    sizes: dict[str, SizeCalibration]
    causal_effects: tuple[dict, ...]
    pleiotropy_fraction: float
    pleiotropy_sd_se: float
    outlier: dict = field(default_factory=dict)
    #: pleiotropic effects drawn in +/- pairs of like-strength variants (balanced within each trait)
    pleiotropy_pairs: bool = False
    #: traits whose causal variants partly act on each other too (shared instruments), the share of each
    #: trait's variants that do, and their effect on each other trait in units of their own standardised effect
    shared_traits: tuple[str, ...] = ()
    shared_fraction: float = 0.0
    shared_scale: float = 0.0

    def effect_matrix(self) -> np.ndarray:
        """B with ``B[outcome, exposure]`` = direct causal effect; zero elsewhere.

        An edge with ``or`` plants log(or) as the direct effect. An edge with ``total_or`` plants the direct
        effect that makes the exposure's *total* effect on the outcome, the ratio a variant acting only on
        the exposure shows (:func:`ratio_estimand`, what univariable MR estimates), equal to log(total_or):
        the rest of the total then flows through the other edges (a mediator).
        """
        index = {t: i for i, t in enumerate(self.trait_order)}
        b = np.zeros((len(index), len(index)))
        for edge in self.causal_effects:
            if "or" in edge:
                b[index[edge["outcome"]], index[edge["exposure"]]] = math.log(edge["or"])
        for edge in self.causal_effects:
            if "total_or" in edge:
                o, e = index[edge["outcome"]], index[edge["exposure"]]
                b[o, e] = 0.0
                b[o, e] = math.log(edge["total_or"]) - ratio_estimand(b)[o, e]  # the ratio is linear in b[o, e]
        return b


def ratio_estimand(b: np.ndarray) -> np.ndarray:
    """``R[o, e]`` = ratio of the total effects on o and on e of a variant acting only on e.

    With M = (I - B)^-1, R[o, e] = M[o, e] / M[e, e]: the sum over every causal path from e to o that does
    not return to e, i.e. what univariable MR with e's own instruments estimates (the total effect,
    mediators included). R[e, e] = 1.
    """
    m = np.linalg.inv(np.eye(b.shape[0]) - b)
    return m / np.diag(m)[None, :]


def mv_estimand(b: np.ndarray, exposures: list[int], outcome: int) -> np.ndarray:
    """What multivariable MR of ``exposures`` (indices into B) on ``outcome`` estimates for each exposure, shape (K,).

    The effect of exposure e on the outcome with the other exposures of the model held fixed: the ratio estimand
    (:func:`ratio_estimand`) in the graph where every edge into the other exposures is cut. A mediator in the
    model removes its path; one left out of the model stays in (so with one exposure this is the total effect,
    and with every mediator included the direct edge B[outcome, e], as in Sanderson et al. 2019, Int J Epidemiol
    48:713-727).
    """
    out = np.empty(len(exposures))
    for k, e in enumerate(exposures):
        cut = b.copy()
        for other in exposures:
            if other != e:
                cut[other, :] = 0.0
        out[k] = ratio_estimand(cut)[outcome, e]
    return out


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _need(table: dict, key: str, where: str, path: Path, kind=(int, float)):
    if key not in table:
        raise InputError(f"missing key {key!r}", file=str(path), column=f"{where}.{key}")
    value = table[key]
    if kind is not None and not isinstance(value, kind) or isinstance(value, bool):
        raise InputError(f"{value!r} is not of type {getattr(kind, '__name__', kind)}",
                         file=str(path), column=f"{where}.{key}")
    return value


def _positive(value: float, key: str, path: Path, upper: float | None = None) -> float:
    if not (value > 0 and (upper is None or value < upper)):
        bound = f" and below {upper}" if upper is not None else ""
        raise InputError(f"{value!r} must be positive{bound}", file=str(path), column=key)
    return value


def _trait(key: str, raw: dict, path: Path) -> TraitCalibration:
    where = f"traits.{key}"
    kind = _need(raw, "kind", where, path, str)
    if kind not in ("continuous", "binary"):
        raise InputError(f"kind {kind!r} is not 'continuous' or 'binary'", file=str(path), column=f"{where}.kind")
    if kind == "binary":
        ncase = float(_positive(_need(raw, "ncase", where, path), f"{where}.ncase", path))
        ncontrol = float(_positive(_need(raw, "ncontrol", where, path), f"{where}.ncontrol", path))
        n, mean, sd = ncase + ncontrol, math.nan, math.nan
    else:
        n = float(_positive(_need(raw, "n", where, path), f"{where}.n", path))
        ncase = ncontrol = math.nan
        mean = float(_need(raw, "mean", where, path))
        sd = float(_positive(_need(raw, "sd", where, path), f"{where}.sd", path))
    fmt = _need(raw, "format", where, path, str)
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r} is not one of {FORMATS}", file=str(path), column=f"{where}.format")
    n_causal = _need(raw, "n_causal", where, path, int)
    _positive(n_causal, f"{where}.n_causal", path)
    return TraitCalibration(
        key=key, label=_need(raw, "label", where, path, str), kind=kind, units=_need(raw, "units", where, path, str),
        n=n, ncase=ncase, ncontrol=ncontrol, mean=mean, sd=sd, n_causal=int(n_causal),
        h2_planted=float(_positive(_need(raw, "h2_planted", where, path), f"{where}.h2_planted", path, 1.0)),
        p_threshold=float(_positive(_need(raw, "p_threshold", where, path), f"{where}.p_threshold", path, 1.0)),
        expected_loci=float(_need(raw, "expected_loci", where, path)), format=fmt,
        file=_need(raw, "file", where, path, str), study_id=str(raw.get("study_id", f"synthetic-{key}")))


def load_calibration(path: str | Path | None = None) -> Calibration:
    """Read and validate the calibration file (default ``data/calibration.toml``)."""
    path = Path(path) if path is not None else CALIBRATION_PATH
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("calibration file not found", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None
    order = tuple(doc.get("trait_order", ()))
    if sorted(order) != sorted(TRAITS):
        raise InputError(f"trait_order must list exactly {TRAITS}", file=str(path), column="trait_order")
    raw_traits = doc.get("traits", {})
    traits = {}
    for key in order:
        if key not in raw_traits:
            raise InputError(f"no [traits.{key}] table", file=str(path), column=f"traits.{key}")
        traits[key] = _trait(key, raw_traits[key], path)
    genome = doc.get("genome", {})
    lengths = tuple(int(v) for v in _need(genome, "chromosome_lengths", "genome", path, list))
    if len(lengths) != 22 or min(lengths) <= 0:
        raise InputError("chromosome_lengths must give 22 positive autosome lengths", file=str(path),
                         column="genome.chromosome_lengths")
    sizes = {}
    for name, raw in doc.get("sizes", {}).items():
        where = f"sizes.{name}"
        sizes[name] = SizeCalibration(name, int(_need(raw, "n_variants", where, path, int)),
                                      int(_need(raw, "n_reference", where, path, int)), int(raw.get("neighbours", 0)))
    for name in ("full", "small"):
        if name not in sizes:
            raise InputError(f"no [sizes.{name}] table", file=str(path), column=f"sizes.{name}")
    edges = tuple(doc.get("causal_effects", ()))
    for i, edge in enumerate(edges):
        for key in ("exposure", "outcome"):
            if edge.get(key) not in traits:
                raise InputError(f"{edge.get(key)!r} is not a trait", file=str(path),
                                 column=f"causal_effects[{i}].{key}")
        key = "total_or" if "total_or" in edge else "or"
        if "total_or" in edge and "or" in edge:
            raise InputError("give either 'or' (direct effect) or 'total_or', not both", file=str(path),
                             column=f"causal_effects[{i}]")
        _positive(_need(edge, key, f"causal_effects[{i}]", path), f"causal_effects[{i}].{key}", path)
    pleio = doc.get("pleiotropy", {})
    outlier = dict(doc.get("outlier", {}))
    for key in ("exposure", "outcome"):
        if outlier and outlier.get(key) not in traits:
            raise InputError(f"{outlier.get(key)!r} is not a trait", file=str(path), column=f"outlier.{key}")
    if outlier:
        outlier.setdefault("sign", "against" if _need(outlier, "direct_se", "outlier", path) < 0 else "along")
        if outlier["sign"] not in OUTLIER_SIGNS:
            raise InputError(f"sign {outlier['sign']!r} is not one of {OUTLIER_SIGNS}", file=str(path),
                             column="outlier.sign")
        _positive(_need(outlier, "exposure_z", "outlier", path), "outlier.exposure_z", path)
    pairs = pleio.get("pairs", False)
    if not isinstance(pairs, bool):
        raise InputError(f"{pairs!r} is not true or false", file=str(path), column="pleiotropy.pairs")
    shared = doc.get("shared_instruments", {})
    shared_traits = tuple(shared.get("traits", ()))
    for t in shared_traits:
        if t not in traits:
            raise InputError(f"{t!r} is not a trait", file=str(path), column="shared_instruments.traits")
    shared_fraction = float(shared.get("fraction", 0.0))
    if not 0.0 <= shared_fraction < 0.5:
        raise InputError(f"{shared_fraction!r} must be in [0, 0.5)", file=str(path),
                         column="shared_instruments.fraction")
    cal = Calibration(
        path=path, sha256=_hash(path), trait_order=order, traits=traits, chromosome_lengths=lengths,
        n_ld_blocks=int(_need(genome, "n_ld_blocks", "genome", path, int)),
        ld_decay_kb=float(_need(genome, "ld_decay_kb", "genome", path)),
        maf_min=float(_need(genome, "maf_min", "genome", path)),
        causal_maf_min=float(_need(genome, "causal_maf_min", "genome", path)),
        palindromic_share=float(_need(genome, "palindromic_share", "genome", path)),
        transition_share=float(_need(genome, "transition_share", "genome", path)),
        lbp_fst=float(genome.get("lbp_fst", 0.0)), sizes=sizes, causal_effects=edges,
        pleiotropy_fraction=float(_need(pleio, "fraction", "pleiotropy", path)),
        pleiotropy_sd_se=float(_need(pleio, "sd_se", "pleiotropy", path)), outlier=outlier,
        pleiotropy_pairs=pairs, shared_traits=shared_traits, shared_fraction=shared_fraction,
        shared_scale=float(shared.get("scale", 0.0)))
    _check_consistency(cal)
    return cal


def standardized_magnitudes(n_causal: int) -> np.ndarray:
    """Normal quantiles at (k - 1/2)/M, rescaled to mean square 1: a stratified draw of effects.

    Fixing the effect distribution (rather than drawing it) makes the variance the planted variants
    explain exactly ``h2_planted`` and the expected number of loci a property of the calibration.
    """
    q = special.ndtri((np.arange(n_causal) + 0.5) / n_causal)
    return q / np.sqrt(np.mean(q ** 2))


def expected_loci(trait: TraitCalibration, p_threshold: float | None = None) -> float:
    """Expected number of causal variants whose z passes ``p_threshold`` (one per LD block).

    Variant j has joint z_j = b_j sqrt(n_effective h2 / M) with b_j the stratified magnitudes, and
    observed z ~ N(z_j, 1).
    """
    p = trait.p_threshold if p_threshold is None else p_threshold
    threshold = norm_isf(p / 2)
    z = standardized_magnitudes(trait.n_causal) * math.sqrt(trait.n_effective * trait.h2_planted / trait.n_causal)
    return float(np.sum(norm_sf(threshold - z) + norm_cdf(-threshold - z)))


def _check_consistency(cal: Calibration) -> None:
    for key, trait in cal.traits.items():
        implied = expected_loci(trait)
        if abs(implied - trait.expected_loci) > LOCI_TOLERANCE * max(trait.expected_loci, 1.0):
            raise InputError(f"expected_loci = {trait.expected_loci:g} but n_causal, h2_planted and the sample "
                             f"size imply {implied:.1f} at p < {trait.p_threshold:g}", file=str(cal.path),
                             column=f"traits.{key}.expected_loci")
