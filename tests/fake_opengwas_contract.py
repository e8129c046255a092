"""The real OpenGWAS server's contract for the tests' fake server (tests/fake_opengwas.py): its messages, the
arguments of each endpoint as flask-restx parses them, the cost of a request, Flask-Limiter's fixed window and
headers, and the shapes of its error answers (MRCIEU/opengwas-api at e6989a0; Flask-Limiter 4.1.1,
flask-restx 1.3.2; ``../shared/reference/opengwas-api.md``)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

MAX_PAIRS = 64
POPULATIONS = ("AFR", "AMR", "EAS", "EUR", "SAS")
LD_POPULATIONS = ("EUR", "SAS", "EAS", "AFR", "AMR", "legacy")
ALLOWANCE = 100_000
WINDOW_S = 600
MISSING_TOKEN = ("ERROR - Go to https://api.opengwas.io/ - From 1st May 2024 you must provide a token (JWT) alongside "
                 "most of your requests. Read more at https://api.opengwas.io/ and also check for the latest version "
                 "at https://mrcieu.github.io/ieugwasr/")
INVALID_TOKEN = ("Invalid token. Visit https://api.opengwas.io to obtain one and make sure there are no extra or "
                 "missing characters around the token when you copy and paste. (1) If you are using R/ieugwasr, "
                 "R/TwoSampleMR or derived packages, please see "
                 "https://mrcieu.github.io/ieugwasr/articles/guide.html#authentication (2) If you are building your "
                 "own wrapper around our API, please add your token to the request "
                 "header. Header name: 'Authorization'. Header value: 'Bearer your_token' (with whitespace and no "
                 "quotes). See also: https://datatracker.ietf.org/doc/html/rfc6750#section-2.1")
MISSING = "Missing required parameter in the JSON body or the post body or the query string"
PROXY_PAGES = {502: "502 Bad Gateway", 504: "504 Gateway Time-out"}


@dataclass(frozen=True)
class Arg:
    """One field of a flask-restx ``RequestParser`` (``type``, ``required``, ``default``, ``action="append"``)."""

    name: str
    type: type
    default: Any = None
    required: bool = False
    append: bool = False
    choices: tuple = ()
    help: str = ""


ARGS = {
    "associations": (
        Arg("variant", str, required=True, append=True, help="List of variants as rsid or chr:pos or chr:pos1-pos2 "
            "where positions are in hg19/b37 e.g. ['rs1205', '7:105561135', '7:105561135-105563135']"),
        Arg("id", str, required=True, append=True, help="List of GWAS study IDs e.g. ['ieu-a-2', 'ieu-a-7']"),
        Arg("proxies", int, 0), Arg("population", str, "EUR"), Arg("r2", float, 0.8), Arg("align_alleles", int, 1),
        Arg("palindromes", int, 1), Arg("maf_threshold", float, 0.3), Arg("commercial_approval_received", int, 0)),
    "tophits": (
        Arg("id", str, required=True, append=True, help="list of GWAS study IDs"),
        Arg("pval", float, 5e-8), Arg("preclumped", int, 1), Arg("clump", int, 1), Arg("r2", float, 0.001),
        Arg("kb", int, 5000), Arg("pop", str, "EUR", choices=LD_POPULATIONS),
        Arg("commercial_approval_received", int, 0)),
    "gwasinfo": (Arg("id", str, [], append=True, help="List of GWAS IDs"),),
}


class Refused(Exception):
    """An answer other than the data: (status, payload)."""

    def __init__(self, status: int, payload: Any):
        super().__init__(status)
        self.status, self.payload = status, payload


def _invalid(name: str, error: str) -> Refused:
    return Refused(400, {"errors": {name: error}, "message": "Input payload validation failed"})


def parse_args(endpoint: str, fields: dict[str, list]) -> dict[str, Any]:
    """The arguments as flask-restx 1.3.2 ``RequestParser.parse_args`` makes them (``reqparse.Argument.parse``)."""
    out = {}
    for arg in ARGS[endpoint]:
        values = []
        for value in fields.get(arg.name, []):
            try:
                value = None if value is None else arg.type(value.strip() if isinstance(value, str) else value)
            except (TypeError, ValueError) as exc:
                raise _invalid(arg.name, f"{arg.help} {exc}".strip()) from None
            if arg.choices and value not in arg.choices:
                raise _invalid(arg.name, f"The value '{value}' is not a valid choice for '{arg.name}'.")
            values.append(value)
        if not values and arg.required:
            raise _invalid(arg.name, f"{arg.help} {MISSING}".strip())
        out[arg.name] = values if (values and arg.append) else values[0] if values else arg.default
    return out


def cost(endpoint: str, args: dict) -> int:
    """The allowance units a request costs (``_get_cost`` of each endpoint)."""
    if endpoint == "associations":
        return max(len(args["id"]), len(args["variant"])) * (1 if args["proxies"] == 1 else 5)
    if endpoint == "tophits":
        return len(args["id"]) * (1 if args["preclumped"] else 10 if not args["clump"] else 30)
    return 50 if args["id"] is None or len(args["id"]) > 100 else 1  # GET (all datasets) or > 100 ids; [] costs 1


@dataclass
class Window:
    """A Flask-Limiter fixed window: ``limit`` units per ``seconds``, started by the first hit."""

    limit: int
    seconds: int
    per: str  # "10 minute", "1 hour", as str(RateLimitItem) names it
    used: int = 0
    start: float | None = None

    def reset_at(self, now: float) -> int:
        if self.start is None or now >= self.start + self.seconds:
            self.start, self.used = now, 0
        return int(self.start + self.seconds + 1)

    def hit(self, units: int) -> tuple[bool, dict[str, str]]:
        """(allowed, the headers of the answer); a refused hit is not charged."""
        now = time.time()
        reset = self.reset_at(now)
        allowed = self.used + units <= self.limit
        if allowed:
            self.used += units
        return allowed, {"X-Allowance-Limit": str(self.limit),
                         "X-Allowance-Remaining": str(max(self.limit - self.used, 0)),
                         "X-Allowance-Reset": str(reset), "Retry-After": str(int(reset - now))}

    def breach(self) -> dict:
        reset = self.reset_at(time.time())
        when = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(reset))
        return {"message": f"Too many requests. Allowance: {self.limit} per {self.per}. Please try again after {when}."}


def app_error(status: int, endpoint: str, serial: int) -> dict:
    """The app's own error answers: 503 with a trace id when its query fails, else Flask's message."""
    if status == 503:
        what = {"associations": "retrieve associations", "tophits": "retrieve tophits (instruments)"}
        return {"message": f"Unable to {what.get(endpoint, 'query gwasinfo')}.", "trace_id": f"{serial:016x}"}
    return {"message": {500: "Internal Server Error"}.get(status, f"scripted HTTP {status}")}


def status_answer() -> dict:
    return {"_NOTES_1": "Check uptime and maintenance information at https://status.opengwas.io",
            "API__VERSION": "fake", "REFERENCES__PLINK": "Available", "SERVICES__METADATA": "Available",
            "SERVICES__ASSOCIATIONS": "Operational", "STATISTICS__N_DATASETS": 6}


def user_answer(headers: dict) -> dict:
    return {"user": {"account_id": "0", "uid": "tester@example.org", "first_name": "Test", "last_name": "User",
                     "most_recent_signin_method": "Email verification", "jwt_valid_until": "2099-01-01 00:00 UTC",
                     "roles": [], "tags": []},
            "request": {"client": headers.get("x-api-source"), "ip": "127.0.0.1"}}


def proxy_page(status: int) -> str:
    title = PROXY_PAGES[status]
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


def echo(kind: str, auth: str) -> Any:
    """An answer quoting the request's Authorization header, as some proxies and error pages do."""
    if kind == "text":
        return f"Request rejected.\nAuthorization: {auth}\nSupport id: 42\n"
    if kind == "html":
        return f"<html><head><title>Denied {auth}</title></head><body>Authorization: {auth}</body></html>"
    if kind == "rows":
        return [{"id": "x", "rsid": "rs1", "trait": f"Authorization: {auth}"}]
    return {"message": f"Authorization header {auth} not accepted", "headers": {"Authorization": auth}}
