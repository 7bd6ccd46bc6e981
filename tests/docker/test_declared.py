"""``docker build`` commands read from scripts, Makefiles and CI steps (reqconv.docker.declared)."""

from __future__ import annotations

import textwrap

import pytest

from reqconv.docker.declared import DeclaredBuild, docker_builds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "docker build -f svc/a/Dockerfile .",
            [DeclaredBuild("svc/a/Dockerfile", ".", 1)],
            id="file-and-context",
        ),
        pytest.param(
            "docker buildx build --platform linux/amd64 -t app:1 --file=svc/Dockerfile --push ctx",
            [DeclaredBuild("svc/Dockerfile", "ctx", 1)],
            id="buildx-options-with-values",
        ),
        pytest.param(
            "set -e\ncd repo && docker build \\\n  -f docker/Dockerfile \\\n  --target prod \\\n"
            "  --build-arg PY=3.11 . && docker push app",
            [DeclaredBuild("docker/Dockerfile", ".", 2, (("PY", "3.11"),), "prod")],
            id="continuations-and-chains",
        ),
        pytest.param(
            "\t@docker image build -fDockerfile.prod backend  # the image",
            [DeclaredBuild("Dockerfile.prod", "backend", 1)],
            id="makefile-recipe",
        ),
        pytest.param("docker build svc", [DeclaredBuild(None, "svc", 1)], id="default-file"),
        pytest.param("docker build -f $(DOCKERFILE) .", [], id="make-variable"),
        pytest.param('docker build -f Dockerfile "$CTX"', [], id="shell-variable"),
        pytest.param("docker build -f Dockerfile ${{ inputs.ctx }}", [], id="workflow-expression"),
        pytest.param("docker build - < Dockerfile", [], id="stdin"),
        pytest.param("docker build https://github.com/x/y.git", [], id="url"),
        pytest.param("docker run --rm app build .", [], id="not-a-build"),
        pytest.param("echo 'docker build -f x .", [], id="unclosed-quote"),
    ],
)
def test_docker_builds_are_read_from_shell(text: str, expected: list[DeclaredBuild]) -> None:
    assert docker_builds(textwrap.dedent(text)) == expected
