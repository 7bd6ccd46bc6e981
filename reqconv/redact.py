"""Credentials out of URLs, before anything is shown, logged or written.

``user:password@`` and ``${TOKEN}@`` userinfo never reach pyproject.toml, uv.lock, a Dockerfile, or
a log. Written files get the URL without userinfo (uv then reads ``UV_INDEX_<NAME>_USERNAME`` /
``_PASSWORD``); messages get ``***`` in its place (the idea of pdm's ``HiddenText``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["has_credentials", "redact_text", "strip_credentials"]

# scheme://userinfo@ anywhere in a text (uv's stderr, a requirements line, a Dockerfile line).
_USERINFO_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s\"']+)@")


def has_credentials(url: str) -> bool:
    """True when ``url`` carries userinfo (``user@``, ``user:pw@`` or ``${VAR}@``)."""
    return _USERINFO_RE.search(url) is not None


def strip_credentials(url: str) -> str:
    """``url`` without its userinfo, for writing to a file."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO_RE.sub(r"\g<scheme>", url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))


def redact_text(text: str) -> str:
    """Every ``scheme://userinfo@`` in ``text`` shown as ``scheme://***@``."""
    return _USERINFO_RE.sub(r"\g<scheme>***@", text)
