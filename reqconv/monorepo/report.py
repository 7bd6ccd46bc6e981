"""What one service's run did (``ServiceReport``), and the summary of a run over many.

Pure: reports in, rows, text and JSON out. The summary is one table, a row per service (status,
groups, packages locked, versions moved with the count of their reasons, Dockerfiles rewritten /
kept, warnings), then the folders the walk took or left and why, then the details of each service
grouped per file, each line with its ``file:line``. ``terminal.py`` draws the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from reqconv.errors import InputErrors, Location, ReqconvError
from reqconv.frozen import frozen
from reqconv.model import Diagnostic

__all__ = [
    "COLUMNS",
    "Detail",
    "ServiceReport",
    "details_text",
    "failed_report",
    "reports_json",
    "rows",
    "worst",
]

Status = Literal[
    "converted",
    "locked",
    "rewritten",
    "unchanged",
    "on uv",
    "would change",
    "up to date",
    "failed",
]

COLUMNS = ("service", "status", "groups", "packages", "moved", "dockerfiles", "warnings")


@frozen(kw_only=True)
class Detail:
    """One line of a service's details: a diagnostic, or an error, at ``path:line``."""

    severity: str  # error, warning, info
    message: str
    path: str | None = None  # as the run shows paths (POSIX)
    line: int = 0
    code: str = ""

    @property
    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path

    @classmethod
    def of(cls, diag: Diagnostic) -> Detail:
        location = diag.location
        return cls(
            severity=diag.severity,
            message=diag.message,
            path=location.path.as_posix() if location is not None else None,
            line=location.line if location is not None else 0,
            code=diag.code,
        )

    @classmethod
    def error(cls, message: str, location: Location | None, code: str = "error") -> Detail:
        return cls(
            severity="error",
            message=message,
            path=location.path.as_posix() if location is not None else None,
            line=location.line if location is not None else 0,
            code=code,
        )


@dataclass(kw_only=True, slots=True)
class ServiceReport:
    """What the run did in one service folder (built in the worker process, so picklable)."""

    path: Path
    why: str = ""  # why the walk took the folder
    status: Status = "unchanged"
    exit_code: int = 0
    groups: tuple[str, ...] = ()
    packages: int | None = None  # packages in uv.lock after the lock step
    moved: tuple[str, ...] = ()  # the reason of each pinned version the lock moved
    dockerfiles_rewritten: int = 0
    dockerfiles_kept: int = 0
    details: list[Detail] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)  # --dry-run / --check
    # --verify: each build's table (``docker.verify.render``) and its JSON (``to_json``), the
    # entries of a single-service run's ``"dockerfiles"``
    verify_tables: list[str] = field(default_factory=list)
    verified: list[dict[str, object]] = field(default_factory=list)
    uv_runs: list[tuple[str, float]] = field(default_factory=list)  # --verbose
    seconds: float = 0.0

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.details if d.severity == "warning")

    def json(self) -> dict[str, object]:
        return {
            "path": self.path.as_posix(),
            "why": self.why,
            "status": self.status,
            "exit_code": self.exit_code,
            "groups": list(self.groups),
            "packages": self.packages,
            "moved": len(self.moved),
            "moved_reasons": len(set(self.moved)),
            "dockerfiles": {"rewritten": self.dockerfiles_rewritten, "kept": self.dockerfiles_kept},
            "warnings": self.warnings,
            "written": list(self.written),
            "verified": list(self.verified),
            "details": [
                {
                    "severity": d.severity,
                    "code": d.code,
                    "location": d.where or None,
                    "message": d.message,
                }
                for d in self.details
            ],
            "uv": [{"command": command, "seconds": round(s, 3)} for command, s in self.uv_runs],
            "seconds": round(self.seconds, 3),
        }


def mark_failed(report: ServiceReport, exit_code: int) -> None:
    """``report`` failed: its transaction restored every file, so nothing it planned counts as
    written or rewritten (the summary would otherwise show a Dockerfile rewritten that is not)."""
    report.status = "failed"
    report.exit_code = exit_code
    report.written = []
    report.dockerfiles_rewritten = 0
    report.dockerfiles_kept = 0


def failed_report(report: ServiceReport, error: ReqconvError) -> ServiceReport:
    """``report`` marked failed with ``error`` (each bad line of an ``InputErrors`` a detail)."""
    mark_failed(report, error.exit_code)
    errors = error.errors if isinstance(error, InputErrors) else (error,)
    # A uv failure has no location: its whole text (command, exit status, uv's stderr) is shown.
    report.details.extend(
        Detail.error(e.message if e.location is not None else str(e), e.location) for e in errors
    )
    return report


def worst(reports: Sequence[ServiceReport]) -> int:
    """The run's exit code: the worst of its services' (0 < 1 < 2 < 3 < 4)."""
    return max((report.exit_code for report in reports), default=0)


def _moved(report: ServiceReport) -> str:
    if not report.moved:
        return "0"
    reasons = len(set(report.moved))
    return f"{len(report.moved)} ({reasons} reason{'s' if reasons != 1 else ''})"


def _dockerfiles(report: ServiceReport) -> str:
    if not report.dockerfiles_rewritten and not report.dockerfiles_kept:
        return "-"
    return f"{report.dockerfiles_rewritten} rewritten / {report.dockerfiles_kept} kept"


def rows(reports: Sequence[ServiceReport]) -> list[tuple[str, ...]]:
    """One row of ``COLUMNS`` per service."""
    return [
        (
            report.path.as_posix(),
            report.status,
            ", ".join(report.groups) or "-",
            str(report.packages) if report.packages is not None else "-",
            _moved(report),
            _dockerfiles(report),
            str(report.warnings),
        )
        for report in reports
    ]


def _relative(path: str, service: Path) -> str:
    try:
        return Path(path).relative_to(service).as_posix()
    except ValueError:
        return path


def details_text(
    reports: Sequence[ServiceReport],
    *,
    quiet: bool = False,
    verbose: bool = False,
    left: Sequence[tuple[Path, str]] = (),
) -> str:
    """The walk's choices (unless ``quiet``), then each service's details, per file, with
    ``file:line``; ``quiet`` keeps the failed services' only, ``verbose`` adds info lines, uv's
    commands and their timings."""
    out: list[str] = []
    if not quiet:
        out += [f"taken: {r.path.as_posix()}: {r.why}" for r in reports if r.why]
        out += [f"left: {path.as_posix()}: {why}" for path, why in left]
    for report in reports:
        if quiet and report.status != "failed":
            continue
        shown = [d for d in report.details if verbose or d.severity != "info"]
        if not shown and not (verbose and report.uv_runs) and not report.written:
            continue
        out.append("")
        out.append(f"{report.path.as_posix()}: {report.status}")
        by_file: dict[str, list[Detail]] = {}
        for detail in shown:
            by_file.setdefault(detail.path or "", []).append(detail)
        for path, details in by_file.items():
            out.append(f"  {_relative(path, report.path) if path else '(service)'}")
            out += [f"    {d.where or '-'}: {d.severity}: {d.message}" for d in details]
        if not quiet and report.written:
            out.append("  wrote " + ", ".join(_relative(p, report.path) for p in report.written))
        if verbose:
            out += [f"  uv ({seconds:.2f} s): {command}" for command, seconds in report.uv_runs]
            out.append(f"  {report.seconds:.2f} s in all")
    return "\n".join(out).strip("\n")


def reports_json(reports: Sequence[ServiceReport]) -> list[dict[str, object]]:
    """``--json``: a list of service reports."""
    return [report.json() for report in reports]
