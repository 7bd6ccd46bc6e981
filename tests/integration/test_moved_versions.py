"""No version or git ref moves in silence: each move names the input that forced it (real uv, the
local index, local git repositories; no network). docs/lock.md, "What happens to every moved
version", lists the cases these tests stand for."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from reqconv import uv
from tests._builders import git_commit, make_source_tree, write_files
from tests.integration.conftest import UvEnv
from tests.integration.test_lock import exit_code_of, pins_of, snapshot

pytestmark = pytest.mark.uv

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def _tagged_repo(path: Path, name: str, tags: list[str]) -> Path:
    """A git repository of ``name`` with one commit and tag per version in ``tags``."""
    for tag in tags:
        git_commit(make_source_tree(path, name, tag), f"{name} {tag}", tag)
    return path


def _write(root: Path, files: dict[str, str]) -> Path:
    return write_files(root, files, dedent=True)


def _locked(root: Path, name: str) -> list[str | None]:
    summary = uv.read_lock((root / "uv.lock").read_text())
    return [package.version for package in summary.packages if package.name == name]


def _convert_json(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    capsys.readouterr()
    assert exit_code_of(["convert", "--no-docker", "--json", *args, str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert isinstance(report, dict)
    return report


def _service_report(report: dict[str, object]) -> dict[str, object]:
    services = report["services"]
    assert isinstance(services, list)
    service = services[0]
    assert isinstance(service, dict)
    return service


def _lock_changes(report: dict[str, object]) -> list[dict[str, str]]:
    """The service report's ``lock.changed``: each version the lock moved from a pin."""
    lock = report["lock"]
    assert isinstance(lock, dict)
    changes: list[dict[str, str]] = lock["changed"]
    return changes


def _diagnostics(service: dict[str, object], code: str) -> list[dict[str, str]]:
    diagnostics = service["diagnostics"]
    assert isinstance(diagnostics, list)
    return [d for d in diagnostics if d["code"] == code]


def test_a_compiled_git_tag_other_than_the_in_is_reported_in_text_and_json(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seen: the .in asked for @6.10.0, the compiled .txt had installed @6.8.0; the lock followed
    # the .in with the .txt line marked "merged" and no word.
    repo = _tagged_repo(tmp_path / "kappa", "kappa", ["6.8.0", "6.10.0"])
    url = f"git+{repo.as_uri()}"
    files = {
        "requirements.in": f"kappa @ {url}@6.10.0\n",
        "requirements.txt": f"kappa @ {url}@6.8.0\n    # via -r requirements.in\n",
    }
    service = _write(tmp_path / "svc", files)
    report = _service_report(_convert_json(service, capsys))

    (diag,) = _diagnostics(report, "compiled-source-differs")
    assert diag["location"] == f"{service / 'requirements.txt'}:1"
    assert f"{url}@6.8.0" in diag["message"]
    assert f"{service / 'requirements.in'}:1 asks for {url}@6.10.0" in diag["message"]
    assert _locked(service, "kappa") == ["6.10.0"]  # the lock follows the .in, and says so

    # The same words in the text output (a copy: the JSON run above converted the first one).
    again = _write(tmp_path / "svc2", files)
    capsys.readouterr()
    assert exit_code_of(["convert", "--no-docker", str(again)]) == 0
    err = capsys.readouterr().err
    assert f"{again / 'requirements.txt'}:1: warning: kappa: the compiled file installed" in err
    assert f"{again / 'requirements.in'}:1 asks for {url}@6.10.0" in err


def test_a_compiled_pin_its_in_excludes_moves_naming_both_lines(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = _write(
        tmp_path / "svc",
        {
            "requirements.in": "beta>=1.5\n",
            "requirements.txt": "alpha==1.0\n    # via beta\nbeta==1.0\n    # via -r requirements.in\n",
        },
    )
    report = _service_report(_convert_json(service, capsys))

    (change,) = _lock_changes(report)
    assert (change["name"], change["pinned"], change["locked"]) == ("beta", "1.0", "1.5")
    assert change["origin"] == f"{service / 'requirements.txt'}:3"
    assert change["reason"] == f"{service / 'requirements.in'}:1 (production) asks for beta>=1.5"
    assert _diagnostics(report, "compiled-pin-differs")[0]["location"] == change["origin"]
    assert pins_of((service / "requirements.lock").read_text()) == {"alpha": "1.0", "beta": "1.5"}


def test_a_test_files_pin_that_narrows_production_names_both_lines(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seen: "pinned to several versions, presumably under markers", when requirements-tests.txt
    # pinned the package; uv locks every group with production, so production got the test pin.
    service = _write(
        tmp_path / "svc",
        {
            "requirements.in": "beta\n",
            "requirements.txt": "alpha==1.1\n    # via beta\nbeta==1.0\n    # via -r requirements.in\n",
            "requirements-tests.txt": "-r requirements.txt\nalpha==1.0\n",
        },
    )
    report = _service_report(_convert_json(service, capsys))

    (change,) = _lock_changes(report)
    assert (change["name"], change["pinned"], change["locked"]) == ("alpha", "1.1", "1.0")
    assert change["origin"] == f"{service / 'requirements.txt'}:1"
    assert change["reason"] == (
        f"{service / 'requirements-tests.txt'}:2 (group 'tests') asks for alpha==1.0; uv locks "
        "every group together with production, so production gets that version too"
    )
    # What production installs really moved: the production export holds the test pin.
    assert pins_of((service / "requirements.lock").read_text())["alpha"] == "1.0"
    assert "presumably" not in json.dumps(report)


def test_production_pin_wins_over_a_compiled_group_pin_and_the_group_move_is_named(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = _write(
        tmp_path / "svc",
        {
            "requirements.in": "beta\n",
            "requirements.txt": "alpha==1.1\n    # via beta\nbeta==1.0\n    # via -r requirements.in\n",
            "requirements-dev.in": "alpha\n",
            "requirements-dev.txt": "alpha==1.0\n    # via -r requirements-dev.in\n",
        },
    )
    report = _service_report(_convert_json(service, capsys))

    (change,) = _lock_changes(report)
    assert (change["name"], change["pinned"], change["locked"]) == ("alpha", "1.0", "1.1")
    assert change["origin"] == f"{service / 'requirements-dev.txt'}:1"
    assert change["reason"].startswith(
        f"{service / 'requirements.txt'}:1 (production) pins alpha==1.1, and uv locks every group"
    )
    assert pins_of((service / "requirements.lock").read_text())["alpha"] == "1.1"


def test_a_pin_changed_after_conversion_is_carried_and_check_exits_1_until_then(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seen: a new pip-compile run was ignored ("uv.lock exists, so its versions are kept") and
    # `convert --check` exited 0.
    service = _write(
        tmp_path / "svc",
        {
            "requirements.in": "beta\n",
            "requirements.txt": "alpha==1.0\n    # via beta\nbeta==1.0\n    # via -r requirements.in\n",
        },
    )
    path = str(service)
    assert exit_code_of(["convert", "--no-docker", path]) == 0
    assert pins_of((service / "requirements.lock").read_text())["beta"] == "1.0"
    assert exit_code_of(["convert", "--no-docker", "--check", path]) == 0
    assert exit_code_of(["lock", "--check", path]) == 0

    # A new pip-compile run moves beta.
    compiled = service / "requirements.txt"
    compiled.write_text(compiled.read_text().replace("beta==1.0", "beta==1.5"))
    before = snapshot(service)
    capsys.readouterr()
    assert exit_code_of(["convert", "--no-docker", "--check", path]) == 1
    assert f"{compiled}:3 pins beta==1.5" in capsys.readouterr().err
    assert exit_code_of(["lock", "--check", path]) == 1
    assert f"{compiled}:3 pins beta==1.5" in capsys.readouterr().err
    assert snapshot(service) == before  # the checks' trial lock restored every byte

    assert exit_code_of(["convert", "--no-docker", path]) == 0
    err = capsys.readouterr().err
    assert f"{compiled}:3: info: beta 1.0 -> 1.5: {compiled}:3 pins beta==1.5" in err
    assert pins_of((service / "requirements.lock").read_text()) == {"alpha": "1.0", "beta": "1.5"}
    assert exit_code_of(["convert", "--no-docker", "--check", path]) == 0
    assert exit_code_of(["lock", "--check", path]) == 0
    after = snapshot(service)
    assert exit_code_of(["convert", "--no-docker", path]) == 0
    assert snapshot(service) == after


def test_a_pin_uv_cannot_hold_is_reported_and_does_not_keep_check_failing(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # beta 2.0 needs alpha>=2.0: the compiled pins cannot both hold (a hand-edited .txt).
    service = _write(
        tmp_path / "svc",
        {"requirements.in": "beta\n", "requirements.txt": "alpha==1.0\nbeta==2.0\n"},
    )
    path = str(service)
    report = _service_report(_convert_json(service, capsys))
    (change,) = _lock_changes(report)
    assert (change["name"], change["pinned"], change["locked"]) == ("alpha", "1.0", "2.0")
    assert change["reason"].startswith("uv could not keep the pin: ")
    assert "beta>=2.0 depends on alpha>=2.0" in change["reason"]  # uv's own explanation
    before = snapshot(service)
    # The trial lock of --check finds the same: nothing would change, so nothing is pending.
    assert exit_code_of(["convert", "--no-docker", "--check", path]) == 0
    assert exit_code_of(["lock", "--check", path]) == 0
    assert snapshot(service) == before


def test_a_marker_split_pin_holds_both_versions(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = _write(
        tmp_path / "svc",
        {
            "requirements.in": "beta\n",
            "requirements.txt": (
                'alpha==1.0 ; sys_platform == "win32"\n'
                'alpha==1.1 ; sys_platform != "win32"\n'
                "beta==1.0\n"
            ),
        },
    )
    report = _service_report(_convert_json(service, capsys))
    assert _lock_changes(report) == []
    assert _locked(service, "alpha") == ["1.0", "1.1"]  # uv forks on the marker


def _contribs_service(root: Path, copied: str) -> Path:
    service = _write(
        root / "svc", {"requirements.txt": "beta\n", "requirements-contribs.txt": "eta\n"}
    )
    (service / "Dockerfile").write_text(
        f"FROM python:{PY}-slim\nWORKDIR /app\nCOPY {copied} ./\n"
        f"RUN pip install --no-cache-dir -r {Path(copied).name}\n"
    )
    return service


def test_lock_exports_every_lock_a_dockerfile_copies_and_check_says_while_missing(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seen: the Dockerfile copied requirements-contribs.lock, the output said "run `reqconv
    # lock`", and `reqconv lock` said "up to date" without making it.
    service = _contribs_service(tmp_path, "requirements-contribs.lock")
    path = str(service)
    assert exit_code_of(["convert", "--no-docker", path]) == 0  # the lock step of convert
    (service / "requirements-contribs.lock").unlink()
    assert exit_code_of(["lock", path]) == 0  # and of lock
    contribs = service / "requirements-contribs.lock"
    assert pins_of(contribs.read_text()) == {"alpha": "2.0", "beta": "2.0", "eta": "1.1"}
    assert exit_code_of(["lock", "--check", path]) == 0

    contribs.unlink()
    capsys.readouterr()
    assert exit_code_of(["lock", "--check", path]) == 1
    assert f"{contribs.as_posix()}: missing (run `reqconv lock`)" in capsys.readouterr().err
    assert exit_code_of(["convert", "--no-docker", "--check", path]) == 1
    assert not contribs.exists()
    assert exit_code_of(["lock", path]) == 0
    assert contribs.is_file()


def test_a_copied_lock_of_no_group_is_a_warning_at_the_copy_line(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = _contribs_service(tmp_path, "requirements-plugins.lock")
    assert exit_code_of(["convert", "--no-docker", "--no-lock", str(service)]) == 0
    capsys.readouterr()
    assert exit_code_of(["lock", str(service)]) == 0
    err = capsys.readouterr().err
    assert f"{service / 'Dockerfile'}:3: warning: copies requirements-plugins.lock, but " in err
    assert "'plugins' is no group or extra" in err


def test_a_test_pin_narrowing_an_unpinned_production_line_is_reported_with_both_lines(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = _write(
        tmp_path / "svc",
        {"requirements.txt": "alpha>=1.0\n", "requirements-tests.txt": "alpha==1.0\n"},
    )
    report = _service_report(_convert_json(service, capsys))
    (diag,) = _diagnostics(report, "group-pin-narrows-production")
    assert diag["location"] == f"{service / 'requirements-tests.txt'}:1"
    assert f"{service / 'requirements.txt'}:1 asks only alpha>=1.0" in diag["message"]
    assert pins_of((service / "requirements.lock").read_text()) == {"alpha": "1.0"}
