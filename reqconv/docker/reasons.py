"""The one table of finding codes, and the collector that reports them.

Each rule is a code, its severity, a one-line reason (why the install is kept, or what the user
must hear) and what to do. A decision that keeps a ``pip install`` reports one of the ``kept``
rules; the message names the specific case, then ``kept:`` and the remedy. docs/docker.md lists
every code of this table (tests/test_docker_reasons.py checks it).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from reqconv.docker.model import DockerFinding
from reqconv.frozen import frozen
from reqconv.redact import redact_text

__all__ = ["RULES", "Findings", "Kept", "Rule", "markdown_table"]


@frozen
class Rule:
    code: str
    kind: Literal["kept", "advice"]  # kept: the install stays on pip; advice: something to change
    severity: Literal["warning", "info"]
    reason: str  # one line: why
    fix: str  # one line: what to do


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.code: rule for rule in rules}


RULES: dict[str, Rule] = _rules(
    # what the install does
    Rule("already-uv", "kept", "info", "it already installs with uv", "nothing to do"),
    Rule("poetry", "kept", "info", "it installs with poetry",
         "reqconv converts pip requirements files only"),
    Rule("pipenv", "kept", "info", "it installs with pipenv",
         "reqconv converts pip requirements files only"),
    Rule("not-install", "kept", "warning",
         "`pip download -r`, or `pip wheel -r` whose wheels no venv can stand in for",
         "the hashed lock works there too (-r requirements.lock)"),
    Rule("local-project", "kept", "warning", "it installs a local project (`.`, `-e .`)",
         "sync the lock, then `uv pip install --no-deps .`"),
    Rule("inline-packages", "kept", "warning", "it names packages inline with `-r`",
         "add them to the requirements so the lock has them"),
    Rule("variable-arguments", "kept", "warning", "`${PIP_ARGS}`-like words of unknown content",
         "spell them out (packages belong in the requirements)"),
    Rule("target", "kept", "warning", "`--root` installs into a folder (uv has no --root)",
         "use --prefix or --target (uv pip install keeps them), or sync a venv and copy that"),
    Rule("unknown-option", "kept", "warning", "a pip option with no `uv pip sync` equivalent",
         "drop it, or run what needs it as a separate command after the sync"),
    Rule("conditional-install", "kept", "warning", "it runs inside a `$(...)` substitution",
         "run it as a command of its own"),
    Rule("conditional-requirements", "kept", "warning", "a shell substitution builds the `-r` file",
         "install each case's lock explicitly"),
    Rule("generated-requirements", "kept", "warning", "the `-r` file is made in the image",
         "install the exported lock instead of generating the file"),
    Rule("no-lock", "kept", "warning", "no exported lock covers the `-r` file",
         "convert it too (reqconv convert --group NAME=FILE)"),
    Rule("not-in-context", "kept", "warning",
         "the `-r` file comes from a path the build context reqconv found does not hold",
         "name the context: --context DIR (or a compose file's `build.context`)"),
    Rule("requirements-not-copied", "kept", "warning", "no COPY or bind mount brings the file in",
         "COPY the file (or bind-mount it) from the context before this RUN"),
    # the stage it runs in
    Rule("python-too-old", "kept", "warning", "the stage's Python is older than 3.8 (uv's minimum)",
         "move to a base image with Python 3.8 or newer first"),
    Rule("non-posix-shell", "kept", "warning", "a PowerShell/cmd `SHELL` or a Windows image",
         "nothing to do: reqconv writes POSIX shell"),
    Rule("build-platform", "kept", "warning", "a `--platform` stage, stages named by number",
         "add a uv stage of that platform by hand and copy /uv from it"),
    # (a plain install in these cases goes to the image's own Python: system-install below)
    Rule("base-image-cmd", "kept", "warning",
         "a --user or pip-wheel install, where the base image's own CMD would not see a venv",
         "set a CMD that runs from the venv"),
    Rule("system-python-cmd", "kept", "warning",
         "a --user or pip-wheel install, where a CMD runs `/usr/local/bin/python` by its path",
         "run `python` from PATH"),
    Rule("pip-before-venv", "kept", "warning",
         "a --user or pip-wheel install, where an earlier pip install's packages would be hidden",
         "add them to the requirements (then the lock)"),
    Rule("pip-user-after-venv", "kept", "warning", "a later `pip install --user` fails in a venv",
         "drop --user there"),
    Rule("system-layout", "kept", "warning",
         "a --user or pip-wheel install, where a later stage copies `/usr/local` or site-packages",
         "copy the venv (and set its PATH) instead"),
    Rule("non-root-user", "kept", "warning", "a non-root `USER` cannot create the venv",
         "move the install before USER, or create the venv as root"),
    Rule("user-install", "kept", "warning", "a `--user` site copied piecemeal to another stage",
         "install into a venv and copy that instead"),
    # how the Dockerfile is written
    Rule("onbuild", "kept", "warning", "`ONBUILD RUN pip install` runs in other builds",
         "rewrite it in those Dockerfiles, or spell it out here"),
    Rule("exec-form", "kept", "warning", "an exec-form `RUN [\"pip\", …]`",
         "write it as a shell RUN to have it rewritten"),
    Rule("shell-unparsed", "kept", "warning", "shell reqconv cannot map or parse",
         "write it as a plain shell RUN (or RUN <<EOF with no interpreter)"),
    # advice: something else the user must change
    Rule("index-credentials", "advice", "warning", "an index credential in `ARG`/`ENV` or a URL",
         "pass it as a build secret"),
    Rule("pip-env", "advice", "warning", "a `PIP_*` setting uv does not read",
         "set the `UV_*` equivalent"),
    Rule("dockerignore-excludes-lock", "advice", "info", "`.dockerignore` excludes a mounted lock",
         "nothing: `!<lock>` is added to it"),
    # which Dockerfiles build the service, and from which context (reqconv.docker.builds)
    Rule("build-contexts-differ", "advice", "warning", "one Dockerfile built from several contexts",
         "give each build its own Dockerfile, or build all from one context"),
    Rule("build-context-outside", "advice", "warning",
         "the build context does not hold the service folder (where the lock is)",
         "build from a folder that holds the service, or rewrite by hand"),
    Rule("build-context-ambiguous", "advice", "warning",
         "the context (named by no compose file, CI workflow or script) fits more than one "
         "folder: the install is kept",
         "choose it: --context DIR (or name it in a compose file's `build.context`)"),
    Rule("build-context-missing", "advice", "warning",
         "the rewrite would mount a path its build context does not hold",
         "name the context: --context DIR (or a compose file's `build.context`)"),
    Rule("build-context", "advice", "info",
         "the build context taken, where it is not the Dockerfile's own folder, and why",
         "nothing, or choose another: --context DIR"),
    Rule("dockerfile-unchanged", "advice", "info", "a Dockerfile that builds the service is left",
         "nothing, or see its kept lines"),
    # notes: what the rewrite did differently, and why
    Rule("moved-before-copy", "advice", "info",
         "the install ran after `COPY . .`: each source edit installed every package again",
         "nothing: it now runs before that COPY, with the lock mounted"),
    Rule("system-install", "advice", "info",
         "a venv would hide packages or not be seen (base CMD, CMD by path, earlier pip, copied "
         "site-packages)", "nothing: `uv pip install --system -r <lock>` installs where pip did"),
    Rule("uv-pip-install", "advice", "info",
         "a `pip install` after the sync, into the venv it made",
         "nothing: it runs as `uv pip install` (uv mounted), so the venv needs no pip"),
    Rule("pip-seeded", "advice", "info",
         "a pip command left after the sync runs in the venv it made, which then gets pip",
         "make it a plain `pip install` (or `uv pip install`) to keep pip out of the image"),
    Rule("buildkit", "advice", "info", "the rewrite adds `RUN --mount`s, which need BuildKit",
         "build with BuildKit (Docker 23.0+, or `docker buildx build`)"),
    Rule("no-require-hashes", "advice", "info", "the lock has entries without hashes (git, folders)",
         "nothing: the sync runs without --require-hashes and checks the hashes it has"),
    Rule("no-cache-mount", "advice", "info", "the RUN removes the cache folder (`rm -rf ~/.cache`)",
         "drop the rm to get uv's cache mount"),
    Rule("tls-certificates", "advice", "info", "the stage sets up CA certificates uv would not read",
         "nothing: the added ENV points uv at them"),
    # --multi-stage (reqconv.docker.multistage, packages.PACKAGES)
    Rule("multi-stage", "advice", "info",
         "--multi-stage split the file into a builder and a runtime stage",
         "nothing; --verify builds both and imports every locked package"),
    Rule("multi-stage-kept", "advice", "warning",
         "--multi-stage left it single-stage: a later step compiles, no venv, or stages exist",
         "move the compiling step before the install, or split the file by hand"),
    Rule("runtime-slim", "advice", "info",
         "the runtime stage starts from the -slim tag of a full python image",
         "nothing, or the full tag if a package needs one of its libraries (--verify tells)"),
    Rule("system-package-unclassified", "advice", "info",
         "a system package not in reqconv's table stays in both stages",
         "drop it from the runtime stage if only the build needs it"),
)  # fmt: skip


class Kept(NamedTuple):
    """A decision to keep an install: the rule's code, the specific case, and a specific remedy
    when the rule's own is too general."""

    code: str
    why: str
    fix: str | None = None


def markdown_table(kind: Literal["kept", "advice"]) -> str:
    """The rows docs/docker.md shows for ``kind`` (the docs test compares them)."""
    rows = ["| code | because | what to do |", "|---|---|---|"]
    for rule in RULES.values():
        if rule.kind == kind:
            severity = " (info)" if rule.severity == "info" else ""
            rows.append(f"| `{rule.code}`{severity} | {rule.reason} | {rule.fix} |")
    return "\n".join(rows) + "\n"


class Findings:
    """Findings of one rewrite, deduplicated and credential-free."""

    def __init__(self, findings: tuple[DockerFinding, ...] | list[DockerFinding] = ()) -> None:
        self.items: list[DockerFinding] = list(findings)

    def kept(self, line: int, code: str, why: str, fix: str | None = None) -> None:
        """The install at ``line`` stays on pip: ``<why>; kept: <fix>`` (the rule's fix by default)."""
        rule = RULES[code]
        assert rule.kind == "kept", code
        self._add(line, rule, f"{why}; kept: {fix or rule.fix}")

    def advise(self, line: int, code: str, message: str) -> None:
        """Something besides the install the user must change (the message says what)."""
        rule = RULES[code]
        assert rule.kind == "advice", code
        self._add(line, rule, message)

    def drop(self, line: int, codes: frozenset[str]) -> None:
        """Forget the findings of ``codes`` at ``line`` (what they said no longer holds)."""
        self.items = [f for f in self.items if not (f.line == line and f.code in codes)]

    def _add(self, line: int, rule: Rule, message: str) -> None:
        finding = DockerFinding(
            line=line, code=rule.code, message=redact_text(message), severity=rule.severity
        )
        if finding not in self.items:
            self.items.append(finding)

    def sorted(self) -> tuple[DockerFinding, ...]:
        return tuple(sorted(self.items, key=lambda f: (f.line, f.code)))
