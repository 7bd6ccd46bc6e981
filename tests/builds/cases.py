"""The buildable cases of ``fixtures/builds/<case>/``: their settings and their package index.

A case is a service tree; ``case.toml`` (optional) says what to build and what to check (see
``fixtures/builds/README.md``). ``case_index`` generates one wheel for every name and version the
case's requirements files ask for, so ``pip install -r`` of the original Dockerfile and the lock of
``reqconv convert`` both find them on the loopback index.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from tests._dockerbuild import canonical, make_app_wheel, module_name

CASES = Path(__file__).parents[2] / "fixtures" / "builds"
# Real wheels taken from the stand-in image (Debian's): a generated `pip` would replace pip itself.
REAL_WHEELS = frozenset({"pip", "setuptools"})


@dataclass(frozen=True)
class BuildSpec:
    """One ``docker build`` of a case: before the rewrite and after."""

    dockerfile: str = "Dockerfile"  # relative to the case root
    context: str = "."  # relative to the case root
    target: str | None = None
    # The export files whose packages the built stage must import (relative to the service).
    locks: tuple[str, ...] = ("requirements.lock",)

    @property
    def name(self) -> str:
        return f"{self.dockerfile}@{self.context}" + (f":{self.target}" if self.target else "")


@dataclass(frozen=True)
class WheelSpec:
    requires: tuple[str, ...] = ()
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    versions: tuple[str, ...] = ()  # extra versions to generate, beyond what the files ask for


@dataclass(frozen=True)
class Case:
    name: str
    root: Path
    service: str = "."  # the folder `reqconv convert` is given, relative to the case root
    convert_args: tuple[str, ...] = ()
    builds: tuple[BuildSpec, ...] = (BuildSpec(),)
    imports: tuple[str, ...] = ()  # the app's own modules the built stage must import
    rewritten: bool = True  # False: reqconv is expected to leave every Dockerfile alone
    wheels: dict[str, WheelSpec] = field(default_factory=dict)


def load_case(root: Path) -> Case:
    """The case in ``root`` with its ``case.toml`` settings (every key optional)."""
    config_path = root / "case.toml"
    config = tomllib.loads(config_path.read_text("utf-8")) if config_path.exists() else {}
    builds = tuple(
        BuildSpec(
            dockerfile=entry.get("dockerfile", "Dockerfile"),
            context=entry.get("context", "."),
            target=entry.get("target"),
            locks=tuple(entry.get("locks", ("requirements.lock",))),
        )
        for entry in config.get("build", [{}])
    )
    wheels = {
        canonical(name): WheelSpec(
            requires=tuple(entry.get("requires", ())),
            extras={extra: tuple(reqs) for extra, reqs in entry.get("extras", {}).items()},
            versions=tuple(entry.get("versions", ())),
        )
        for name, entry in config.get("wheels", {}).items()
    }
    return Case(
        name=root.name,
        root=root,
        service=config.get("service", "."),
        convert_args=tuple(config.get("convert_args", ())),
        builds=builds,
        imports=tuple(config.get("imports", ())),
        rewritten=config.get("rewritten", True),
        wheels=wheels,
    )


def all_cases() -> list[Case]:
    return [load_case(path) for path in sorted(CASES.iterdir()) if path.is_dir()]


def _is_requirements_file(path: Path) -> bool:
    name = path.name.lower()
    return path.suffix in (".txt", ".in") and (
        "requirements" in name or "constraints" in name or path.parent.name == "requirements"
    )


def _logical_lines(text: str) -> Iterable[str]:
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if line:
            yield line


def _requirement(line: str) -> tuple[Requirement, tuple[str, ...]] | None:
    """The requirement of a requirements-file line and its ``--hash`` digests (None: an option)."""
    if line.startswith("-"):
        return None
    hashes = tuple(re.findall(r"--hash[=\s]+sha256:([0-9a-f]{64})", line))
    text = re.split(r"\s--?[a-z]", " " + line, maxsplit=1)[0].strip()
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    if requirement.url:
        return None  # a direct reference: nothing for the index to serve
    return requirement, hashes


def _version_for(requirement: Requirement) -> str:
    """A version the requirement accepts: the pin, else a bound, else 1.0."""
    candidates: list[str] = []
    for spec in requirement.specifier:
        bare = spec.version.removesuffix(".*")
        candidates += [bare, f"{bare}.1", f"{bare}.0.1"]
    candidates.append("1.0")
    for candidate in candidates:
        try:
            if requirement.specifier.contains(Version(candidate), prereleases=True):
                return candidate
        except InvalidVersion:
            continue
    raise ValueError(f"no version found for {requirement}: give one in case.toml [wheels.<name>]")


@dataclass(frozen=True)
class Wanted:
    name: str
    versions: frozenset[str]
    extras: frozenset[str]
    hashes: dict[str, tuple[tuple[Path, tuple[str, ...]], ...]]  # version -> (file, digests)


def wanted_packages(case: Case) -> dict[str, Wanted]:
    """Every name (and version, extra, pinned hash) the case's requirements files ask for."""
    versions: dict[str, set[str]] = {}
    extras: dict[str, set[str]] = {}
    hashes: dict[str, dict[str, list[tuple[Path, tuple[str, ...]]]]] = {}
    requirements: list[Requirement] = []
    for path in sorted(case.root.rglob("*")):
        if not path.is_file() or not _is_requirements_file(path):
            continue
        for line in _logical_lines(path.read_text("utf-8")):
            found = _requirement(line)
            if found is None:
                continue
            requirement, digests = found
            requirements.append(requirement)
            name = canonical(requirement.name)
            version = _version_for(requirement)
            versions.setdefault(name, set()).add(version)
            extras.setdefault(name, set()).update(requirement.extras)
            if digests:
                hashes.setdefault(name, {}).setdefault(version, []).append((path, digests))
    # Names that only the generated wheels' own metadata asks for.
    queue = [Requirement(r) for spec in case.wheels.values() for r in spec.requires]
    queue += [
        Requirement(r) for spec in case.wheels.values() for rs in spec.extras.values() for r in rs
    ]
    for requirement in queue:
        name = canonical(requirement.name)
        extras.setdefault(name, set()).update(requirement.extras)
        if name not in versions:
            versions[name] = {_version_for(requirement)}
    for name, spec in case.wheels.items():
        versions.setdefault(name, set()).update(spec.versions)
    return {
        name: Wanted(
            name=name,
            versions=frozenset(found),
            extras=frozenset(extras.get(name, ())),
            hashes={v: tuple(entries) for v, entries in hashes.get(name, {}).items()},
        )
        for name, found in versions.items()
    }


def case_index(case: Case, folder: Path, real_wheels: Path) -> Path:
    """Fill ``folder`` with the case's wheels; a pinned ``--hash`` that differs is an error."""
    folder.mkdir(parents=True, exist_ok=True)
    problems = []
    for name, wanted in sorted(wanted_packages(case).items()):
        if name in REAL_WHEELS:
            for wheel in real_wheels.glob(f"{module_name(name)}-*.whl"):
                shutil.copy2(wheel, folder / wheel.name)
            continue
        spec = case.wheels.get(name, WheelSpec())
        extras = {extra: spec.extras.get(extra, ()) for extra in wanted.extras | set(spec.extras)}
        for version in sorted(wanted.versions):
            wheel = make_app_wheel(folder, name, version, spec.requires, extras)
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            for path, digests in wanted.hashes.get(version, ()):
                if digest not in digests:
                    problems.append(
                        f"{path.relative_to(case.root)}: {name}=={version} is pinned to "
                        f"{', '.join(digests)}; the generated wheel's hash is sha256:{digest}"
                    )
    if problems:
        raise AssertionError("hashes that no generated wheel has:\n" + "\n".join(problems))
    return folder
