"""What the OpenGWAS server accepts, as its source enforces it (MRCIEU/opengwas-api ``app/apis/assoc.py``,
``app/apis/tophits.py``; ``../shared/reference/opengwas-api.md``): the limits a request must keep and the
checks the client makes before asking, so that a look-up is never refused for its size and a bad argument is
named before anything is sent; see :mod:`mrkit.gwas.opengwas`."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ...errors import shown
from .errors import OpenGWASError

__all__ = ["ALLOWANCE_ENDPOINTS", "MAX_PAIRS", "MAX_IDS_PER_REQUEST", "PVAL_MAX", "POPULATIONS", "DATASET_ID",
           "DATASETS_URL", "check_dataset_id", "check_population", "check_pval", "association_requests"]

DATASETS_URL = "https://opengwas.io/datasets/"
#: ``associations``: N(id) x N(variant) <= 64 per request, else HTTP 400.
MAX_PAIRS = 64
#: Dataset ids per ``associations`` request (ieugwasr ``max_ids_per_request``, "to avoid timeouts").
MAX_IDS_PER_REQUEST = 10
#: ``tophits``: 0 < pval <= 0.01, else HTTP 400.
PVAL_MAX = 0.01
#: LD reference populations of ``associations`` (``population``) and ``tophits`` (``pop``).
POPULATIONS = ("AFR", "AMR", "EAS", "EUR", "SAS")
#: Endpoints that spend the user's allowance (100,000 units per 10 minutes) and whose ``X-Allowance-*`` headers
#: describe it; ``status`` (300 per hour) and ``user`` (30 per hour) send the headers of their own per-address
#: limits (``@limiter.limit`` in app/apis/status.py, user.py).
ALLOWANCE_ENDPOINTS = frozenset({"associations", "tophits", "gwasinfo"})
#: An OpenGWAS dataset id, matched whole (``ieu-a-2``, ``ebi-a-GCST006685``, ``finn-b-M13_LOWBACKPAIN``).
DATASET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}")


def check_dataset_id(value: Any) -> str:
    """``value`` if it is a whole OpenGWAS dataset id (:data:`DATASET_ID`; no space, no final newline), else
    :class:`OpenGWASError` naming it."""
    if not isinstance(value, str) or not DATASET_ID.fullmatch(value):
        raise OpenGWASError(f"{shown(value)} is not an OpenGWAS dataset id (letters, digits, '_', '.' and '-', "
                            f"starting with a letter or digit, e.g. ukb-a-13; see {DATASETS_URL})")
    return value


def association_requests(ids: Sequence[str], variants: Sequence[str], max_pairs: int = MAX_PAIRS,
                         max_ids: int = MAX_IDS_PER_REQUEST) -> list[tuple[list[str], list[str]]]:
    """(ids, variants) of each ``associations`` request of a look-up, in order: ids in groups of at most
    ``max_ids``, variants in groups of ``max_pairs // (largest id group)``, so that no request asks for more than
    ``max_pairs`` id x variant pairs (ieugwasr ``associations``: id chunks outside, variant chunks inside)."""
    ids, variants = list(ids), list(variants)
    if not ids or not variants:
        return []
    per_ids = max(1, min(max_ids, max_pairs))
    id_groups = [ids[i:i + per_ids] for i in range(0, len(ids), per_ids)]
    per_variants = max(1, max_pairs // max(len(g) for g in id_groups))
    return [(g, variants[j:j + per_variants]) for g in id_groups for j in range(0, len(variants), per_variants)]


def check_population(value: str, field: str) -> None:
    """Nothing if ``value`` is one of :data:`POPULATIONS`, else :class:`OpenGWASError` naming ``field``."""
    if value not in POPULATIONS:
        raise OpenGWASError(f"OpenGWAS {field} must be one of {', '.join(POPULATIONS)}, got {shown(value)}")


def check_pval(pval: float) -> float:
    """``pval`` if ``tophits`` accepts it (0 < pval <= :data:`PVAL_MAX`), else :class:`OpenGWASError` saying so."""
    if not 0 < float(pval) <= PVAL_MAX:
        raise OpenGWASError(f"OpenGWAS tophits takes a p-value threshold 0 < p <= {PVAL_MAX:g} (the server refuses "
                            f"others with HTTP 400), got {float(pval):g}")
    return float(pval)
