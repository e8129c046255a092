"""The one registry of MR method ids: what ``mrkit.mr()``, ``mrkit estimate``, the scan and the simulation study run.

Each id is registered once, by the module of its method family, with :func:`register`::

    register("ivw_fe", lambda data, ctx: mr_ivw(*data, se_model="fixed"), reference="TwoSampleMR mr_ivw_fe")

``run(data, ctx)`` gets ``data = (bx, bxse, by, byse)``, each ``(n_rep, k)``, and a :class:`Context` (the
convention, the seed, the bootstrap size, method options and optional per-pair inputs) and returns the
estimator's result dict (:func:`mrkit.methods.replicates.make_result`); the estimator itself raises
:class:`~mrkit.errors.NotEstimable` when the batch has too few variants. :func:`run_method` runs an id; every
caller runs a method by calling its :class:`Method` (``method(data, ctx)``), which gives the result the
convention's confidence intervals (:func:`mrkit.methods.conventions.apply_convention_ci`) in this one place.

The family modules are imported when the registry is first used (:data:`FAMILIES`, in this order; a new module
of methods adds its name there). A family module imports numpy, scipy.special and mrkit only at its top:
``mrkit estimate`` must not import pandas, pyarrow or scipy.stats/optimize/integrate at start-up.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from .conventions import Convention, apply_convention_ci, get_convention
from .replicates import Batch, as_batch

__all__ = ["FAMILIES", "MV_FAMILIES", "DIAGNOSTICS", "Method", "MVMethod", "Context", "register", "register_mv",
           "method_ids", "mv_method_ids", "get_method", "get_mv_method", "run_method", "method_infos", "method_quirks"]

#: Modules (in :mod:`mrkit.methods`) that register methods, in the order their ids are listed.
FAMILIES = ("wald", "egger", "median", "ivw", "mode", "ml", "raps", "presso",
            "divw", "robust_regression", "mrlasso", "conmix", "cml", "hetpen", "mode_nome", "sign_concordance",
            "grip", "rucker", "egger_bootstrap", "radial", "radial_exact", "correlated", "clr", "pcgmm")
#: Modules that register multivariable methods (:func:`register_mv`), in the order their ids are listed.
MV_FAMILIES = ("mv_ivw", "mv_median", "mrlasso", "mvcml")
#: Modules whose ``METHODS`` describe diagnostics that are not rows of an estimator (the methods chapter lists them).
DIAGNOSTICS = ("mv_diagnostics",)


@dataclass(frozen=True)
class Method:
    """One method id and how to run it.

    Attributes
    ----------
    id : str
        The id users pass (``mrkit estimate --methods``, ``mrkit.mr(methods=...)``).
    run : callable
        ``run(data, ctx) -> result dict``; ``data`` is ``(bx, bxse, by, byse)``, each ``(n_rep, k)``.
    order : {"canonical", "given"}
        The rows ``mrkit.mr()`` passes: ``canonical`` = sorted by SNP id and oriented to bx > 0
        (:meth:`mrkit.methods.mrdata.MRData.canonical`: results depend neither on row order nor on the coded
        allele); ``given`` = the user's rows (R's Nelder-Mead depends on their order).
    row_keys : tuple of str
        Extra result keys ``mrkit.mr()`` puts in the method's row, after the standard columns.
    reference : str
        The R function (package) the method reproduces.
    uses_ld : bool
        Whether the method reads an LD matrix of the variants (option ``ld``); the others assume independent
        variants, and their rows say so when one is given (:func:`mrkit.methods.estimate.method_rows`).
    """

    id: str
    run: Callable[[Batch, Context], dict]
    order: str = "canonical"
    row_keys: tuple[str, ...] = ()
    reference: str = ""
    uses_ld: bool = False

    def __call__(self, data: Batch, ctx: Context) -> dict:
        """``run(data, ctx)`` with every interval of the result the convention's
        (:func:`mrkit.methods.conventions.apply_convention_ci`: under twosamplemr ``estimate -/+ 1.96 se``, as
        TwoSampleMR's ``generate_odds_ratios``). Every caller runs a method this way: the one place that rule is
        applied."""
        return apply_convention_ci(self.run(data, ctx), ctx.convention)


@dataclass
class Context:
    """What a method needs besides the four arrays.

    Attributes
    ----------
    convention : Convention
        The R package whose choices to reproduce (:mod:`mrkit.methods.conventions`).
    seed : int, array of ints or None
        Replicate r draws from ``seed + r`` (an int), or from ``seed[r]`` (an array of n_rep seeds);
        None is :data:`mrkit.rng.DEFAULT_SEED`. See :func:`mrkit.methods.replicates.replicate_rngs`.
    n_boot : int
        Bootstrap draws of the methods that bootstrap (the convention's default unless asked).
    options : mapping
        Method options by name (``ml_optimizer``, ``presso_n``, ...); a method reads its own with a default:
        ``ctx.options.get("presso_n", 1000)``.
    snp : array of str, optional
        Variant ids of the columns (``(k,)``), where the data has them (``mrkit.mr()``).
    inputs : mapping
        Optional per-pair inputs beyond the four arrays, by column name (e.g. ``samplesize.exposure``:
        ``(k,)`` arrays in the variants' order, NaN where missing), where the data has them.
    requested : tuple of str
        Every id asked for in this call (so that two ids can share work: :meth:`shared`).

    A context belongs to one batch of data: :meth:`shared` keeps what was computed on it.
    """

    convention: Convention = field(default_factory=lambda: get_convention("twosamplemr"))
    seed: Any = None
    n_boot: int = 1000
    options: Mapping[str, Any] = field(default_factory=dict)
    snp: np.ndarray | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    requested: tuple[str, ...] = ()
    _shared: dict = field(default_factory=dict, repr=False)

    def shared(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per context: a computation two methods share (the simple and weighted mode's
        bootstrap), keyed by ``key``."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]


@dataclass(frozen=True)
class MVMethod:
    """One multivariable method id: ``run(data, ctx) -> list of result rows`` (one per exposure, with
    ``exposure_index``), ``data`` a :class:`mrkit.methods.mvdata.MVData` (canonical: sorted by variant, oriented),
    ``ctx`` a :class:`Context`; ``row_keys`` the extra keys of its rows :func:`mrkit.mv_mr` keeps (as
    :attr:`Method.row_keys`); ``reference`` the R function it reproduces."""

    id: str
    run: Callable[[Any, Context], list]
    reference: str = ""
    row_keys: tuple[str, ...] = ()

    def __call__(self, data: Any, ctx: Context) -> list:
        """``run(data, ctx)``, each row's interval the convention's (as :meth:`Method.__call__`)."""
        return [apply_convention_ci(row, ctx.convention) for row in self.run(data, ctx)]


_REGISTRY: dict[str, Method] = {}
_MV_REGISTRY: dict[str, MVMethod] = {}
_LOADED: dict[str, bool] = {}


def register(method_id: str, run: Callable[[Batch, Context], dict], *, order: str = "canonical",
             row_keys: tuple[str, ...] = (), reference: str = "", uses_ld: bool = False) -> Method:
    """Add ``method_id`` to the registry (once: a second registration of the same id is an error)."""
    if method_id in _REGISTRY:
        raise RuntimeError(f"method id {method_id!r} is registered twice")
    if order not in ("canonical", "given"):
        raise ValueError(f"order must be 'canonical' or 'given', got {order!r}")
    method = Method(method_id, run, order, tuple(row_keys), reference, uses_ld)
    _REGISTRY[method_id] = method
    return method


def register_mv(method_id: str, run: Callable[[Any, Context], list], *, reference: str = "",
                row_keys: tuple[str, ...] = ()) -> MVMethod:
    """Add a multivariable ``method_id`` to its registry (once)."""
    if method_id in _MV_REGISTRY:
        raise RuntimeError(f"multivariable method id {method_id!r} is registered twice")
    method = MVMethod(method_id, run, reference, tuple(row_keys))
    _MV_REGISTRY[method_id] = method
    return method


def _load(families: tuple[str, ...] = FAMILIES) -> None:
    """Import the family modules not imported yet (importing one registers its ids)."""
    for name in families:
        if not _LOADED.get(name):
            importlib.import_module(f"{__package__}.{name}")
            _LOADED[name] = True


def mv_method_ids() -> tuple[str, ...]:
    """Every registered multivariable id (:data:`MV_FAMILIES` order)."""
    _load(MV_FAMILIES)
    return _family_order(_MV_REGISTRY, MV_FAMILIES)


def get_mv_method(method_id: str) -> MVMethod:
    """The :class:`MVMethod` of an id; :class:`~mrkit.errors.InputError` naming the known ids otherwise."""
    _load(MV_FAMILIES)
    if method_id not in _MV_REGISTRY:
        raise InputError(f"unknown multivariable method {method_id!r}; choose from {', '.join(mv_method_ids())}",
                         column="methods")
    return _MV_REGISTRY[method_id]


def _family_order(registry: dict, families: tuple[str, ...]) -> tuple[str, ...]:
    """Ids family by family (the module that defines each ``run``), in registration order within a family: the
    same order whichever module happened to be imported first."""
    rank = {f"{__package__}.{name}": i for i, name in enumerate(families)}
    ids = list(registry)
    return tuple(sorted(ids, key=lambda m: (rank.get(registry[m].run.__module__, len(families)), ids.index(m))))


def method_ids() -> tuple[str, ...]:
    """Every registered id, family by family (:data:`FAMILIES`), each family's in the order it registers them."""
    _load()
    return _family_order(_REGISTRY, FAMILIES)


def get_method(method_id: str) -> Method:
    """The :class:`Method` of an id; :class:`~mrkit.errors.InputError` naming the known ids otherwise."""
    _load()
    if method_id not in _REGISTRY:
        raise InputError(f"unknown method {method_id!r}; choose from {', '.join(method_ids())}", column="methods")
    return _REGISTRY[method_id]


def run_method(method_id: str, bx: Any, bxse: Any, by: Any, byse: Any, ctx: Context | None = None) -> dict:
    """Run one registered method on ``(n_rep, k)`` (or ``(k,)``) arrays: its result dict.

    Raises
    ------
    InputError
        An unknown id or bad arrays (:func:`mrkit.methods.replicates.as_batch`).
    NotEstimable
        The method cannot run on this batch (too few variants, ...): the method's reason.
    """
    method = get_method(method_id)
    return method(as_batch(bx, bxse, by, byse), ctx if ctx is not None else Context())


def _modules() -> list:
    _load()
    _load(MV_FAMILIES)
    return [importlib.import_module(f"{__package__}.{name}") for name in dict.fromkeys(
        (*FAMILIES, *MV_FAMILIES, *DIAGNOSTICS))]


def method_infos() -> dict:
    """Every method id's :class:`~mrkit.methods.method_info.MethodInfo` (its label, assumption family, R function
    and what the methods chapter says), univariable ids first (:func:`method_ids` order), then the multivariable ids
    and the diagnostics: each family module's ``METHODS``, the one place they are written."""
    infos = {info.id: info for module in _modules() for info in getattr(module, "METHODS", ())}
    order = [*method_ids(), *mv_method_ids()]
    return {m: infos[m] for m in [*order, *(m for m in infos if m not in order)] if m in infos}


def method_quirks() -> dict[str, tuple[str, ...]]:
    """The R quirks each method reproduces (each family module's ``QUIRKS``), by method id, in
    :func:`method_infos` order: what the conventions page lists."""
    quirks = {}
    for module in _modules():
        for method_id, items in getattr(module, "QUIRKS", {}).items():
            quirks.setdefault(method_id, ())
            quirks[method_id] += tuple(q for q in items if q not in quirks[method_id])
    return {m: quirks[m] for m in method_infos() if m in quirks}
