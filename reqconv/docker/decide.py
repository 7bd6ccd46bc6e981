"""Per ``pip install``: rewrite it, or keep it with a reason code from ``reasons.RULES``.

``Decider.decide`` looks at one shell command of a RUN in its stage and returns a ``Decision``
(which locks it installs, into which venv, whether a new venv is made and how) or ``None`` after
reporting why it stays. The questions it asks are answered by ``facts.Dockerfile`` (the file),
``environment`` (a stage at a line: venv, uv, USER, SHELL, base image) and ``stages`` (what later
stages do with this one); the edits that carry a decision out are ``edit.Editor``'s.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from reqconv.docker import environment, stages
from reqconv.docker.checks import SECRET_HINT
from reqconv.docker.facts import Dockerfile
from reqconv.docker.instructions import Stage, before
from reqconv.docker.model import (
    DEFAULT_VENV,
    UV_IMAGE,
    DockerPlan,
    default_lock_name,
    norm,
    service_relative,
)
from reqconv.docker.pip import (
    PipInstall,
    is_setup_upgrade,
    only_setup_packages,
    pip_install,
    uv_install_args,
)
from reqconv.docker.reasons import Findings, Kept
from reqconv.docker.shell import Cmd, venv_created
from reqconv.redact import has_credentials, redact_text

__all__ = ["Decider", "Decision", "decision_key", "lock_for"]


@dataclass(slots=True)
class Decision:
    pip: PipInstall
    stage: Stage
    command: Any  # the RUN
    locks: list[tuple[str, str, str]] = field(default_factory=list)  # (ref, lock, image path)
    venv: str = DEFAULT_VENV
    new_venv: bool = False
    seed: bool = False  # a pip command left after the sync needs pip in the new venv
    # later ``pip install``s into the new venv, run as ``uv pip install`` instead (the venv then
    # needs no pip): (stage, RUN, command, uv pip install's arguments)
    to_uv: list[tuple[Stage, Any, Cmd, list[str]]] = field(default_factory=list)
    system_site: bool = False  # the base image's own packages stay importable
    follow: list[tuple[Stage, Any]] = field(default_factory=list)  # COPYs of a --user site
    # ``pip wheel`` here, ``pip install /wheels/*`` in a later stage: the installs replaced by the
    # copy of the venv (RUN, command), and the -r files a later stage copies from this one
    drop: list[tuple[Any, Cmd]] = field(default_factory=list)
    keep_refs: set[str] = field(default_factory=set)
    # ``install``: ``uv pip install -r <lock>``, which removes nothing (a conditional install, one
    # into a venv pip already added to, the image's own Python, a --target folder); else a sync
    mode: Literal["sync", "install"] = "sync"
    system: bool = False  # into the image's own Python (``--system``), where pip installed
    target: str | None = None  # ``--target DIR`` / ``--prefix DIR``, as pip had it


def decision_key(decision: Decision) -> tuple[int, int]:
    return decision.command.start_line, decision.pip.cmd.node.pos[0]


def lock_for(plan: DockerPlan, ref: str, *, exact: bool = False) -> tuple[str, str] | None:
    """``(key, lock)``: the requirements file (service-relative) ``ref`` names, and its lock;
    ``exact``: only a file of the plan's table by its path (no guess by suffix or name)."""
    wanted = norm(ref) if ref.startswith("../") else norm(ref).lstrip("/")
    if not plan.lock_for:
        base = PurePosixPath(wanted)
        key = base.name if base.parent.name.lower() != "requirements" else "/".join(base.parts[-2:])
        return key, default_lock_name(key)
    table = {norm(k): v for k, v in plan.lock_for.items()}
    if wanted in table:
        return wanted, table[wanted]
    if exact:
        return None
    suffix = [k for k in table if wanted.endswith("/" + k)]
    if suffix:
        key = max(suffix, key=len)
        return key, table[key]
    named = [k for k in table if PurePosixPath(k).name == PurePosixPath(wanted).name]
    if len(named) == 1:
        return named[0], table[named[0]]
    return None


class Decider:
    """Decides each install in file order; remembers the kept ones (later decisions depend on them)."""

    def __init__(self, doc: Dockerfile, plan: DockerPlan, findings: Findings) -> None:
        self.doc = doc
        self.plan = plan
        self.findings = findings
        # pip installs left as they are: (stage, RUN, command); they use whatever pip PATH finds
        self.kept_pips: list[tuple[Stage, Any, Cmd]] = []
        self.decided: list[Decision] = []  # so far, in file order
        self.uv_lines: set[int] = set()  # RUNs that install with uv already

    def pips_before(self, stage: Stage, command: Any, cmd: Cmd) -> list[tuple[int, int]]:
        """Where kept pip installs run before ``cmd`` in ``stage`` (or its ancestors): (RUN
        line, offset in its shell), in order."""
        chain = stage.chain()
        found = []
        for kept_stage, kept_command, kept_cmd in self.kept_pips:
            if kept_stage not in chain or only_setup_packages(kept_cmd):
                continue  # pip/setuptools/wheel: the venv needs none, the sync keeps them
            if kept_command is command:
                if kept_cmd.node.pos[0] < cmd.node.pos[0]:
                    found.append((kept_command.start_line, kept_cmd.node.pos[0]))
            elif kept_command.start_line < command.start_line or kept_stage is not stage:
                found.append((kept_command.start_line, kept_cmd.node.pos[0]))
        return sorted(found)

    def venv_origin(
        self, stage: Stage, line: int, venv: str | None, cmd: Cmd | None = None
    ) -> tuple[int, int] | None:
        """From where pip installs land in the venv the sync at ``line`` targets: the RUN that
        creates it (the stage's own venv) or the first earlier sync that adds it (a new venv),
        ``(0, 0)`` when it comes with the base image; None for a venv yet to be made."""
        chain = stage.chain()
        if venv is None:
            made = [decision_key(d) for d in self.decided if d.new_venv and d.stage in chain]
            return min(made) if made else None
        for command in before(stage, line):
            if command.cmd.upper() == "RUN":
                for run_cmd in self.doc.cmds_in(command):
                    created = venv_created(run_cmd)
                    if created is not None and norm(created) == norm(venv):
                        return command.start_line, run_cmd.node.pos[0]
        if cmd is not None:  # made earlier in the sync's own chain
            for folder, at in environment.created_before(self.doc, stage, line, cmd):
                if norm(folder) == norm(venv):
                    return line, at
        return 0, 0

    def later_pips_fit(self, decision: Decision, kept_refs: set[str]) -> bool:
        """Kept pip installs after a new venv run in that venv: each becomes ``uv pip install``
        (``to_uv``) where its words allow, else the venv gets pip (``--seed``, said at that
        line), since pip and setuptools in the venv make the image larger than pip's own; a
        ``--user`` install cannot run in a venv, so then the decision is dropped, with a finding."""
        if not decision.new_venv:
            return True
        stage, command, cmd = decision.stage, decision.command, decision.pip.cmd
        later: list[tuple[Stage, Any, Cmd, PipInstall]] = []
        for kept_stage, kept_command, kept_cmd in self.kept_pips:
            same_run_after = kept_command is command and kept_cmd.node.pos[0] > cmd.node.pos[0]
            if (kept_stage is stage and kept_command.start_line > command.start_line) or (
                same_run_after or (kept_stage is not stage and stage in kept_stage.chain())
            ):
                pip = pip_install(kept_cmd)
                if pip is not None:
                    later.append((kept_stage, kept_command, kept_cmd, pip))
        users = [run.start_line for _s, run, _c, pip in later if pip.user]
        if users:
            self.findings.kept(
                command.start_line,
                "pip-user-after-venv",
                f"line {users[0]} runs pip install --user, which fails inside the venv that "
                f"`uv pip sync` needs ({self.plan.venv})",
            )
            kept_refs.update(norm(ref) for ref in decision.pip.requirements)
            return False
        decision.to_uv = []
        decision.seed = False
        for kept_stage, kept_command, kept_cmd, pip in later:
            args = _uv_install_args(pip, decision.venv)
            if args is not None:
                decision.to_uv.append((kept_stage, kept_command, kept_cmd, args))
                continue
            decision.seed = True
            self.findings.advise(
                kept_command.start_line,
                "pip-seeded",
                f"this pip command stays pip ({_why_pip_stays(pip)}) and runs in the venv "
                f"{decision.venv} that line {command.start_line}'s sync makes: that venv gets pip "
                "(`uv venv --seed`), which adds pip and setuptools to the image",
            )
        return True

    def decide(
        self,
        stage: Stage,
        command: Any,
        cmd: Cmd,
        kept_refs: set[str],
        upgrades: list[tuple[Stage, Any, Cmd]],
    ) -> Decision | None:
        line = command.start_line
        if _other_installer(cmd, line, self.findings, self.uv_lines):
            return None
        pip = pip_install(cmd)
        if pip is None:
            return None
        wheels: list[tuple[Stage, Any, Any, Cmd]] | None = None
        if pip.subcommand == "wheel" and pip.requirements:
            wheels = stages.wheel_installs(self.doc, stage, command, pip)
        if pip.subcommand != "install" and wheels is None:
            if pip.requirements:
                self.findings.kept(
                    line, "not-install", f"pip {pip.subcommand} -r: only pip install is rewritten"
                )
                kept_refs.update(pip.requirements)
            return None
        if any(cmd is claimed for d in self.decided for _run, claimed in d.drop):
            return None  # ``pip install /wheels/*``: the earlier ``pip wheel`` stage's venv instead
        if is_setup_upgrade(pip):
            if cmd.top:
                upgrades.append((stage, command, cmd))
            return None
        if not pip.requirements:
            if pip.editables or any(p.startswith((".", "/")) for p in pip.packages):
                self.findings.kept(line, "local-project", "installs a local project with pip")
            elif pip.packages or pip.variables:
                self.findings.kept(
                    line,
                    "inline-packages",
                    "installs packages named inline with pip",
                    "add them to the requirements (then the lock), or use `uv pip install`",
                )
            return None
        kept_refs.update(pip.requirements)
        shell = environment.shell(self.doc, stage, line)
        if shell is not None:
            self.findings.kept(line, "non-posix-shell", f"this stage runs RUN with {shell}")
            return None
        if (
            environment.uv_stage_platform(self.doc, stage) is not None
            and not environment.has_uv(self.doc, stage, line)
            and self.doc.numbered_stage_refs()
        ):
            platform = environment.uv_stage_platform(self.doc, stage)
            self.findings.kept(
                line,
                "build-platform",
                f"this stage runs on --platform={platform}, where uv must come from a stage of "
                "that platform (COPY --from=<image> takes the target platform's), and a new stage "
                "would renumber the stages this Dockerfile names by number",
                f"add `FROM --platform={platform} {UV_IMAGE}:<version> AS uv` and copy /uv from it",
            )
            return None
        too_old = environment.python_too_old(self.doc, stage, line)
        if too_old is not None:
            self.findings.kept(
                line,
                "python-too-old",
                f"this stage has Python {too_old}, older than uv supports (3.8)",
            )
            return None
        reason = _refusal(command, cmd, pip, self.findings)
        if reason is not None:
            self.findings.kept(line, *reason)
            return None
        locks = _locks(self.doc, self.plan, self.findings, stage, command, pip)
        if locks is None:
            return None
        venv = pip.venv or environment.existing_venv(self.doc, stage, line, cmd)
        new_venv = venv is None
        if wheels is not None and not new_venv:
            self.findings.kept(
                line,
                "not-install",
                f"pip wheel -r in a stage whose venv ({venv}) is not the one copied",
                "sync the lock into that venv, and copy the venv instead of the wheels",
            )
            return None
        for later, _copy, _run, _cmd in wheels or ():
            pinned = environment.system_python_cmd(self.doc, later)
            if pinned is not None:
                self.findings.kept(
                    line,
                    "system-python-cmd",
                    f"line {pinned} runs the system Python by its path, which would not see the "
                    f"packages in the venv {self.plan.venv} copied instead of the wheels",
                    f"run `python` from PATH (or {self.plan.venv}/bin/python)",
                )
                return None
        mode: Literal["sync", "install"] = "install" if not cmd.top else "sync"
        if pip.target is not None:  # a folder, as pip had it: no venv at all
            return Decision(
                pip=pip,
                stage=stage,
                command=command,
                locks=locks,
                venv="",
                mode="install",
                target=pip.target,
            )
        before = self.pips_before(stage, command, cmd)
        origin = self.venv_origin(stage, line, venv, cmd)
        # a ``pip wheel`` stage's packages matter only to what runs after the sync there
        hidden = before and not (
            wheels is not None and not stages.runs_after(self.doc, stage, command)
        )
        # (code, why) when a new venv would break what pip did: then the image's own Python
        system: tuple[str, str] | None = None
        if origin is None and hidden:
            system = (
                "pip-before-venv",
                f"the pip install of line {before[0][0]}, run before this one, puts packages "
                f"outside the new venv {self.plan.venv}, which would hide them",
            )
        undone = [at for at in before if origin is not None and at > origin]
        if undone:
            mode = "install"  # a sync would remove what the earlier pip install added
        if new_venv and environment.non_root(self.doc, stage, line):
            self.findings.kept(
                line,
                "non-root-user",
                f"pip runs as a non-root USER here, where `uv venv` cannot create {self.plan.venv}",
            )
            return None
        if new_venv and system is None and self.system_before(stage, line):
            system = ("pip-before-venv", "an earlier install of this stage went to its own Python")
        if new_venv and system is None:
            pinned = environment.system_python_cmd(self.doc, stage)
            if pinned is not None:
                system = (
                    "system-python-cmd",
                    f"line {pinned} runs the system Python by its path, which would not see the "
                    f"packages in a new venv {self.plan.venv}",
                )
        system_site = False
        if new_venv and system is None and not environment.plain_python(self.doc, stage):
            inherited = environment.inherited_cmd(self.doc, stage)
            if inherited is not None:
                system = (
                    "base-image-cmd",
                    f"the image runs the CMD/ENTRYPOINT of {inherited} (this Dockerfile sets "
                    "none), which may start tools of that image's own Python (gunicorn, …) that "
                    f"would not see a new venv {self.plan.venv}",
                )
            else:
                system_site = True  # packages that came with the base image stay importable
        follow: list[tuple[Stage, Any]] = []
        if new_venv and system is None and not pip.user:
            copied = stages.system_copied(self.doc, stage, self.plan.venv)
            if copied is not None:
                system = ("system-layout", copied)
        if system is not None and (pip.user or wheels is not None):
            self.findings.kept(line, *system)  # --user and a wheel stage need the venv
            return None
        if pip.user:
            found_follow = stages.user_copies_follow(self.doc, stage, line, self.findings)
            if found_follow is None:
                return None
            follow = found_follow
        if system is not None:
            code, why = system
            self.findings.advise(
                line,
                "system-install",
                f"{why}: installed into the image's own Python instead (uv pip install --system), "
                f"where pip put it ({code})",
            )
            return Decision(
                pip=pip,
                stage=stage,
                command=command,
                locks=locks,
                venv="",
                mode="install",
                system=True,
            )
        keep_refs: set[str] = set()
        if wheels is not None:
            follow = [(later, copy) for later, copy, _run, _cmd in wheels]
            keep_refs = {
                norm(ref) for ref in pip.requirements if stages.copied_later(self.doc, stage, ref)
            }
        return Decision(
            pip=pip,
            stage=stage,
            command=command,
            locks=locks,
            venv=venv or self.plan.venv,
            new_venv=new_venv,
            system_site=system_site,
            follow=follow,
            drop=[(run, install) for _later, _copy, run, install in wheels or ()],
            keep_refs=keep_refs,
            mode=mode,
        )

    def system_before(self, stage: Stage, line: int) -> bool:
        """Whether an install decided earlier in this stage (or one it is built FROM) went to the
        image's own Python: a venv made after it would hide those packages."""
        chain = stage.chain()
        return any(d.system and d.stage in chain for d in self.decided)


def _absent(plan: DockerPlan, source: str) -> str | None:
    """The missing COPY source (``plan.missing``) that ``source`` (a context path) came from;
    only for a service with requirements files (``lock_for``): then the file is somewhere, and
    a source the context lacks says the context is another folder."""
    if not plan.lock_for:
        return None
    path = norm(source).lstrip("/")
    for missing in plan.missing:
        if path == missing or path.startswith(missing + "/"):
            return missing
    return None


def _uv_install_args(pip: PipInstall, venv: str) -> list[str] | None:
    """``uv pip install``'s arguments for a later ``pip install`` into ``venv`` run by name
    (``pip``, ``python -m pip``, or that venv's own pip by path), not under ``sudo``."""
    prefixes = [w.word for w in pip.cmd.words[: pip.start_word]]
    if any(PurePosixPath(w).name in ("sudo", "su", "gosu", "su-exec") for w in prefixes):
        return None
    if pip.venv is not None and norm(pip.venv) != norm(venv):
        return None
    first = pip.cmd.words[pip.start_word].word
    if "/" in first and pip.venv is None:
        return None  # ``/usr/local/bin/pip``: the image's own Python, not the venv
    return uv_install_args(pip)


def _why_pip_stays(pip: PipInstall) -> str:
    if pip.subcommand != "install":
        return f"pip {pip.subcommand}"
    if pip.unknown:
        return f"{' '.join(pip.unknown)} has no `uv pip install` equivalent"
    if pip.variables or pip.substituted or any("$" in a or "`" in a for a in pip.args):
        return "its arguments expand at build time"
    if pip.target is not None:
        return f"pip install {pip.target}"
    return "it runs under another user or by a path outside the venv"


def _refusal(command: Any, cmd: Cmd, pip: PipInstall, findings: Findings) -> Kept | None:
    if pip.substituted:
        return Kept("conditional-requirements", "the -r file is built by a shell substitution")
    if pip.variables:
        return Kept(
            "variable-arguments",
            f"{' '.join(pip.variables)} expands at build time to options or packages reqconv "
            "cannot see",
        )
    if not cmd.top and cmd.in_substitution:
        return Kept(
            "conditional-install",
            "pip install -r inside a `$(...)` substitution, whose output the RUN uses",
            "run it as a command of its own",
        )
    if pip.unknown:
        return Kept(
            "unknown-option",
            f"pip option {' '.join(pip.unknown)} has no uv pip sync equivalent",
        )
    if pip.target is not None and pip.target.startswith("--root"):
        return Kept(
            "target",
            f"pip install {pip.target}: uv has no --root",
            "use --prefix or --target, or sync a venv and copy that",
        )
    if pip.editables or any(p.startswith((".", "/")) for p in pip.packages):
        return Kept("local-project", "installs a local project together with -r")
    if pip.packages:
        return Kept(
            "inline-packages",
            f"names packages inline ({' '.join(pip.packages)}) together with -r",
        )
    for url in pip.index_urls:
        if has_credentials(url):
            findings.advise(
                command.start_line,
                "index-credentials",
                f"the index URL {redact_text(url)} carries credentials; the rewrite drops them: "
                f"pass them as a build secret, {SECRET_HINT}",
            )
    for assignment in cmd.assignments:
        if assignment.startswith("PIP_"):
            findings.advise(
                command.start_line,
                "pip-env",
                f"{assignment.split('=', 1)[0]} is a pip setting uv does not read",
            )
    return None


def _other_installer(cmd: Cmd, line: int, findings: Findings, uv_lines: set[int]) -> bool:
    """True when ``cmd`` is no pip command to decide: poetry, pipenv, ``uv`` (noted in
    ``uv_lines``), or pip inside a ``sh -c`` string (each reported as kept)."""
    words = [w.word for w in cmd.words]
    if len(words) >= 3 and PurePosixPath(words[0]).name in ("sh", "bash") and "-c" in words:
        inner = words[words.index("-c") + 1] if words.index("-c") + 1 < len(words) else ""
        for tool in ("poetry", "pipenv"):
            if re.search(rf"\b{tool}\s+(?:install|sync)\b", inner):
                findings.kept(line, tool, f"installs with {tool}")
        if re.search(r"\bpip[0-9.]*\s+install\b", inner):
            findings.kept(
                line,
                "shell-unparsed",
                "pip install inside a `sh -c` string",
                "write it in the RUN itself",
            )
        return True
    if words and words[0] in ("poetry", "pipenv") and len(words) > 1:
        if words[1] in ("install", "sync", "export"):
            findings.kept(line, words[0], f"installs with {words[0]}")
        return True
    if words[:2] == ["uv", "sync"] or words[:3] in (
        ["uv", "pip", "install"],
        ["uv", "pip", "sync"],
    ):
        uv_lines.add(line)
    if words[:2] == ["uv", "pip"] and len(words) > 2 and words[2] == "install":
        if any(w in ("-r", "--requirement", "--requirements") or w.startswith("-r") for w in words):
            findings.kept(line, "already-uv", "already installs with uv pip")
        return True
    if words[:2] == ["uv", "sync"]:
        findings.kept(line, "already-uv", "already installs with uv sync")
        return True
    return False


def _locks(
    doc: Dockerfile,
    plan: DockerPlan,
    findings: Findings,
    stage: Stage,
    command: Any,
    pip: PipInstall,
) -> list[tuple[str, str, str]] | None:
    """``(ref, lock, image path)`` for each ``-r`` file of ``pip``: the lock the service exports for
    the build-context file a COPY put there; None (after a finding) when one has no lock here."""
    line = command.start_line
    for ref in pip.requirements:
        generated = doc.generated_at(stage, command, ref)
        if generated is not None:
            findings.kept(
                line,
                "generated-requirements",
                f"{ref} is written inside the image (line {generated}), not taken from the "
                "build context whose lock reqconv exports",
            )
            return None
    locks: list[tuple[str, str, str]] = []
    for ref in pip.requirements:
        # the file in the build context that a COPY put at ``ref`` names the lock best
        source = doc.copied_from(stage, line, ref)
        absent = None if source is None else _absent(plan, source)
        if absent is not None:
            findings.kept(
                line,
                "not-in-context",
                f"{ref} comes from {absent} of the build context, which is not there: the "
                "image is built from another folder, where the lock's path would differ",
            )
            return None
        relative = None if source is None else service_relative(source, plan.context)
        if relative is not None and relative in plan.unlocked:
            findings.kept(
                line,
                "no-lock",
                f"{ref} is {source} of the build context, which is not among the requirements "
                "files this service converts, so no lock is exported for it",
                f"convert it too (reqconv convert --group NAME={source})",
            )
            return None
        if relative is not None and plan.context is not None:
            # the build context is known: the file is the service's, or not
            found = lock_for(plan, relative, exact=relative.startswith("../"))
            if found is None and relative.startswith("../"):
                findings.kept(
                    line,
                    "no-lock",
                    f"{ref} is {source} of the build context, outside this service's folder "
                    f"({plan.context or '.'} there): another folder's requirements, "
                    "whose lock this service does not export",
                    "convert that folder (reqconv convert <folder>), or name the file with "
                    "--main/--group",
                )
                return None
        else:
            found = (None if relative is None else lock_for(plan, relative)) or lock_for(plan, ref)
        if found is None:
            findings.kept(
                line,
                "no-lock",
                f"{ref} is not a requirements file of this service, so no lock is exported for it",
            )
            return None
        _key, lock = found
        image_path = posixpath.join(posixpath.dirname(ref), PurePosixPath(lock).name)
        locks.append((ref, lock, image_path))
    return locks
