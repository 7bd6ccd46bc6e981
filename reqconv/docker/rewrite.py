"""The rewrite driver: every ``pip install`` of the file decided, then edited, in file order.

One pass reads the file (``facts.Dockerfile``), decides each install (``decide.Decider``) and
carries the decisions out (``edit.Editor``). A decision whose edit cannot be made (a lock that
cannot be placed) leaves its pip install in place, and a pip install that stays changes what the
others may do (the venv then needs pip, or a venv after it would hide what it installed): then
the file is decided again, knowing it stays.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from reqconv.docker import checks
from reqconv.docker.decide import Decider, Decision, decision_key
from reqconv.docker.edit import Editor
from reqconv.docker.facts import Dockerfile
from reqconv.docker.instructions import Stage
from reqconv.docker.model import DockerFinding, DockerPlan, DockerResult, norm
from reqconv.docker.pip import is_setup_upgrade, pip_install
from reqconv.docker.reasons import Findings
from reqconv.docker.shell import Cmd

__all__ = ["referenced_requirement_files", "rewrite"]


def rewrite(text: str, plan: DockerPlan) -> DockerResult:
    """``text`` with each ``pip install -r`` it can rewrite turned into ``uv pip sync`` of a lock."""
    kept: frozenset[tuple[int, int]] = frozenset()
    findings: tuple[DockerFinding, ...] = ()
    while True:
        result, failed, seen = _one_pass(text, plan, kept, findings)
        if not failed:
            return result
        kept |= failed
        findings = seen


def referenced_requirement_files(text: str) -> tuple[str, ...]:
    """The ``-r`` files of the ``pip install`` commands ``rewrite`` turns into syncs (as written)."""
    return rewrite(text, DockerPlan(uv_version="0")).requirement_files


def _now_uv(findings: Findings, line: int, venv: str, cmd: Cmd) -> None:
    """The kept finding of a pip install that now runs as ``uv pip install`` gives way to a note
    saying so (its packages, named inline, are still not locked)."""
    pip = pip_install(cmd)
    named = (
        pip is not None
        and bool(pip.packages)
        and not pip.editables
        and not any(p.startswith((".", "/")) for p in pip.packages)
    )
    findings.drop(line, frozenset({"inline-packages", "local-project"}))
    message = (
        f"this pip install runs in the venv {venv} that the sync made: now `uv pip install`, "
        "so that the venv needs no pip of its own (`uv venv --seed` would add pip and "
        "setuptools to the image)"
    )
    if named:  # packages by name, not the project: the lock does not pin them
        message += "; the packages it names are not in the lock: add them to the requirements"
    findings.advise(line, "uv-pip-install", message)


def _one_pass(
    text: str,
    plan: DockerPlan,
    kept: frozenset[tuple[int, int]],
    earlier: tuple[DockerFinding, ...],
) -> tuple[DockerResult, frozenset[tuple[int, int]], tuple[DockerFinding, ...]]:
    """The result, the installs (RUN line, offset) decided but not applied, and the findings.
    ``kept``: installs an earlier pass could not rewrite."""
    findings = Findings(earlier)
    doc = Dockerfile(text, findings)
    decider = Decider(doc, plan, findings)
    editor = Editor(doc, plan, findings)
    decisions: list[Decision] = []
    kept_refs: set[str] = set()
    kept_lines: set[int] = set()  # RUNs with a pip -r install left as it is
    upgrades: list[tuple[Stage, Any, Cmd]] = []
    checks.scan_credentials(doc, findings)
    for stage in doc.stages:
        for command in stage.commands:
            if command.cmd.upper() == "ONBUILD":
                checks.check_onbuild(command, findings)
            if command.cmd.upper() != "RUN":
                continue
            if command.json:
                checks.check_json_run(command, findings)
                continue
            for cmd in doc.cmds_in(command):
                reads: set[str] = set()
                decision = decider.decide(stage, command, cmd, reads, upgrades)
                if decision is not None and decision_key(decision) not in kept:
                    decisions.append(decision)
                    decider.decided.append(decision)
                    kept_refs.update(decision.keep_refs)  # a later stage copies them
                else:  # a kept command still reads these files: their COPY stays
                    kept_refs.update(norm(ref) for ref in reads)
                    if reads:
                        kept_lines.add(command.start_line)
                    pip = pip_install(cmd)
                    if (
                        pip is not None
                        and pip.subcommand == "install"
                        and not is_setup_upgrade(pip)
                    ):
                        decider.kept_pips.append((stage, command, cmd))
    fitting = [d for d in decisions if decider.later_pips_fit(d, kept_refs)]
    # a ``-r`` file another (kept) command still reads keeps its COPY
    changed_stages = {id(d.stage) for d in fitting if editor.apply(d, kept_refs)}
    for decision in editor.applied:
        if decision.drop:  # a later stage's ``pip install /wheels/*`` gave way to the venv's COPY
            changed_stages.update(id(later) for later, _copy in decision.follow)
    failed = frozenset(decision_key(d) for d in decisions) - {
        decision_key(d) for d in editor.applied
    }
    for decision in editor.applied:
        for stage, command, cmd, args in decision.to_uv:
            editor.uv_install(stage, command, cmd, args)
            _now_uv(findings, command.start_line, decision.venv, cmd)
    # pip self-upgrades go only where pip no longer installs the requirements
    removals: dict[int, tuple[Any, Cmd, list[Any]]] = {}
    for stage, command, cmd in upgrades:
        if id(stage) not in changed_stages:
            continue
        key = id(cmd.chain) if cmd.chain is not None else id(cmd)
        removals.setdefault(key, (command, cmd, []))[2].append(cmd.node)
    for command, cmd, nodes in removals.values():
        editor.remove(command, cmd, nodes)
    by_stage: dict[int, list[str]] = {}
    for decision in editor.applied:
        by_stage.setdefault(decision.stage.index, []).extend(lock for _, lock, _ in decision.locks)
    result = dataclasses.replace(
        editor.result(),
        kept_requirements=tuple(sorted(kept_lines)),
        uv_installs=tuple(sorted(decider.uv_lines)),
        stage_locks=tuple(
            (index, tuple(dict.fromkeys(locks))) for index, locks in sorted(by_stage.items())
        ),
    )
    return result, failed, tuple(findings.items)
