"""`reqconv check`: drift between requirements files, pyproject.toml, uv.lock, exports, Dockerfiles.

Thin: finds the services, answers each from ``survey`` when it can (a matching fingerprint, a
service not migrated yet) and runs ``check.check_service`` on the others, then prints the answers
as text, JSON or GitHub annotations (``survey.render``). Writes nothing.
Exit: 0 in sync, 1 drift (or a service not migrated under ``--require-migrated``), 2 unreadable
input, 3 uv failed under ``--strict``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from reqconv.commands import Output, display_path
from reqconv.drift import check, survey
from reqconv.drift.check import ServiceCheck
from reqconv.drift.survey import JSON_VERSION
from reqconv.frozen import frozen

__all__ = ["JSON_VERSION", "CheckOptions", "Format", "run"]

Format = Literal["text", "json", "github"]


@frozen(kw_only=True)
class CheckOptions:
    paths: tuple[Path, ...]
    format: Format = "text"
    strict: bool = False
    quiet: bool = False
    require_migrated: bool = False  # a service not migrated yet (M504) is an error, not a note
    fast: bool = True  # trust a matching fingerprint (tests turn it off to compare both paths)


def _answer(result: ServiceCheck) -> survey.Answer:
    """The full comparison's result, as ``survey.render`` shows it."""
    from reqconv.drift import CODES

    items = [
        survey.Item(
            code=f.code,
            name=CODES[f.code].name,
            path=display_path(f.path),
            line=f.line,
            message=f.message,
            fix=f.fix,
        )
        for f in result.findings
    ]
    return survey.Answer(path=display_path(result.root), checked_by="full", findings=items)


def run(options: CheckOptions, out: Output) -> int:
    """Check every service in ``options.paths``; 0 in sync, 1 drift."""
    answers = []
    for root in check.find_services(options.paths):
        found = survey.answer(
            str(root),
            fingerprints=options.fast and not options.strict,
            required=options.require_migrated,
        )
        if found is None:
            found = _answer(check.check_service(root, strict=options.strict))
        answers.append(found)
    stdout, stderr, code = survey.render(answers, options.format, quiet=options.quiet)
    for line in stdout:
        out.out(line)
    for line in stderr:
        out.err(line)
    return code
