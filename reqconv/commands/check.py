"""`reqconv check`: drift between requirements files, pyproject.toml, uv.lock, exports, Dockerfiles.

Thin: finds the services, runs ``check.check_service`` on each (or trusts a matching
fingerprint), prints the findings as text, JSON or GitHub annotations. Writes nothing.
Exit: 0 in sync, 1 drift, 2 unreadable input, 3 uv failed under ``--strict``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from reqconv import fingerprint
from reqconv.commands import Output, display_path
from reqconv.drift import check
from reqconv.drift.check import ServiceCheck

if TYPE_CHECKING:
    from reqconv.drift import Finding

__all__ = ["JSON_VERSION", "CheckOptions", "Format", "run"]

Format = Literal["text", "json", "github"]

#: ``--format json`` schema version (docs/check.md describes the schema).
JSON_VERSION = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckOptions:
    paths: tuple[Path, ...]
    format: Format = "text"
    strict: bool = False
    quiet: bool = False
    fast: bool = True  # trust a matching fingerprint (tests turn it off to compare both paths)


# --------------------------------------------------------------------------------------------
# Output


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _finding_json(finding: Finding) -> dict[str, object]:
    from reqconv.drift import CODES

    return {
        "code": finding.code,
        "name": CODES[finding.code].name,
        "path": display_path(finding.path),
        "line": finding.line,
        "message": finding.message,
        "fix": finding.fix,
    }


def _show(results: Sequence[ServiceCheck], options: CheckOptions, out: Output) -> None:
    findings = [f for r in results for f in r.findings]
    if options.format == "json":
        report = {
            "version": JSON_VERSION,
            "in_sync": not findings,
            "services": [
                {
                    "path": display_path(r.root),
                    "in_sync": not r.findings,
                    "fingerprint": r.fast,
                    "findings": [_finding_json(f) for f in r.findings],
                }
                for r in results
            ],
        }
        out.out(json.dumps(report, indent=2))
        return
    for finding in findings:
        where = display_path(finding.path)
        if options.format == "github":
            out.out(
                f"::error file={_github_escape(where, property_value=True)},"
                f"line={finding.line},title={finding.code}::"
                + _github_escape(f"{finding.message} (fix: {finding.fix})")
            )
        else:
            out.out(
                f"{where}:{finding.line}: {finding.code}: {finding.message} (fix: {finding.fix})"
            )
    if options.quiet:
        return
    if findings:
        out.err(f"check: {len(findings)} finding(s) in {len(results)} service(s)")
    else:
        out.err(f"check: {len(results)} service(s) in sync")


def run(options: CheckOptions, out: Output) -> int:
    """Check every service in ``options.paths``; 0 in sync, 1 drift."""
    results = []
    for root in check.find_services(options.paths):
        if options.fast and not options.strict and fingerprint.matches(str(root)):
            results.append(ServiceCheck(root=root, fast=True))
            continue
        results.append(check.check_service(root, strict=options.strict))
    _show(results, options, out)
    return 1 if any(r.findings for r in results) else 0
