"""Which requirements file feeds which table: discovery by file name, or ``--main``/``--group``.

Only lists folders (``discover``), reads the header comment of a compiled ``.txt`` (which ``.in``
pip-compile made it from) and checks that named files exist (``from_options``). ``classify`` is
pure. Group names are normalized as PEP 735 compares them (PEP 503 rule).

Rules (``name`` relative to the service folder; docs/convert.md, "How main and groups are chosen"):

- ``requirements.txt`` / ``requirements.in`` -> main (``[project] dependencies``).
- ``requirements-X.txt``, ``requirements_X.txt``, ``requirements.X.txt``, ``X-requirements.txt``,
  ``X_requirements.txt`` and ``requirements/X.txt`` carry the label ``X`` (inside ``requirements/``
  the same affixes come off: ``requirements/test_requirements.txt`` is ``test``,
  ``requirements/requirements.txt`` main). By its label, a file is
  - main when ``X`` is one of ``MAIN_NAMES`` (``base``, ``prod``, ``production``, ``default``, ...)
    or is the service folder's own name (``backend/requirements-backend.txt``);
  - a group when ``X``, or one of its ``-`` parts, is one of ``GROUP_NAMES`` (``dev``, ``test``,
    ``docs``, ``lint``, ``local``, ``typing``, ``ci``, ...: tools that production never imports):
    ``requirements-dev.txt`` -> ``dev``, ``requirements-docs-tests.txt`` -> ``docs-tests``;
  - otherwise (``worker``, ``gpu``, ``plot``, ``versions``, ...) main when no file of the folder is
    main by the two rules above (it is then the service's production file: several such files
    all feed main), else the group ``X``.
- ``X`` in ``IGNORED_NAMES`` (constraints, lock output) is no role: such a file matters only when
  another file ``-c``/``-r``'s it.
- ``X.in`` beside ``X.txt``: ``Role(path=X.in, compiled=X.txt)`` (pip-compile / uv pip compile);
  so is a ``.txt`` whose pip-compile header names an ``.in`` in another of the two folders (the
  pair takes the ``.txt``'s table).
- A ``.txt`` whose header says ``uv export`` (or reqconv's lock step) made it from uv.lock is
  that lock's output, not an input, when ``pyproject.toml`` holds ``[project]`` dependencies and
  ``uv.lock`` is beside it: no role (``UvExport.converted`` false; convert says so). Without them
  (a copy taken elsewhere) it is all there is, and keeps its role.
- Several files may feed one table (``requirements.txt`` and ``requirements/base.txt`` both feed main;
  when one ``-r``'s the other, normalize folds the include).
- Alternative sets (docs/variants.md): a file named by ``--variant NAME=FILE``, or recorded in
  ``pyproject.toml`` ``[tool.reqconv] variants`` by an earlier convert, is the role of group
  ``NAME`` with ``variant`` set (``with_variants``); ``discover`` applies the recorded ones.

Order: main roles first, then groups by name; within a table, top-level files before
``requirements/`` ones, then by name.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from packaging.utils import canonicalize_name

from reqconv.errors import InputError
from reqconv.frozen import frozen
from reqconv.model import Role
from reqconv.requirements import filenames
from reqconv.requirements.filenames import IGNORED_NAMES, MAIN_NAMES

__all__ = [
    "GROUP_NAMES",
    "IGNORED_NAMES",
    "MAIN_NAMES",
    "UvExport",
    "classify",
    "discover",
    "discover_exports",
    "from_options",
    "group_name",
    "is_group_label",
    "is_valid_name",
    "project_name",
    "recorded_variants",
    "with_variants",
]

#: Labels (or ``-`` parts of one) of tools production never imports: always a group.
GROUP_NAMES = frozenset(
    {
        "dev",
        "develop",
        "development",
        "local",
        "test",
        "tests",
        "testing",
        "unittest",
        "unittests",
        "e2e",
        "integration",
        "docs",
        "doc",
        "documentation",
        "lint",
        "linter",
        "linters",
        "linting",
        "format",
        "style",
        "typing",
        "types",
        "mypy",
        "ci",
        "tox",
        "nox",
        "build",
        "release",
        "check",
        "checks",
        "qa",
        "bench",
        "benchmark",
        "benchmarks",
        "debug",
        "pre-commit",
        "precommit",
        "tools",
        "notebook",
        "notebooks",
    }
)

_SUBDIR = filenames.SUBDIR
# PEP 735 / PEP 508 name syntax (filenames.is_name spells the same rule without re).
_VALID_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def group_name(label: str) -> str:
    """A PEP 735 group name as written: lower case, runs of ``-_.`` as one ``-``."""
    return str(canonicalize_name(label))


def is_valid_name(name: str) -> bool:
    """A PEP 508 / PEP 621 project name (letters, digits, ``-_.`` inside)."""
    return _VALID_NAME_RE.match(name) is not None


def project_name(folder: str, *, taken: Iterable[str] = ()) -> str:
    """A valid, normalized project name for a service folder's name: each run of characters a
    name cannot hold (spaces, ``+``, ``@``, ...) is one ``-``; ``My.Service v2`` -> ``my-service-v2``.
    A folder name with no letter or digit gives ``app``. A name in ``taken`` (the service's own
    dependencies: label-studio's ``easyocr/`` example depends on ``easyocr``) gets ``-service``, as
    uv would read a dependency of the project's own name as the project itself."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", folder).strip("-_.")
    name = str(canonicalize_name(cleaned)) if cleaned else "app"
    names = {canonicalize_name(item) for item in taken}
    while name in names:
        name = f"{name}-service"
    return name


def _label(name: str) -> tuple[str, str] | None:
    """``(name, label)`` of a candidate POSIX path, label ``""`` for main; ``None`` when no role
    (the rule: ``filenames.label``, which check's fast path shares)."""
    found = filenames.label(name)
    return None if found is None else (name, found)


def is_group_label(label: str) -> bool:
    """A label (normalized) of tools production never imports: it, or one of its parts, is one of
    ``GROUP_NAMES`` (``docs-tests``, ``test-pre-commit``, ``dev-frozen``)."""
    if label in GROUP_NAMES:
        return True
    parts = label.split("-")
    return any(part in GROUP_NAMES for part in parts) or any(
        f"{a}-{b}" in GROUP_NAMES for a, b in itertools.pairwise(parts)
    )


def _order(role: Role, root: Path) -> tuple[int, str, int, str]:
    relative = role.path.relative_to(root) if role.path.is_relative_to(root) else role.path
    return (
        0 if role.group is None else 1,
        role.group or "",
        len(relative.parts),
        relative.as_posix(),
    )


def classify(root: Path, names: Iterable[str]) -> tuple[Role, ...]:
    """Roles for candidate files (POSIX paths relative to ``root``); non-matching names are skipped."""
    by_base: dict[str, dict[str, str]] = {}  # "dir/stem" -> {".in": name, ".txt": name}
    labels: dict[str, str] = {}
    for name in sorted(set(names)):
        found = _label(name)
        if found is None:
            continue
        posix = PurePosixPath(name)
        base = str(posix.with_suffix(""))
        by_base.setdefault(base, {})[posix.suffix.lower()] = name
        labels[base] = found[1]
    folder = group_name(root.name) if root.name else ""
    for base, label in labels.items():
        if label and label == folder:
            labels[base] = ""  # backend/requirements-backend.txt: the service's own file
    if not any(label == "" for label in labels.values()):
        # No file is main by name: the production files among the rest are (docs/convert.md).
        for base, label in labels.items():
            if not is_group_label(label):
                labels[base] = ""
    roles = []
    for base, files in by_base.items():
        group = labels[base] or None
        source = files.get(".in")
        compiled = files.get(".txt")
        if source is None:
            assert compiled is not None
            roles.append(Role(path=root / compiled, group=group))
        else:
            roles.append(
                Role(
                    path=root / source,
                    group=group,
                    compiled=root / compiled if compiled is not None else None,
                )
            )
    return tuple(sorted(roles, key=lambda role: _order(role, root)))


def _list(folder: Path, prefix: str) -> list[str]:
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return []
    except OSError as e:
        raise InputError(f"cannot list: {e.strerror or e}") from e
    return [prefix + entry.name for entry in entries if entry.is_file()]


# The command line a pip-compile / uv pip compile output starts with (its header comment).
_COMPILE_RE = re.compile(r"^#\s+(?:pip-compile|uv pip compile)\b(?P<args>.*)$")
_HEADER_LINES = 12


def _compiled_from(root: Path, path: Path) -> Path | None:
    """The ``.in`` a compiled ``.txt``'s header names (``pip-compile … requirements/x.in``), as a
    path under ``root``, when it exists; read from its first lines only."""
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            head = [f.readline() for _ in range(_HEADER_LINES)]
    except OSError:
        return None
    for line in head:
        match = _COMPILE_RE.match(line.strip())
        if match is None:
            continue
        for arg in match["args"].split():
            if not arg.endswith(".in") or arg.startswith("-"):
                continue
            for base in (root, path.parent):  # run from the service folder, or beside the output
                source = Path(os.path.normpath(base / arg))
                if source.is_file() and source.is_relative_to(root):
                    return source
    return None


def _pair_by_header(root: Path, roles: tuple[Role, ...]) -> tuple[Role, ...]:
    """``X.in`` and the compiled ``.txt`` whose header names it, in different folders (refinery's
    ``requirements/requirements.in`` -> ``requirements.txt``): one role, the ``.txt``'s table."""
    sources = {role.path: role for role in roles if role.path.suffix == ".in" and not role.compiled}
    paired: dict[Path, Role] = {}
    for role in roles:
        if role.path.suffix != ".txt" or not sources:
            continue
        source = _compiled_from(root, role.path)
        if source is not None and source in sources and source not in paired:
            paired[source] = Role(path=source, group=role.group, compiled=role.path)
    if not paired:
        return roles
    compiled = {role.compiled for role in paired.values()}
    kept = [paired.get(role.path, role) for role in roles if role.path not in compiled]
    return tuple(sorted(kept, key=lambda role: _order(role, root)))


@frozen(kw_only=True)
class UvExport:
    """A requirements file exported from uv.lock (its header's ``command``); ``converted`` when the
    service has no ``pyproject.toml`` dependencies and ``uv.lock`` to be its source."""

    path: Path
    command: str
    converted: bool


def _export_command(path: Path) -> str | None:
    from reqconv.requirements.parse import EXPORT_HEADER_LINES, export_command

    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            head = "".join(f.readline() for _ in range(EXPORT_HEADER_LINES))
    except OSError:
        return None
    return export_command(head)


def _on_uv(root: Path) -> bool:
    """``uv.lock`` and a ``pyproject.toml`` with ``[project]`` dependencies (listed or dynamic)."""
    if not (root / "uv.lock").is_file():
        return False
    import tomllib

    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    project = data.get("project")
    if not isinstance(project, dict):
        return False
    dynamic = project.get("dynamic")
    return "dependencies" in project or (isinstance(dynamic, list) and "dependencies" in dynamic)


def recorded_variants(root: Path) -> tuple[tuple[str, Path], ...]:
    """The alternative sets an earlier convert recorded in ``pyproject.toml``
    (``[tool.reqconv] variants = { NAME = "FILE" }``), each as ``(NAME, FILE)``; none when there is
    no such table or it cannot be read (convert reports a broken pyproject.toml itself)."""
    import tomllib

    path = root / "pyproject.toml"
    if not path.is_file():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()
    tool = data.get("tool")
    reqconv = tool.get("reqconv") if isinstance(tool, dict) else None
    variants = reqconv.get("variants") if isinstance(reqconv, dict) else None
    if not isinstance(variants, dict):
        return ()
    return tuple(
        (name, Path(file))
        for name, file in variants.items()
        if isinstance(file, str) and (root / file).is_file()
    )


def with_variants(
    root: Path, roles: Sequence[Role], variants: Sequence[tuple[str, Path]], flag: str = "--variant"
) -> tuple[Role, ...]:
    """``roles`` with each ``(NAME, FILE)`` made the alternative set ``NAME``: the role of FILE
    (its ``.in`` or its compiled ``.txt``) becomes group ``NAME`` with ``variant`` set; a FILE no
    role holds gets a role of its own."""
    if not variants:
        return tuple(roles)
    out = list(roles)
    names: set[str] = set()
    for name, relative in variants:
        if not _VALID_NAME_RE.match(name):
            raise InputError(
                f"{flag} {name}={relative}: not a valid group name (letters, digits, and -_. "
                "inside; PEP 735)"
            )
        group = group_name(name)
        if group in names:
            raise InputError(f"{flag} {name}={relative}: the set {group!r} is named twice")
        names.add(group)
        path = Path(os.path.normpath(root / relative))
        index = next((i for i, role in enumerate(out) if path in (role.path, role.compiled)), None)
        if index is None:
            found = _role(root, relative, group, f"{flag} {name}")
            out.append(Role(path=found.path, group=group, compiled=found.compiled, variant=True))
            continue
        role = out[index]
        if role.variant and role.group != group:
            raise InputError(
                f"{flag} {name}={relative}: the file is already the set {role.group!r}"
            )
        out[index] = Role(path=role.path, group=group, compiled=role.compiled, variant=True)
    return tuple(sorted(out, key=lambda role: _order(role, root)))


def discover_exports(root: Path) -> tuple[tuple[Role, ...], tuple[UvExport, ...]]:
    """``discover``'s roles, and the uv exports among the files found (kept as roles only when
    ``converted``)."""
    names = _list(root, "") + _list(root / _SUBDIR, _SUBDIR + "/")
    roles = _pair_by_header(root, classify(root, names))
    roles = with_variants(root, roles, recorded_variants(root), "[tool.reqconv] variants:")
    exports: list[UvExport] = []
    on_uv: bool | None = None
    for role in roles:
        if role.path.suffix.lower() != ".txt" or role.compiled is not None:
            continue
        command = _export_command(role.path)
        if command is None:
            continue
        if on_uv is None:
            on_uv = _on_uv(root)
        exports.append(UvExport(path=role.path, command=command, converted=not on_uv))
    skipped = {export.path for export in exports if not export.converted}
    return tuple(role for role in roles if role.path not in skipped), tuple(exports)


def discover(root: Path) -> tuple[Role, ...]:
    """Roles found by name in ``root`` and ``root/requirements/``; a compiled ``.txt`` whose
    pip-compile header names an ``.in`` elsewhere in them is paired with it; a uv export of the
    service's own uv.lock is left out."""
    return discover_exports(root)[0]


def _role(root: Path, relative: Path, group: str | None, flag: str) -> Role:
    # The parser keys files by ``os.path.normpath``; ``a/../b`` must meet ``b``.
    path = Path(os.path.normpath(root / relative))
    if not path.is_file():
        raise InputError(f"{flag}: no such file: {path}")
    compiled = None
    if path.suffix == ".in":
        beside = path.with_suffix(".txt")
        if beside.is_file():
            compiled = beside
    return Role(path=path, group=group, compiled=compiled)


def from_options(
    root: Path, main: Path | None, groups: Sequence[tuple[str, Path]]
) -> tuple[Role, ...]:
    """Roles from ``--main FILE`` and ``--group NAME=FILE`` (paths relative to ``root``), in that order."""
    roles = []
    if main is not None:
        roles.append(_role(root, main, None, "--main"))
    for name, relative in groups:
        group = group_name(name)
        if not _VALID_NAME_RE.match(name):
            raise InputError(
                f"--group {name}={relative}: not a valid group name "
                "(letters, digits, and -_. inside; PEP 735)"
            )
        roles.append(_role(root, relative, group, f"--group {name}"))
    return tuple(roles)
