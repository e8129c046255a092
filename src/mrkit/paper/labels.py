"""What readers see for each key: the study's traits (order, labels, units) and the MR methods' names.

One map each, used by the notebooks, the tables and figures and the run plan's page titles
(``{exposure_label}`` in ``book/runplan.toml``), and how a variant is named (:func:`variant_label`).
"""
from __future__ import annotations

import re

__all__ = ["TRAITS", "SLEEP_TRAITS", "BINARY_TRAITS", "TRAIT_LABELS", "SHORT_UNITS", "METHOD_LABELS",
           "trait_label", "method_label", "method_labels", "variant_label"]

#: The study's traits in the paper's order: five sleep traits, then low back pain.
TRAITS = ("insomnia", "sleep_duration", "short_sleep", "long_sleep", "daytime_sleepiness", "lbp")
SLEEP_TRAITS = TRAITS[:-1]
#: Case-control traits: their GWAS effects are log odds ratios.
BINARY_TRAITS = ("short_sleep", "long_sleep", "lbp")
TRAIT_LABELS = {"insomnia": "Insomnia", "sleep_duration": "Sleep duration",
                "short_sleep": "Short sleep duration", "long_sleep": "Long sleep duration",
                "daytime_sleepiness": "Daytime sleepiness", "lbp": "Low back pain",
                "bmi": "Body mass index"}  # bmi: the mediator of the multivariable chapter, not a study trait
#: Units in a few words, for axis labels; data/sources.toml has the full description.
SHORT_UNITS = {"insomnia": "score 1-3", "sleep_duration": "hours/day", "daytime_sleepiness": "score 0-3",
               "short_sleep": "log odds", "long_sleep": "log odds", "lbp": "log odds", "bmi": "SD"}

#: Names of rows that are not method ids of the registry (MR-PRESSO's raw and corrected estimates in its own table).
_OTHER_LABELS = {"presso_raw": ("MR-PRESSO (raw)", None), "presso_corrected": ("MR-PRESSO (outlier-corrected)", None)}


def _method_labels() -> dict[str, tuple[str, str | None]]:
    """method id -> (name, short name or None), from each method's record (:func:`mrkit.methods.registry.method_infos`:
    TwoSampleMR's names where it has one, which MR readers know; the short form for crowded figures and tables)."""
    from ..methods.registry import method_infos

    return {m: (info.label, info.short_label if info.short_label != info.label else None)
            for m, info in method_infos().items()} | _OTHER_LABELS


#: method id -> (name, short name or None), every method of the registry.
METHOD_LABELS: dict[str, tuple[str, str | None]] = _method_labels()


def trait_label(trait: str) -> str:
    """The trait's name as readers see it (an unknown key: its words, capitalised)."""
    return TRAIT_LABELS.get(trait, trait.replace("_", " ").capitalize())


def method_label(method: str, short: bool = False) -> str:
    """The method's name (its short form when ``short`` and there is one); unknown ids are returned as is."""
    if method not in METHOD_LABELS:
        return method
    name, short_name = METHOD_LABELS[method]
    return (short_name or name) if short else name


def method_labels(short: bool = False) -> dict[str, str]:
    """id -> name for every method, for ``Series.map``."""
    return {m: method_label(m, short) for m in METHOD_LABELS}


_RSID = re.compile(r"^rs\d+$")
_MAX_ALLELE = 6


def variant_label(snp: object, rsid: object = None) -> str:
    """How a variant is named in figures and tables: its rsid where there is one, else ``chr:pos:A1:A2``.

    ``rsid`` (e.g. a reader's ``rsid`` column) wins when it looks like one (``rs`` + digits); otherwise the
    variant id is shown as it is (real files with rsids already use them as ids; the synthetic panel and
    the Neale lab files use ``chrom:pos:ref:alt``), with alleles longer than 6 bases shortened to
    ``ACGTAC…`` so that indels do not widen a figure's margin.
    """
    if rsid is not None and _RSID.match(str(rsid).strip()):
        return str(rsid).strip()
    text = str(snp)
    parts = text.split(":")
    if len(parts) == 4 and not _RSID.match(text):
        parts[2:] = [a if len(a) <= _MAX_ALLELE else a[:_MAX_ALLELE] + "…" for a in parts[2:]]
        return ":".join(parts)
    return text
