"""``--multi-stage``: the split of a rewritten single-stage Dockerfile, and the package table."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from reqconv.docker.model import DockerPlan
from reqconv.docker.multistage import slim_image, split, system_packages
from reqconv.docker.packages import classify, markdown_table
from reqconv.docker.plan import plan_service
from reqconv.docker.rewrite import rewrite

FIXTURES = Path(__file__).parents[2] / "fixtures" / "verify"
UV_VERSION = "0.13.9"
PLAN = DockerPlan(uv_version=UV_VERSION)


def _split(text: str) -> tuple[str, set[str], str]:
    """The split text, the finding codes, and the findings' messages joined."""
    original = textwrap.dedent(text)
    result = split(original, rewrite(original, PLAN), PLAN)
    return (
        result.text,
        {f.code for f in result.findings},
        "\n".join(f"{f.line}: {f.message}" for f in result.findings),
    )


def test_the_fixture_splits_as_the_golden_file_shows(tmp_path: Path) -> None:
    service = tmp_path / "cext"
    shutil.copytree(FIXTURES / "cext", service)
    plan = plan_service(service, uv_version=UV_VERSION, multi_stage=True)
    (dockerfile,) = [c for c in plan.changes if c.path.name == "Dockerfile"]
    assert dockerfile.after_text == (FIXTURES / "cext-multi-stage.expected").read_text()
    codes = {d.code for d in plan.diagnostics}
    assert {"multi-stage", "runtime-slim"} <= codes


def test_build_only_packages_stay_in_the_builder_and_dev_headers_become_libraries() -> None:
    text, codes, _ = _split("""\
        FROM python:3.11-slim
        RUN apt-get update && apt-get install -y --no-install-recommends \\
            build-essential \\
            libpq-dev \\
            curl \\
            && rm -rf /var/lib/apt/lists/*
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        CMD ["python", "-m", "app"]
        """)
    builder, runtime = text.split("\nFROM python:3.11-slim\n")
    assert builder.startswith("FROM python:3.11-slim AS builder\n")
    assert "build-essential" in builder
    assert "libpq-dev" in builder
    assert "uv pip sync" in builder
    assert "build-essential" not in runtime
    assert "libpq-dev" not in runtime
    assert "libpq5" in runtime
    assert "curl" in runtime
    assert "uv pip sync" not in runtime
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime
    assert runtime.rstrip().endswith('CMD ["python", "-m", "app"]')
    assert "multi-stage" in codes
    assert "runtime-slim" not in codes  # slim already


def test_a_runtime_apt_step_left_with_nothing_to_install_is_dropped() -> None:
    text, _, _ = _split("""\
        FROM python:3.11
        RUN apt-get update && apt-get install -y gcc python3-dev && rm -rf /var/lib/apt/lists/*
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        USER nobody
        CMD ["python", "app.py"]
        """)
    builder, runtime = text.split("\nFROM python:3.11-slim\n")
    assert "apt-get install -y gcc python3-dev" in builder
    assert "apt-get" not in runtime
    assert runtime.index("COPY --from=builder") < runtime.index("USER nobody")


def test_an_unclassified_package_stays_in_both_stages_with_a_note_and_no_slim() -> None:
    text, codes, messages = _split("""\
        FROM python:3.11
        RUN apt-get update && apt-get install -y gcc libfoo-special
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        CMD ["python", "app.py"]
        """)
    builder, runtime = text.split("\nFROM python:3.11\n")
    assert "gcc libfoo-special" in builder
    assert "gcc" not in runtime
    assert "libfoo-special" in runtime
    assert "system-package-unclassified" in codes
    assert "2: libfoo-special is not in reqconv's table" in messages
    assert "runtime-slim" not in codes


@pytest.mark.parametrize(
    "later",
    [
        pytest.param("RUN pip wheel --no-deps -w /wheels extra-thing", id="pip-wheel-after"),
        pytest.param("RUN make -C native", id="make"),
        pytest.param("RUN apt-get install -y gcc", id="compiler-installed-later"),
    ],
)
def test_a_file_that_compiles_after_the_install_stays_single_stage(later: str) -> None:
    original = textwrap.dedent(f"""\
        FROM python:3.11
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        {later}
        CMD ["python", "app.py"]
        """)
    rewritten = rewrite(original, PLAN)
    result = split(original, rewritten, PLAN)
    assert result.text == rewritten.text
    (finding,) = [f for f in result.findings if f.code == "multi-stage-kept"]
    assert finding.line == 4
    assert "left single-stage" in finding.message


def test_a_later_install_into_the_venv_moves_to_the_builder_with_the_sync() -> None:
    text, codes, _ = _split("""\
        FROM python:3.11
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        COPY . .
        RUN pip install --no-binary :all: extra-thing
        CMD ["python", "app.py"]
        """)
    builder, runtime = text.split("\nFROM python:3.11-slim\n")
    assert "uv pip sync" in builder
    assert "uv pip install --no-binary :all: extra-thing" in builder
    assert "pip install" not in runtime
    assert runtime.index("COPY . .") < runtime.index("COPY --from=builder /opt/venv /opt/venv")
    assert "multi-stage" in codes


@pytest.mark.parametrize(
    ("earlier", "line", "why"),
    [
        pytest.param("RUN make -C native", 2, "a step before the install", id="make-before"),
        pytest.param("RUN pip install gunicorn==23.0", 4, "system Python", id="pip-before"),
    ],
)
def test_a_build_step_before_the_install_keeps_the_file_single_stage(
    earlier: str, line: int, why: str
) -> None:
    original = textwrap.dedent(f"""\
        FROM python:3.11
        {earlier}
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        CMD ["python", "app.py"]
        """)
    rewritten = rewrite(original, PLAN)
    result = split(original, rewritten, PLAN)
    assert result.text == rewritten.text
    (finding,) = [f for f in result.findings if f.code == "multi-stage-kept"]
    assert finding.line == line
    assert why in finding.message


def test_a_file_with_stages_already_is_left_as_the_rewrite_made_it() -> None:
    original = textwrap.dedent("""\
        FROM python:3.11 AS build
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM python:3.11-slim
        COPY --from=build /usr/local /usr/local
        """)
    rewritten = rewrite(original, PLAN)
    result = split(original, rewritten, PLAN)
    assert result.text == rewritten.text
    assert "multi-stage-kept" in {f.code for f in result.findings}


def test_system_packages_reads_apt_and_apk_and_refuses_unknown_words() -> None:
    (apt,) = system_packages("apt-get -q install -y -t bookworm-backports gcc libpq-dev=15.1")
    assert apt.names == ("gcc", "libpq-dev=15.1")
    (apk,) = system_packages("apk add --no-cache --virtual .deps build-base musl-dev")
    assert (apk.manager, apk.names) == ("apk", ("build-base", "musl-dev"))
    (unknown,) = system_packages("apt-get install -y $PACKAGES")
    assert unknown.names is None


def test_the_table_classifies_with_a_reason_and_the_runtime_library() -> None:
    rule = classify("apt", "libpq-dev=15.1")
    assert rule is not None
    assert rule.kind == "build"
    assert rule.runtime == ("libpq5",)
    assert classify("apt", "libfoo-special") is None
    assert "| apt | `build-essential` | builder |" in markdown_table()


@pytest.mark.parametrize(
    ("image", "slim"),
    [
        ("python:3.11", "python:3.11-slim"),
        ("python:3.11-bookworm", "python:3.11-slim-bookworm"),
        ("python:3.11-slim", None),
        ("python:3.11-alpine", None),
        ("debian:bookworm", None),
    ],
)
def test_slim_image(image: str, slim: str | None) -> None:
    assert slim_image(image) == slim
