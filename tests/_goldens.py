"""Golden files: compared byte for byte, rewritten only on request (``pytest --update-goldens``).

A rewrite never passes: the test that rewrote a golden fails and names it, so the diff is reviewed
and the run repeated. No environment (an exported ``REQCONV_UPDATE_GOLDENS``, ``--update-goldens``
in ``PYTEST_ADDOPTS``) can make a golden test rewrite its fixture and pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def check_golden(request: pytest.FixtureRequest, expected: Path, got: bytes) -> None:
    """``got`` is ``expected``'s bytes; with ``--update-goldens``, a differing golden is rewritten
    and the test fails, naming it."""
    if expected.is_file() and expected.read_bytes() == got:
        return
    if request.config.getoption("--update-goldens"):
        expected.write_bytes(got)
        pytest.fail(
            f"rewrote {expected}: review the diff, then run the tests again without "
            "--update-goldens",
            pytrace=False,
        )
    want = expected.read_bytes()
    try:  # a text diff when both are text, the bytes otherwise
        assert got.decode("utf-8") == want.decode("utf-8"), expected
    except UnicodeDecodeError:
        assert got == want, expected
