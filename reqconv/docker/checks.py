"""Findings about the file as a whole, apart from any one install: ``ONBUILD RUN pip install``
(runs in other builds), pip in an exec-form ``RUN [...]``, and index credentials or pip settings
passed through ``ARG``/``ENV`` (uv reads neither the same way).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from reqconv.docker.facts import Dockerfile
from reqconv.docker.instructions import env_pairs, unquote
from reqconv.docker.reasons import Findings
from reqconv.docker.shell import PIP_INSTALL_RE
from reqconv.redact import has_credentials

__all__ = ["SECRET_HINT", "check_json_run", "check_onbuild", "scan_credentials"]

_SECRET_NAME_RE = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|API_?KEY|AUTH", re.I)

# uv reads UV_INDEX_<NAME>_* for an index it knows by name: in the image, that is the
# [[tool.uv.index]] of a pyproject.toml in the folder of the sync. An export's --index-url lines are
# unnamed; for those uv reads a netrc file.
SECRET_HINT = (
    "RUN --mount=type=secret,id=<id>,env=UV_INDEX_<NAME>_PASSWORD (NAME: the [[tool.uv.index]] "
    "name; copy pyproject.toml beside the lock so that uv knows it), or "
    "RUN --mount=type=secret,id=netrc,target=/root/.netrc for the lock's --index-url"
)


def check_onbuild(command: Any, findings: Findings) -> None:
    if (command.sub_cmd or "").upper() == "RUN" and PIP_INSTALL_RE.search(command.original):
        findings.kept(
            command.start_line,
            "onbuild",
            "ONBUILD RUN pip install runs later, in the builds FROM this image and with their "
            "context",
        )


def check_json_run(command: Any, findings: Findings) -> None:
    words = [w.lower() for w in command.value]
    if "install" in words and any(PurePosixPath(w).name.startswith("pip") for w in words):
        findings.kept(command.start_line, "exec-form", "pip in an exec-form RUN [...]")


def scan_credentials(doc: Dockerfile, findings: Findings) -> None:
    for command in doc.commands:
        if command.cmd.upper() not in ("ARG", "ENV"):
            continue
        pairs = (
            env_pairs(command)
            if command.cmd.upper() == "ENV"
            else [
                (item.partition("=")[0], unquote(item.partition("=")[2])) for item in command.value
            ]
        )
        for name, value in pairs:
            url_creds = has_credentials(value)
            secret_name = _SECRET_NAME_RE.search(name) is not None
            index_var = name.upper() in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")
            if url_creds or (secret_name and (_mentions_index(doc, name) or index_var)):
                findings.advise(
                    command.start_line,
                    "index-credentials",
                    f"{command.cmd.upper()} {name} passes an index credential into the build, "
                    "where it stays in the image history: with uv, pass it as a build secret, "
                    f"{SECRET_HINT}, and drop the {command.cmd.upper()}",
                )
            elif index_var:
                findings.advise(
                    command.start_line,
                    "pip-env",
                    f"uv does not read {name}: set UV_DEFAULT_INDEX / UV_INDEX instead",
                )


def _mentions_index(doc: Dockerfile, name: str) -> bool:
    """Whether ``$name`` appears in a pip index option or the requirements' index lines."""
    pattern = re.compile(r"\$\{?" + re.escape(name) + r"\b")
    # Dockerfiles pass a token ARG for the requirements' ``--index-url https://${TOKEN}@…``:
    # any mention outside its declaration counts, or none at all (then it is there for pip).
    if any(
        c.cmd.upper() == "RUN" and "pip" in c.original and pattern.search(c.original)
        for c in doc.commands
    ):
        return True
    declared_empty = any(c.cmd.upper() == "ARG" and name in c.value for c in doc.commands)
    return declared_empty and any(
        c.cmd.upper() == "RUN" and "pip" in c.original and "-r" in c.original for c in doc.commands
    )
