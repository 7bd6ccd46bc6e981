"""Test isolation shared by every test: no real home, caches or uv/pip settings.

The idea of pre-commit's ``dont_write_to_home_directory`` and pip-tools' ``_isolate_pip_env``:
``HOME``, the XDG folders and uv's cache point into a session temp folder, and every ``UV_*`` and
``PIP_*`` variable of the developer's shell is dropped, so no test reads or writes real state.
``$UV`` (which uv binary to test) is kept on purpose.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from reqconv.model import DependencySpec


@pytest.fixture(autouse=True, scope="session")
def _isolate_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("UV_", "PIP_")):
                mp.delenv(name)
        # Goldens are rewritten only by `--update-goldens` (tests/_goldens.py), never by a variable
        # left exported in a shell or a CI job.
        mp.delenv("REQCONV_UPDATE_GOLDENS", raising=False)
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        mp.setenv("UV_CACHE_DIR", str(home / ".cache" / "uv"))
        yield


@pytest.fixture(autouse=True, scope="session")
def _sigint_raises_keyboard_interrupt() -> Iterator[None]:
    """Ctrl-C tests send a real SIGINT. A runner started in the background (as CI may start it)
    inherits SIGINT ignored, and Python then leaves it ignored: put Python's own handler back."""
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True, scope="session")
def _apply_keeps_agrees_with_the_editor() -> Iterator[None]:
    """``pyproject_read.apply_keeps`` spares ``reqconv check`` the editor (tomlkit) when it says
    the editor would change nothing: every ``True`` it gives in any test is checked against the
    editor's own answer, so a wrong promise fails the test that met it."""
    from reqconv.project import pyproject, pyproject_read

    keeps = pyproject_read.apply_keeps

    def checked(text: str, spec: DependencySpec, **kwargs: Any) -> bool:
        result = keeps(text, spec, **kwargs)
        if result:
            assert pyproject.apply(text, spec, **kwargs) == text, "apply_keeps was wrong"
        return result

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pyproject_read, "apply_keeps", checked)
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``needs_tree(folder)`` (tests/_shared.py) fails under CI when the folder is
    missing, and skips elsewhere; before its fixtures copy anything."""
    from tests import _shared

    for mark in item.iter_markers("needs_tree"):
        problem = _shared.missing(mark.args[0])
        if problem is None:
            continue
        if _shared.in_ci():
            pytest.fail(f"CI is set and {problem}", pytrace=False)
        pytest.skip(problem)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the fixtures' expected files from the current output (review the diff)",
    )
