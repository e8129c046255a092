"""A client of the OpenGWAS API: top hits, associations with LD proxies, dataset information, cached.

TwoSampleMR users write ``extract_instruments("ukb-a-13")`` and ``extract_outcome_data(snps,
"finn-b-M13_LOWBACKPAIN")``; both ask the OpenGWAS API (https://api.opengwas.io/api/) through ieugwasr
and move a few kilobytes instead of whole GWAS files. :class:`Client` sends the same requests:

``tophits``
    POST ``{"id": [ID], "pval", "preclumped", "clump", "r2", "kb", "pop"}`` (ieugwasr ``tophits``:
    ``preclumped`` is 1 exactly when clump = 1, r2 = 0.001, kb = 10000 and pval = 5e-8, the settings the
    server's pre-clumped hits were made with). Rows: ``id, trait, chr, position, rsid, ea, nea, eaf,
    beta, se, p, n``.
``associations``
    POST ``{"variant", "id", "proxies", "r2", "align_alleles", "palindromes", "maf_threshold"}``
    (ieugwasr ``associations``). With proxies, a variant the dataset lacks is replaced by the variant in
    LD with it (r^2 >= r2) that it has; that row carries ``rsid`` = the target, ``ea``/``nea`` = the
    target alleles in phase with the proxy's (``align_alleles = 1``), and ``proxy, target_snp,
    proxy_snp, target_a1, target_a2, proxy_a1, proxy_a2``.
``gwasinfo``
    POST ``{"id": [...]}``: one record per dataset the token may read.
``user``, ``status``
    GET: the token's owner and validity; the server's state.

Authentication: the token of ``$OPENGWAS_JWT`` (the variable ieugwasr reads), sent as ``Authorization:
Bearer <token>``. It is read from the environment only when a request has to go out, and it is never
written anywhere: not into the cache, an error message, a log or a notebook. The base URL is
``$OPENGWAS_API_URL`` (default https://api.opengwas.io/api/), for mirrors and the tests' fake server.

Failures a user can act on raise :class:`OpenGWASError` subclasses (``mrkit`` prints them in one line
and exits with code 2): no token (:class:`TokenMissing`), a refused token (401/403,
:class:`TokenRefused`), a used-up allowance (429, or ``X-Allowance-Remaining: 0`` on an answer:
:class:`AllowanceExhausted`, with the time it resets; no further request is sent before then, from
any process, which keeps the address from being blocked), a server error or time-out that persists
after bounded retries with exponential backoff (:class:`ServerUnavailable`; only 5xx answers,
time-outs and connection errors are retried, never 4xx), and an empty answer (:class:`EmptyAnswer`,
naming the dataset id).

The cache: every answer is stored under ``<data cache>/opengwas/responses/<key>.json`` with the request
(endpoint, method, JSON body), the answer's text, its sha256 and size, and the UTC time it was
retrieved. The key is the sha256 of the endpoint, method and body, not of the base URL or the token,
so a second run asks nothing and gets byte-identical answers, with or without a token.
``refresh=True`` (``--refresh``) asks again; :func:`mark_refresh` makes every answer retrieved
before now stale for all later clients (``mrkit book --refresh``). ``user`` and ``status`` are never
cached (they describe the present moment, and ``user`` names the token's owner).

Deliberately not ieugwaspy (the Python client of the same API, 1.0.x): it prints its settings, the
token included, writes the token into ``.ieugwaspy.json`` in the working directory, retries every
error (401 included) up to ten times, sets no time-out and returns a string when the allowance is
exhausted.

References
----------
Hemani G et al. (2018). The MR-Base platform supports systematic causal inference across the human
phenome. eLife 7:e34408. Elsworth B et al. (2020). The MRC IEU OpenGWAS data infrastructure. bioRxiv
2020.08.10.244293. ieugwasr ``R/query.R`` (``api_query``, ``tophits``, ``associations``, ``set_reset``);
TwoSampleMR ``R/query.R`` (``format_d``) and ``R/instruments.R`` (``extract_instruments``).

Modules: the client and its errors :mod:`.client`; the answer cache :mod:`.cache`; answers as
TwoSampleMR and internal-schema tables :mod:`.tables`.
"""
from .cache import CachedAnswer, ResponseCache, mark_refresh, request_key
from .client import (
                     DEFAULT_API_URL,
                     PROFILE_URL,
                     TIMEOUT,
                     TOKEN_ENV,
                     URL_ENV,
                     AllowanceExhausted,
                     Client,
                     EmptyAnswer,
                     Exchange,
                     OpenGWASError,
                     ServerUnavailable,
                     TokenMissing,
                     TokenRefused,
)
from .tables import EXPOSURE_COLUMNS, OUTCOME_COLUMNS, PROXY_COLUMNS, exposure_table, instrument_rows, outcome_table

__all__ = ["Client", "OpenGWASError", "TokenMissing", "TokenRefused", "AllowanceExhausted", "ServerUnavailable",
           "EmptyAnswer", "ResponseCache", "mark_refresh", "exposure_table", "outcome_table", "instrument_rows",
           "DEFAULT_API_URL", "TOKEN_ENV", "URL_ENV", "PROFILE_URL", "EXPOSURE_COLUMNS", "OUTCOME_COLUMNS",
           "PROXY_COLUMNS", "CachedAnswer", "request_key", "TIMEOUT", "Exchange"]
