"""A client of the OpenGWAS API: top hits, associations with LD proxies, dataset information, cached.

TwoSampleMR users write ``extract_instruments("ukb-a-13")`` and ``extract_outcome_data(snps,
"finn-b-M13_LOWBACKPAIN")``; both ask the OpenGWAS API (https://api.opengwas.io/api/) through ieugwasr
and move a few kilobytes instead of whole GWAS files. :class:`Client` sends the same requests:

``tophits``
    POST ``{"id": [ID], "pval", "preclumped", "clump", "r2", "kb", "pop"}`` (ieugwasr ``tophits``:
    ``preclumped`` is 1 exactly when clump = 1, r2 = 0.001, kb = 10000 and pval = 5e-8, the settings the
    server's pre-clumped hits were made with; with ``preclumped = 1`` the server answers from those hits
    whatever the other fields say, ``pop`` included, so mrkit sets it only for pop = EUR). The server takes
    0 < pval <= 0.01 only: the client refuses others before asking. Rows: ``id, trait, chr, position, rsid,
    ea, nea, eaf, beta, se, p, n``, sorted by p.
``associations``
    POST ``{"variant", "id", "proxies", "population", "r2", "align_alleles", "palindromes", "maf_threshold"}``
    (ieugwasr ``associations``). The server refuses a request of more than 64 id x variant pairs (HTTP
    400), so every look-up goes out in requests of at most 64 pairs (:func:`.contract.association_requests`,
    ieugwasr's chunking), each answer cached on its own. With proxies, a variant the dataset lacks is
    replaced by the variant in LD with it (r^2 >= r2, in ``population``) that it has; that row carries
    ``rsid`` = the target, ``ea``/``nea`` = the target alleles in phase with the proxy's (``align_alleles =
    1``), and ``proxy, target_snp, proxy_snp, target_a1, target_a2, proxy_a1, proxy_a2``.
``gwasinfo``
    POST ``{"id": [...]}``: one record per dataset the token may read.
``user``, ``status``
    GET: the token's owner and validity; the server's state.

Authentication: the token of ``$OPENGWAS_JWT`` (the variable ieugwasr reads), sent as ``Authorization:
Bearer <token>``. It is read from the environment only when a request has to go out, cleaned of what a
paste leaves around it (white space, quotes, ``<...>``, a leading ``Bearer``; anything else that is not a
token character is refused, naming the character and its place: :mod:`.auth`), and never written anywhere:
not into the cache, an error message, a log or a notebook. Every message built from a server's answer, whatever
its status, goes through one redaction step (:func:`.auth.redact`), and a 2xx answer that quotes the token is
neither used nor cached. The base URL is ``$OPENGWAS_API_URL`` (default https://api.opengwas.io/api/), for
mirrors and the tests' fake server. Dataset ids are matched whole (:data:`.contract.DATASET_ID`).

Time: one request, its retries and their pauses included, takes at most ``timeout`` seconds (default 60,
``$OPENGWAS_TIMEOUT``, ``--timeout``): the connection gets at most 10 s of it, the answer the rest, read in
pieces so that a server that trickles is cut off at the time-out too. A command stops at the first request
that fails, so a server that accepts and never answers holds a command for the time-out, no more.

Failures a user can act on raise :class:`OpenGWASError` subclasses (``mrkit`` prints them in one line
and exits with code 2): no token (:class:`TokenMissing`), one that is not a token (:class:`TokenMalformed`),
a refused token (401/403, :class:`TokenRefused`), a used-up allowance (429, or ``X-Allowance-Remaining: 0``
on an answer: :class:`AllowanceExhausted`, with the time it resets; no further request is sent before then,
from any process, which keeps the address from being blocked), a server error or time-out that persists
after bounded retries with exponential backoff within the time-out (:class:`ServerUnavailable`; only 5xx
answers, time-outs and connection errors are retried, never 4xx; the app's ``Retry-After``, which the real
server sends on every answer as the reset of its allowance window, is not taken for a hint to wait), and an
empty answer (:class:`EmptyAnswer`, naming the dataset id).

The cache: every answer is stored under ``<data cache>/opengwas/responses/<key>.json`` with the request
(endpoint, method, JSON body), the answer's text, its sha256 and size, and the UTC time it was
retrieved. The key is the sha256 of the server (the base URL in one spelling, :func:`.cache.server_root`), the
endpoint, method and body, never the token: a second run asks nothing and gets byte-identical answers,
with or without a token, and two servers' answers to the same request are two entries.
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

Modules: the client :mod:`.client`; its errors :mod:`.errors`; what the server accepts :mod:`.contract`;
the token and redaction :mod:`.auth`; the answer cache :mod:`.cache`; answers as TwoSampleMR and
internal-schema tables :mod:`.tables`.
"""
from .cache import CachedAnswer, ResponseCache, mark_refresh, request_key, server_root
from .client import (
    DEFAULT_API_URL,
    PROFILE_URL,
    TIMEOUT,
    TIMEOUT_ENV,
    TOKEN_ENV,
    URL_ENV,
    Client,
    Exchange,
    timeout_seconds,
)
from .contract import MAX_PAIRS, POPULATIONS, PVAL_MAX, association_requests, check_dataset_id
from .errors import (
    AllowanceExhausted,
    EmptyAnswer,
    OpenGWASError,
    ServerUnavailable,
    TokenMalformed,
    TokenMissing,
    TokenRefused,
)
from .tables import (
    EXPOSURE_COLUMNS,
    OUTCOME_COLUMNS,
    PROXY_COLUMNS,
    exposure_table,
    instrument_rows,
    outcome_table,
    without_repeats,
)

__all__ = ["Client", "OpenGWASError", "TokenMissing", "TokenMalformed", "TokenRefused", "AllowanceExhausted",
           "ServerUnavailable", "EmptyAnswer", "ResponseCache", "mark_refresh", "exposure_table", "outcome_table",
           "instrument_rows", "without_repeats", "DEFAULT_API_URL", "TOKEN_ENV", "URL_ENV", "TIMEOUT_ENV",
           "PROFILE_URL",
           "EXPOSURE_COLUMNS", "OUTCOME_COLUMNS", "PROXY_COLUMNS", "CachedAnswer", "request_key", "server_root",
           "TIMEOUT", "Exchange", "timeout_seconds", "MAX_PAIRS", "PVAL_MAX", "POPULATIONS", "association_requests",
           "check_dataset_id"]
