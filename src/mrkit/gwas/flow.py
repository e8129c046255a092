"""The harmonisation log: its keys, the counts of rows dropped or filled before harmonising, and the STROBE-MR
flow-diagram table (:func:`harmonisation_flow`).

References
----------
Skrivankova VW et al. (2021). Strengthening the reporting of observational studies in epidemiology
using Mendelian randomization: the STROBE-MR statement. JAMA 326:1614-1621 (item 10a).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .rules import FILLED
from .schema import DropLog

__all__ = ["LOG_KEYS", "DROPPED_PREFIX", "FILLED_PREFIX", "harmonisation_flow", "dropped_ids", "dropped_counts",
           "filled_counts"]

#: Keys of ``attrs["log"]``, in flow-diagram order. Rows dropped as invalid are added as
#: ``"exposure_dropped: <reason>"`` / ``"outcome_dropped: <reason>"`` keys when there are any, values filled in
#: (TwoSampleMR ``format_data``) as ``"exposure_filled: <reason>"`` / ``"outcome_filled: <reason>"``.
LOG_KEYS = ("candidate_instruments", "found_in_outcome", "found_by_position", "found_by_proxy",
            "absent_from_outcome", "invalid_in_outcome", "multiallelic_resolved", "swapped", "strand_flipped",
            "palindromic_flipped", "palindromic_ambiguous_removed", "palindromic_removed", "incompatible_removed",
            "missing_allele_removed", "missing_values_removed", "kept")
DROPPED_PREFIX = {"exposure": "exposure_dropped: ", "outcome": "outcome_dropped: "}
FILLED_PREFIX = {"exposure": "exposure_filled: ", "outcome": "outcome_filled: "}


def dropped_ids(outcome: pd.DataFrame, log: DropLog) -> set[str]:
    """Ids of outcome rows dropped as invalid, here or by the reader of the outcome file."""
    ids = set(log.dropped_variants().ids.tolist())
    invalid = outcome.attrs.get("invalid")
    if invalid is not None and len(invalid):
        ids |= set(invalid.ids.tolist())
    return ids


def dropped_counts(role: str, frame: pd.DataFrame, log: DropLog) -> dict[str, int]:
    """``{"<role>_dropped: <reason>": n}``: the reader's drops (``attrs["dropped"]``) plus harmonise's."""
    counts = dict(frame.attrs.get("dropped") or {})
    for reason, n in log.counts.items():
        counts[reason] = counts.get(reason, 0) + n
    return {DROPPED_PREFIX[role] + reason: int(n) for reason, n in sorted(counts.items()) if n}


def filled_counts(role: str, frame: pd.DataFrame, log: DropLog) -> dict[str, int]:
    """``{"<role>_filled: <reason>": n}``: values the reader filled in (``attrs["flagged"]``) plus harmonise's."""
    counts = {reason: n for reason, n in dict(frame.attrs.get("flagged") or {}).items() if reason in FILLED}
    for reason, n in log.flags.items():
        if reason in FILLED:
            counts[reason] = counts.get(reason, 0) + n
    return {FILLED_PREFIX[role] + reason: int(n) for reason, n in sorted(counts.items()) if n}


def harmonisation_flow(log: dict[str, int]) -> pd.DataFrame:
    """The harmonisation log as a tidy flow-diagram table (STROBE-MR item 10a).

    Columns ``step``, ``stage``, ``n`` and ``kind``: "remaining" boxes of the main flow, "excluded"
    side boxes, "detail" notes (alleles aligned without loss, how variants were found), "filled" notes
    (values filled in as TwoSampleMR ``format_data`` does) and "dropped" boxes: rows of the exposure or
    outcome data dropped as invalid before harmonisation (by reason; outside the arithmetic of the flow). The
    boxes add up: found - excluded = used in MR, and candidates = found + absent + invalid in the outcome,
    which is checked.
    """
    missing = [k for k in LOG_KEYS if k not in log]
    if missing:
        raise InputError(f"not a harmonisation log: missing {missing}", column="log")
    found = log["found_in_outcome"] + log["found_by_position"] + log["found_by_proxy"]
    dropped = {role: [(k[len(prefix):], v) for k, v in log.items() if k.startswith(prefix)]
               for role, prefix in DROPPED_PREFIX.items()}
    filled = {role: [(k[len(prefix):], v) for k, v in log.items() if k.startswith(prefix)]
              for role, prefix in FILLED_PREFIX.items()}
    rows = [(f"Exposure rows dropped as invalid: {reason}", n, "dropped") for reason, n in dropped["exposure"]]
    rows += [(f"Exposure values filled: {reason}", n, "filled") for reason, n in filled["exposure"]]
    rows += [
        ("Candidate instruments", log["candidate_instruments"], "remaining"),
        ("Absent from the outcome GWAS (no proxy)", log["absent_from_outcome"], "excluded"),
        ("In the outcome GWAS but invalid there (dropped)", log["invalid_in_outcome"], "excluded"),
        ("Found in the outcome GWAS", found, "remaining"),
        ("  of which by variant id", log["found_in_outcome"], "detail"),
        ("  of which by position and alleles (ids differ)", log["found_by_position"], "detail"),
        ("  of which through an LD proxy", log["found_by_proxy"], "detail"),
        ("  of which at a multi-allelic site (record matching the exposure's alleles)",
         log["multiallelic_resolved"], "detail"),
        ("Alleles swapped (outcome beta negated)", log["swapped"], "detail"),
        ("Strand flipped", log["strand_flipped"], "detail"),
        ("Palindromes flipped using EAF", log["palindromic_flipped"], "detail"),
        ("Incompatible alleles", log["incompatible_removed"], "excluded"),
        ("Missing allele", log["missing_allele_removed"], "excluded"),
        ("Palindromic with intermediate EAF (ambiguous)", log["palindromic_ambiguous_removed"], "excluded"),
        ("Palindromic (action 3)", log["palindromic_removed"], "excluded"),
        ("Missing beta or SE", log["missing_values_removed"], "excluded"),
        ("Used in MR", log["kept"], "remaining"),
    ]
    rows += [(f"Outcome values filled: {reason}", n, "filled") for reason, n in filled["outcome"]]
    rows += [(f"Outcome rows dropped as invalid: {reason}", n, "dropped") for reason, n in dropped["outcome"]]
    table = pd.DataFrame(rows, columns=["stage", "n", "kind"])
    table.insert(0, "step", np.arange(1, len(table) + 1))
    lost = sum(log[k] for k in ("incompatible_removed", "missing_allele_removed", "palindromic_ambiguous_removed",
                                "palindromic_removed", "missing_values_removed"))
    if (found - lost != log["kept"]
            or found + log["absent_from_outcome"] + log["invalid_in_outcome"] != log["candidate_instruments"]):
        raise InputError("harmonisation log does not add up (found - excluded != kept)", column="log")
    return table
