"""The OpenGWAS token: read from the environment, cleaned of what a paste leaves around it, and kept out of
every message; see :mod:`mrkit.gwas.opengwas`.

A token is a JWT: three base64url fields joined by dots (RFC 7519), letters, digits, ``-``, ``_`` and ``.``
only. The server reads the ``Authorization`` header with ``.replace("Bearer ", "")`` and refuses anything
else around the token with HTTP 401 "Invalid token ... make sure there are no extra or missing characters
around the token when you copy and paste" (MRCIEU/opengwas-api ``app/middleware/auth.py``,
``app/resources/jwt.py``). What a paste leaves around it (white space, a final newline, quotes, the README's
``<...>``, a leading ``Bearer``) is removed here; anything else that is not a token character is refused
with a message saying which character and where, never the token itself.

:func:`redact` is the one step every message built from a server's answer goes through, whatever the
status: the token (as set and as cleaned), any ``Bearer ...`` credential, any JWT-shaped string and any
long piece of the token are replaced by ``<token>`` before the text is cut to its excerpt, so a cut can
never leave part of a token behind.
"""
from __future__ import annotations

import os
import re

__all__ = ["TOKEN_ENV", "PLACEHOLDER", "clean_token", "read_token", "redact", "quotes", "excerpt"]

TOKEN_ENV = "OPENGWAS_JWT"
#: The README's shell line names this placeholder; a token still equal to it was never pasted.
PLACEHOLDER = "paste-your-token-here"
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_.\-]+")
_WRAPPERS = (("<", ">"), ('"', '"'), ("'", "'"), ("`", "`"), ("\u201c", "\u201d"), ("\u2018", "\u2019"))
_BEARER = re.compile(r"(?i)\bBearer\s+[^\s\"'<>,;]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*")
#: A run of token characters this long that occurs in the token is treated as part of it.
_PIECE = 12
#: An excerpt is taken from at most this many leading characters of an answer.
_SCAN = 65536


def clean_token(raw: str) -> tuple[str, list[str]]:
    """``raw`` without what a paste leaves around a token, and what was removed (for a note to the user).

    Removed, repeatedly from both ends: white space (newlines included), one pair of matching quotes,
    back-ticks or angle brackets, a leading ``Bearer``. Raises ValueError when what is left is the README's
    placeholder or holds a character no token has (its position is named, the token is not).
    """
    token, removed = raw, []
    while True:
        before = token
        if token != token.strip():
            token = token.strip()
            removed.append("white space")
        for left, right in _WRAPPERS:
            if len(token) >= 2 and token.startswith(left) and token.endswith(right):
                token = token[len(left):-len(right)]
                removed.append(f"{left}...{right}")
        if token[:7].lower() == "bearer ":
            token = token[7:]
            removed.append("'Bearer '")
        if token == before:
            break
    if token.lower() in (PLACEHOLDER, "your token", "token", "your-token", "paste your token here"):
        raise ValueError(f"{TOKEN_ENV} holds the placeholder {token!r}, not a token: paste the token from "
                             "https://api.opengwas.io/profile/ in its place")
    bad = next((i for i, c in enumerate(token) if not _TOKEN_CHARS.fullmatch(c)), None)
    if bad is not None:
        what = {" ": "a space", "\n": "a line break", "\t": "a tab"}.get(token[bad], f"the character {token[bad]!r}")
        raise ValueError(f"{TOKEN_ENV} is not one token: {what} at character {bad + 1} of {len(token)} (a token "
                             "is one line of letters, digits, '-', '_' and '.'); set it again with the token alone, "
                             f"e.g. export {TOKEN_ENV}='{PLACEHOLDER}' with the token in place of those words")
    return token, list(dict.fromkeys(removed))


def read_token(given: str | None = None) -> tuple[str, str, list[str]]:
    """(raw, cleaned, removed) for ``given`` or, when None, ``$OPENGWAS_JWT`` (empty strings when unset)."""
    raw = given if given is not None else os.environ.get(TOKEN_ENV, "")
    if not raw.strip():
        return raw, "", []
    token, removed = clean_token(raw)
    return raw, token, removed


def redact(text: str, *secrets: str) -> str:
    """``text`` with each secret, each ``Bearer ...`` credential, each JWT-shaped string, and each run of token
    characters that holds 12 consecutive characters of a secret (a token cut short by whoever echoed it)
    replaced by ``<token>``."""
    secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
    for secret in secrets:
        text = text.replace(secret, "<token>")
    text = _BEARER.sub("Bearer <token>", text)
    text = _JWT.sub("<token>", text)
    pieces = {s[i:i + _PIECE] for s in secrets for i in range(len(s) - _PIECE + 1)}
    if pieces:
        def run(m: re.Match) -> str:
            r = m.group(0)
            return "<token>" if any(r[i:i + _PIECE] in pieces for i in range(len(r) - _PIECE + 1)) else r

        text = re.sub(rf"[A-Za-z0-9_.\-]{{{_PIECE},}}", run, text)
    return text


def quotes(text: str, *secrets: str) -> bool:
    """Whether ``text`` holds a secret or a piece of one long enough to be taken for it (any of the secret's
    consecutive 12-character blocks: an echo of 23 or more of its characters holds one)."""
    for secret in (s for s in secrets if s):
        if secret in text:
            return True
        if any(secret[i:i + _PIECE] in text for i in range(0, len(secret) - _PIECE + 1, _PIECE)):
            return True
    return False


def excerpt(text: str, limit: int, *secrets: str) -> str:
    """A one-line excerpt of a server's answer for a message: redacted first (:func:`redact`), then the title of
    an HTML page or the text with its white space collapsed, cut to ``limit`` characters."""
    if len(text) > _SCAN:  # look at the start only; a run of token characters cut at the end goes too
        text = re.sub(r"[A-Za-z0-9_.\-]+$", "", text[:_SCAN])
    text = redact(text, *secrets)
    title = re.search(r"<title[^>]*>(.*?)</title>", text, flags=re.IGNORECASE | re.DOTALL)
    if title or re.match(r"\s*<(!doctype|html)", text, flags=re.IGNORECASE):
        text = "HTML page" + (f" '{title.group(1).strip()}'" if title else "")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
