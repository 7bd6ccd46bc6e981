"""Error tree and source locations. Every error carries its exit code; only cli.py maps them.

No imports from reqconv. Messages name a location (``path:line``) and, where there is one, the fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reqconv.frozen import frozen


@frozen(order=True)
class Location:
    """A line in a file (1-based). ``line == 0`` means the whole file."""

    path: Path
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


class ReqconvError(Exception):
    """Base of every error reqconv reports without a traceback."""

    exit_code = 4

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is not None:
            return f"{self.location}: {self.message}"
        return self.message


class InputError(ReqconvError):
    """Bad input: a file reqconv cannot read or understand. Nothing is written."""

    exit_code = 2


class InputErrors(InputError):
    """Several bad inputs found in one run (every bad line of every file): each is reported.

    ``str()`` gives one ``path:line: message`` per line; cli.py prints each as its own error.
    """

    errors: tuple[InputError, ...]

    def __init__(self, errors: Iterable[InputError]) -> None:
        flat: list[InputError] = []
        for error in errors:
            flat.extend(error.errors if isinstance(error, InputErrors) else (error,))
        super().__init__(f"{len(flat)} errors in the input", flat[0].location if flat else None)
        self.errors = tuple(flat)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)

    @staticmethod
    def of(errors: Iterable[InputError]) -> InputError:
        """The one error itself, or a group of several (never called with none)."""
        group = InputErrors(errors)
        assert group.errors, "InputErrors.of needs at least one error"
        return group.errors[0] if len(group.errors) == 1 else group


class ParseError(InputError):
    """A requirements file line that is not valid pip syntax."""


class ConflictError(InputError):
    """Requirements that cannot all hold (two different ``==`` pins, ``>=2`` with ``<1``).

    ``other``: the line the one at ``location`` cannot hold with, when it is another requirement
    (two files pinning one package apart may be alternative sets: docs/variants.md).
    """

    def __init__(
        self, message: str, location: Location | None = None, *, other: Location | None = None
    ) -> None:
        super().__init__(message, location)
        self.other = other


class PyprojectError(InputError):
    """A pyproject.toml that is not valid TOML or has tables of the wrong shape."""


class DockerfileError(InputError):
    """A Dockerfile the BuildKit parser refuses."""


class BusyError(ReqconvError):
    """Another reqconv run holds the service (``fs.folder_lock``) for longer than the wait allowed.

    Exit 3 like a failed uv: the input is fine, the run could not happen; nothing was touched.
    """

    exit_code = 3


class UvError(ReqconvError):
    """uv is missing, too old, failed, timed out or was killed."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        argv: tuple[str, ...] = (),
        returncode: int | None = None,
        stderr: str = "",
    ) -> None:
        super().__init__(message)
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr

    def __str__(self) -> str:
        parts = [self.message]
        if self.argv:
            parts.append(f"command: {' '.join(self.argv)}")
        if self.returncode is not None:
            parts.append(f"exit status: {self.returncode}")
        if self.stderr.strip():
            parts.append(self.stderr.rstrip())
        return "\n".join(parts)


class UvNotFoundError(UvError):
    """No usable uv binary (absent, or older than the minimum reqconv supports)."""


class DockerEngineError(ReqconvError):
    """``--verify`` found no Docker engine it may use (no client, no daemon, no permission, no
    BuildKit). Exit 3 like a missing uv: the input is fine, the check could not run; nothing
    was written."""

    exit_code = 3


class VerifyError(ReqconvError):
    """``convert --verify``: a rewritten image failed its builds or imports; every file the run
    had written is restored. Exit 1, as ``reqconv docker --verify`` gives."""

    exit_code = 1
