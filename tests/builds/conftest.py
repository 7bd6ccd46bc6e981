"""A Docker engine and the stand-in images for the real-build tests, or a failure saying why.

``scripts/docker-setup.sh`` installs and starts the engine and makes the images; these fixtures
only check for them. Without them the tests fail when ``CI``, ``REQCONV_REQUIRE_DOCKER`` or
``REQCONV_REQUIRE_UV`` is set (``.ci/run`` sets it), and skip otherwise (a developer's laptop).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from reqconv.docker.plan import resolve_uv_version
from tests._dockerbuild import docker, engine_problem
from tests.builds.cases import CASES

BASE_IMAGE = "python:3.11-slim"


def _required() -> bool:
    return any(
        os.environ.get(name) for name in ("CI", "REQCONV_REQUIRE_DOCKER", "REQCONV_REQUIRE_UV")
    )


def base_images() -> list[str]:
    """Every ``python:`` image the cases start FROM (what the set-up script makes), and ours."""
    found = {BASE_IMAGE, "python:3.11"}
    for dockerfile in CASES.rglob("*"):
        if dockerfile.is_file() and "dockerfile" in dockerfile.name.lower():
            text = dockerfile.read_text("utf-8")
            found.update(
                re.findall(r"(?im)^\s*FROM\s+(?:--platform=\S+\s+)?(python:[^\s$]+)", text)
            )
    return sorted(found)


@pytest.fixture(scope="session")
def docker_engine() -> str:
    """The uv version the rewritten Dockerfiles pin, once the engine and every image are there."""
    version = resolve_uv_version()
    problem = engine_problem([*base_images(), f"ghcr.io/astral-sh/uv:{version}"])
    if problem is not None:
        if _required():
            pytest.fail(f"the real-build tests need Docker: {problem}")
        pytest.skip(problem)
    return version


@pytest.fixture(scope="session")
def real_wheels(docker_engine: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Debian's pip and setuptools wheels, taken from the stand-in image (no download)."""
    folder = tmp_path_factory.mktemp("real-wheels")
    container = docker("create", BASE_IMAGE).stdout.strip()
    try:
        docker("cp", f"{container}:/usr/share/python-wheels/.", str(folder))
    finally:
        docker("rm", container, check=False)
    return folder


@pytest.fixture(scope="session")
def image_tags(docker_engine: str) -> Iterator[list[str]]:
    """Tags made by this session (``append`` to it); removed at the end."""
    tags: list[str] = []
    yield tags
    if tags and not os.environ.get("REQCONV_KEEP_IMAGES"):
        docker("image", "rm", "--force", *tags, check=False)


@pytest.fixture(scope="session")
def session_id() -> str:
    return uuid.uuid4().hex[:8]
