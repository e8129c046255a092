"""The run plan: one declarative file saying which pages the book has and how each is produced.

Each ``[[run]]`` names a jupytext notebook, its parameters and a title template. A run with ``for_each``
expands to one page per parameter set (the MR notebook runs once per direction), its ``id`` and
``title`` filled from the parameters; ``{x_label}`` gives the label of a trait key
(:data:`mrkit.paper.labels.TRAIT_LABELS`, plus the plan's own ``[labels]`` table if it has one).
A profile (``[profiles.NAME]``) picks a subset of runs and overrides parameters, so tests can build a
small book from the same plan.
"""
from __future__ import annotations

import fnmatch
import string
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import MRKitError
from ..paper.labels import TRAIT_LABELS
from ..paper.reproducibility import plan_defaults
from ..paths import plain_name


class PlanError(MRKitError):
    """The run plan is malformed; the message names the plan file and the run."""


@dataclass(frozen=True, eq=False)  # hashed by identity: parameters are dicts
class Run:
    """One page to produce: execute ``notebook`` with ``parameters``, publish it as ``id``."""

    id: str
    notebook: Path
    title: str
    parameters: dict[str, Any]
    needs: tuple[str, ...] = ()
    slow: bool = False  # a hint for the scheduler: start it first

    @property
    def page(self) -> str:
        """The page's path in the book, as ``_toc.yml`` names it."""
        return f"book/generated/{self.id}"


@dataclass
class Plan:
    """The expanded, profile-filtered plan."""

    runs: list[Run]
    profile: str
    source: Path
    labels: dict[str, str] = field(default_factory=dict)

    def by_id(self) -> dict[str, Run]:
        return {run.id: run for run in self.runs}


class _Fields(dict):
    """Template fields: parameters plus ``<name>_label`` from the plan's labels."""

    def __init__(self, params: dict[str, Any], labels: dict[str, str]):
        super().__init__(params)
        self.labels = labels

    def __missing__(self, key: str) -> str:
        if key.endswith("_label") and key[:-6] in self:
            value = self[key[:-6]]
            return self.labels.get(str(value), str(value))
        raise KeyError(key)


def _fill(template: str, fields: _Fields, where: str) -> str:
    try:
        return string.Formatter().vformat(template, (), fields)
    except KeyError as exc:
        raise PlanError(f"{where}: template {template!r} uses unknown field {exc}") from None


def load_plan(path: Path, profile: str = "full", root: Path | None = None) -> Plan:
    """Read ``path``, expand ``for_each`` runs and apply ``profile``; notebooks resolve against ``root``."""
    path = Path(path)
    root = Path(root) if root else path.resolve().parents[1]
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{path}: not valid TOML: {exc}") from None
    # the study's trait labels; a plan may add its own keys in a [labels] table
    labels = {**TRAIT_LABELS, **{str(k): str(v) for k, v in raw.get("labels", {}).items()}}
    defaults = plan_defaults(raw)  # seed and panel_seed default to mrkit's own (mrkit.rng)
    profiles = raw.get("profiles", {})
    if profile not in profiles and profile != "full":
        raise PlanError(f"{path}: unknown profile {profile!r}; the plan has {sorted(profiles) or 'none'}")
    prof = profiles.get(profile, {})
    prof_params = dict(prof.get("parameters", {}))
    overrides = prof.get("overrides", {})

    runs: list[Run] = []
    for i, spec in enumerate(raw.get("run", []), start=1):
        where = f"{path}, run {i}"
        for key in ("id", "notebook", "title"):
            if key not in spec:
                raise PlanError(f"{where}: missing key {key!r}")
        notebook = root / spec["notebook"]
        if not notebook.is_file():
            raise PlanError(f"{where}: notebook {spec['notebook']} does not exist")
        for params in spec.get("for_each", [{}]):
            merged = {**defaults, **spec.get("parameters", {}), **params}
            fields = _Fields(merged, labels)
            run_id = _fill(spec["id"], fields, where)
            if not plain_name(run_id):  # it names the page's files: matched whole (no "/", "..", line end)
                raise PlanError(f"{where}: id {run_id!r} (from {spec['id']!r}) must be letters, digits, '_', '.' "
                                "or '-', starting with a letter or digit: it names the page's files")
            merged = {**merged, **prof_params, **overrides.get(run_id, {})}
            fields = _Fields(merged, labels)
            needs = tuple(_fill(n, fields, where) for n in spec.get("needs", []))
            runs.append(Run(run_id, notebook, _fill(spec["title"], fields, where), merged, needs,
                            bool(spec.get("slow", False))))

    ids = [r.id for r in runs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise PlanError(f"{path}: duplicate run ids {dupes}")
    if "runs" in prof:
        wanted = list(prof["runs"])
        unknown = [w for w in wanted if not any(fnmatch.fnmatchcase(i, w) for i in ids)]
        if unknown:
            raise PlanError(f"{path}: profile {profile!r} names runs that do not exist: {unknown}")
        runs = [r for r in runs if any(fnmatch.fnmatchcase(r.id, w) for w in wanted)]
    return Plan(runs=runs, profile=profile, source=path, labels=labels)


def with_data(plan: Plan, data: str) -> Plan:
    """The plan with ``data`` set for every run that reads GWAS data (runs with ``data = "none"`` keep it)."""
    runs = [r if r.parameters.get("data", "synthetic") == "none"
            else replace(r, parameters={**r.parameters, "data": data}) for r in plan.runs]
    return Plan(runs=runs, profile=plan.profile, source=plan.source, labels=plan.labels)


def resolve_needs(plan: Plan) -> dict[str, list[str]]:
    """Map each run id to the ids it waits for (``needs`` are glob patterns over run ids of the plan)."""
    ids = [r.id for r in plan.runs]
    return {r.id: [i for pat in r.needs for i in ids if fnmatch.fnmatchcase(i, pat) and i != r.id]
            for r in plan.runs}
