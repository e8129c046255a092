"""The one registry of MR method ids: what ``mrkit.mr()``, ``mrkit estimate``, the scan and the simulation study run.

Each id is registered once, by the module of its method family, with :func:`register`::

    register("ivw_fe", lambda data, ctx: mr_ivw(*data, se_model="fixed"), reference="TwoSampleMR mr_ivw_fe")

``run(data, ctx)`` gets ``data = (bx, bxse, by, byse)``, each ``(n_rep, k)``, and a :class:`Context` (the
convention, the seed, the bootstrap size, method options and optional per-pair inputs) and returns the
estimator's result dict (:func:`mrkit.methods.replicates.make_result`); the estimator itself raises
:class:`~mrkit.errors.NotEstimable` when the batch has too few variants. :func:`run_method` runs an id.

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
from .conventions import Convention, get_convention
from .replicates import Batch, as_batch

__all__ = ["FAMILIES", "Method", "Context", "register", "method_ids", "get_method", "run_method"]

#: Modules (in :mod:`mrkit.methods`) that register methods, in the order their ids are listed.
FAMILIES = ("wald", "egger", "median", "ivw", "mode", "ml", "raps", "presso")


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
    """

    id: str
    run: Callable[[Batch, Context], dict]
    order: str = "canonical"
    row_keys: tuple[str, ...] = ()
    reference: str = ""


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


_REGISTRY: dict[str, Method] = {}
_LOADED: list[bool] = [False]


def register(method_id: str, run: Callable[[Batch, Context], dict], *, order: str = "canonical",
             row_keys: tuple[str, ...] = (), reference: str = "") -> Method:
    """Add ``method_id`` to the registry (once: a second registration of the same id is an error)."""
    if method_id in _REGISTRY:
        raise RuntimeError(f"method id {method_id!r} is registered twice")
    if order not in ("canonical", "given"):
        raise ValueError(f"order must be 'canonical' or 'given', got {order!r}")
    method = Method(method_id, run, order, tuple(row_keys), reference)
    _REGISTRY[method_id] = method
    return method


def _load() -> None:
    if not _LOADED[0]:
        _LOADED[0] = True
        for name in FAMILIES:
            importlib.import_module(f"{__package__}.{name}")


def method_ids() -> tuple[str, ...]:
    """Every registered id, family by family (:data:`FAMILIES`), each family's in the order it registers them."""
    _load()
    return tuple(_REGISTRY)


def get_method(method_id: str) -> Method:
    """The :class:`Method` of an id; :class:`~mrkit.errors.InputError` naming the known ids otherwise."""
    _load()
    if method_id not in _REGISTRY:
        raise InputError(f"unknown method {method_id!r}; choose from {', '.join(_REGISTRY)}", column="methods")
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
    return method.run(as_batch(bx, bxse, by, byse), ctx if ctx is not None else Context())
