"""The one registry of drift finding codes (``CODES``: code, name, the command that fixes it, an
example) and the ``Finding`` every comparison returns; docs/check.md shows ``codes_table()`` and a
test keeps the two equal.

The comparisons, one module per kind of drift: ``requirements`` (requirements files <->
pyproject), ``lockfile`` (pyproject <-> uv.lock), ``exports`` (uv.lock <-> exports),
``dockerfiles`` (Dockerfiles <-> locks), with ``markers`` (markers and specifiers by meaning).
Pure comparisons of texts and models the caller has read (``check`` reads them): nothing here
reads, writes, resolves or runs uv.
"""

from __future__ import annotations

from pathlib import Path

from reqconv.drift import survey
from reqconv.errors import Location
from reqconv.frozen import frozen

__all__ = ["CODES", "Code", "Finding", "codes_table", "finding", "line_of"]


@frozen(kw_only=True)
class Code:
    """One kind of finding: its stable code, a short name, the command that fixes it, an example."""

    code: str
    name: str
    kind: str  # requirements, lock, exports, dockerfiles, missing, strict
    fix: str
    summary: str
    example: str


#: Every finding code reqconv check reports (docs/check.md lists exactly these).
CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            code="R101",
            name="requirement-not-in-pyproject",
            kind="requirements",
            fix="reqconv convert",
            summary="A requirements line whose dependency pyproject.toml does not list.",
            example="requirements.txt:4: R101: 'httpx>=0.27' is not in [project] dependencies",
        ),
        Code(
            code="R102",
            name="requirement-differs",
            kind="requirements",
            fix="reqconv convert",
            summary="A requirements line that pyproject.toml lists with other specifiers, extras "
            "or markers.",
            example="requirements.txt:2: R102: 'beta==2.0' is 'beta==1.5' in [project] dependencies",
        ),
        Code(
            code="R103",
            name="options-differ",
            kind="requirements",
            fix="reqconv convert",
            summary="An index, find-links, constraint, source or other option of the requirements "
            "files that pyproject.toml does not hold.",
            example="requirements.txt:1: R103: '--extra-index-url https://pypi.example.com/simple' "
            "is not in [[tool.uv.index]]",
        ),
        Code(
            code="R104",
            name="compiled-pin-differs",
            kind="requirements",
            fix="reqconv lock --upgrade-package NAME (or re-run pip-compile)",
            summary="A pin of a pip-compile output (the .txt beside its .in) that uv.lock holds "
            "at another version.",
            example="requirements.txt:12: R104: alpha==1.0 is locked at 2.0 in uv.lock",
        ),
        Code(
            code="R105",
            name="hash-not-in-lock",
            kind="requirements",
            fix="reqconv lock (then re-run pip-compile --generate-hashes)",
            summary="A --hash in a requirements file that matches nothing uv.lock records for "
            "the package: pip would refuse the file.",
            example="requirements.txt:3: R105: beta==1.5: none of its 1 --hash values is one "
            "uv.lock records for beta",
        ),
        Code(
            code="L201",
            name="not-in-lock",
            kind="lock",
            fix="reqconv lock",
            summary="A requirement of pyproject.toml that uv.lock did not lock (pyproject was "
            "edited after the last lock).",
            example="pyproject.toml:8: L201: 'zeta>=1' ([project] dependencies) is not in uv.lock",
        ),
        Code(
            code="L202",
            name="only-in-lock",
            kind="lock",
            fix="reqconv lock",
            summary="A requirement uv.lock recorded that pyproject.toml no longer lists.",
            example="uv.lock:40: L202: 'eta ; extra == \"dev\"' is in uv.lock but not in "
            "pyproject.toml",
        ),
        Code(
            code="L203",
            name="requires-python-differs",
            kind="lock",
            fix="reqconv lock",
            summary="[project] requires-python is not the range uv.lock was made for.",
            example="pyproject.toml:4: L203: requires-python '>=3.12' but uv.lock was locked "
            "for '>=3.11'",
        ),
        Code(
            code="L204",
            name="constraints-differ",
            kind="lock",
            fix="reqconv lock",
            summary="[tool.uv] constraint-dependencies or override-dependencies that are not "
            "the ones uv.lock's [manifest] recorded.",
            example="pyproject.toml:15: L204: constraint 'alpha<2' is not in uv.lock's [manifest]",
        ),
        Code(
            code="E301",
            name="export-version-differs",
            kind="exports",
            fix="reqconv lock",
            summary="An export (requirements*.lock, pylock.toml) that pins a version uv.lock "
            "does not hold.",
            example="requirements.lock:9: E301: beta==1.0 but uv.lock holds beta 1.5",
        ),
        Code(
            code="E302",
            name="export-hash-differs",
            kind="exports",
            fix="reqconv lock",
            summary="An export whose hashes for a package are not the ones uv.lock records.",
            example="requirements.lock:9: E302: beta==1.5: the hashes are not uv.lock's",
        ),
        Code(
            code="E303",
            name="export-packages-differ",
            kind="exports",
            fix="reqconv lock",
            summary="An export that lacks a package the lock installs for it, or holds one the "
            "lock does not.",
            example="requirements.lock:1: E303: uv.lock installs delta, which the export lacks",
        ),
        Code(
            code="E304",
            name="export-not-written",
            kind="exports",
            fix="reqconv lock (delete the file, or add the group back)",
            summary="A requirements-NAME.lock for a group or extra pyproject.toml no longer has: "
            "the lock step does not write it any more.",
            example="requirements-docs.lock:1: E304: no group or extra 'docs' in pyproject.toml",
        ),
        Code(
            code="E305",
            name="set-export-differs",
            kind="exports",
            fix="reqconv lock",
            summary="An alternative set's export (requirements-SET.lock, docs/variants.md) that "
            "installs another version of a package than the set's requirements file pins with "
            "`==` (or lacks it): the image of that set would not get what its file asks for.",
            example="requirements-worker.lock:12: E305: cryptography==41.0.0, but "
            "requirements_worker.txt:2 (set 'worker') pins cryptography==39.0.0",
        ),
        Code(
            code="D401",
            name="pip-install-left",
            kind="dockerfiles",
            fix="reqconv docker",
            summary="In a locked service (uv.lock), a `pip install -r` that `reqconv docker` "
            "would rewrite to a sync of the exported lock.",
            example="Dockerfile:5: D401: pip install -r requirements.txt is left (a lock exports it)",
        ),
        Code(
            code="D402",
            name="copy-source-missing",
            kind="dockerfiles",
            fix="reqconv docker (or fix the COPY)",
            summary="A COPY/ADD of a file that is not in the Dockerfile's build context (found "
            "as `reqconv docker` finds it: compose files, or where the sources exist).",
            example="Dockerfile:4: D402: COPY requirements-dev.lock: no such file in the build "
            "context .",
        ),
        Code(
            code="D403",
            name="sync-of-unexported-lock",
            kind="dockerfiles",
            fix="reqconv lock --export-group NAME",
            summary="A Dockerfile that syncs a requirements-NAME.lock the lock step does not "
            "export.",
            example="Dockerfile:9: D403: uses requirements-test.lock, which reqconv lock does "
            "not export",
        ),
        Code(
            code="D404",
            name="uv-image-older",
            kind="dockerfiles",
            fix="reqconv docker",
            summary="A pinned ghcr.io/astral-sh/uv image older than the uv that made the lock "
            "(as the lock step recorded it in .reqconv-fingerprint).",
            example="Dockerfile:3: D404: uv image 0.5.1 is older than uv 0.9.2, which made uv.lock",
        ),
        Code(
            code="M501",
            name="lock-without-pyproject",
            kind="missing",
            fix="reqconv convert",
            summary="A uv.lock with no pyproject.toml beside it.",
            example="uv.lock:1: M501: no pyproject.toml beside uv.lock",
        ),
        Code(
            code="M502",
            name="export-without-lock",
            kind="missing",
            fix="reqconv lock",
            summary="An export reqconv wrote with no uv.lock beside it.",
            example="requirements.lock:1: M502: no uv.lock beside this export",
        ),
        Code(
            code="M503",
            name="synced-lock-missing",
            kind="missing",
            fix="reqconv lock",
            summary="A Dockerfile that copies or syncs a lock file that is not there.",
            example="Dockerfile:6: M503: requirements.lock does not exist",
        ),
        Code(
            code=survey.NOT_MIGRATED,
            name=survey.NOT_MIGRATED_NAME,
            kind="missing",
            fix=survey.NOT_MIGRATED_FIX,
            summary="A service never migrated: requirements files, no uv.lock and no "
            "pyproject.toml [project]. A note (exit 0) unless --require-migrated makes it an "
            "error; told from file names alone, before any comparison.",
            example="plugins/acme/requirements.txt:1: M504: plugins/acme is not migrated yet: "
            "requirements files, no pyproject.toml [project] and no uv.lock",
        ),
        Code(
            code="M505",
            name="lock-outside-context",
            kind="missing",
            fix="reqconv docker --context DIR",
            summary="A Dockerfile that mounts or copies a lock from a path its build context "
            "(found as `reqconv docker` finds it) does not hold, while the service's lock exists: "
            "the image would fail with `not found`.",
            example="svc/a/Dockerfile:6: M505: mounts requirements.lock, which the build "
            "context . does not hold (the lock is svc/a/requirements.lock)",
        ),
        Code(
            code="S601",
            name="uv-lock-check-failed",
            kind="strict",
            fix="reqconv lock",
            summary="--strict: `uv lock --check --offline` says uv.lock is out of date.",
            example="uv.lock:1: S601: uv lock --check --offline: The lockfile at uv.lock needs "
            "to be updated",
        ),
    )
}


@frozen(kw_only=True, order=True)
class Finding:
    """One drift: where (``path:line``), which code, what, and the command that fixes it."""

    path: Path
    line: int
    code: str
    message: str

    @property
    def fix(self) -> str:
        return CODES[self.code].fix

    @property
    def location(self) -> Location:
        return Location(self.path, self.line)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code}: {self.message} (fix: {self.fix})"


def codes_table() -> str:
    """The Markdown table of ``CODES`` that docs/check.md holds (a test keeps them equal)."""
    rows = ["| code | name | fix | what | example |", "|---|---|---|---|---|"]
    for c in CODES.values():
        rows.append(f"| `{c.code}` | {c.name} | `{c.fix}` | {c.summary} | `{c.example}` |")
    return "\n".join(rows) + "\n"


def finding(code: str, path: Path, line: int, message: str) -> Finding:
    assert code in CODES, code
    return Finding(path=path, line=max(line, 1), code=code, message=message)


def line_of(text: str, needle: str, start: int = 0) -> int:
    """The 1-based line of the first ``needle`` in ``text`` at or after offset ``start`` (0: none)."""
    at = text.find(needle, start)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0
