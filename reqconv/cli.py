"""The command line: the only importer of typer and the single error boundary.

Declares options, builds an options object, calls one ``commands.*.run`` and maps its result or
error to an exit code: 0 ok, 1 would change / drift, 2 bad input or usage, 3 uv failed, 4 internal
error, 130 interrupted. No file access, processes or logic here.

typer is imported only when a command needs it (``app`` is built on first use): ``reqconv check``
runs in pre-commit and CI on every commit, and typer's import alone costs three times Python's
start-up. ``main`` reads the few options of ``check`` itself; anything else it does not know
(``--help``, a typo) goes through typer as before. See docs/architecture.md.
"""

from __future__ import annotations

import sys

from reqconv import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from pathlib import Path

    import typer

    from reqconv.commands import WriteMode

    # What mypy sees; at run time ``_build_app`` binds these names to ``Annotated`` forms that
    # carry typer's option declarations.
    PathsArg = list[Path] | None
    DryRun = bool
    Check = bool
    Json = bool
    Quiet = bool
    ExportGroup = list[str] | None
    Pylock = bool
    Upgrade = bool
    UpgradePackage = list[str] | None
    Offline = bool
    FormatOpt = str | None
    Strict = bool
    RequireMigrated = bool
    MainOpt = Path | None
    GroupOpt = list[str] | None
    VariantOpt = list[str] | None
    DevStyle = str | None
    NoLock = bool
    NoDocker = bool
    DockerfileOpt = list[Path] | None
    VerifyOpt = bool
    MultiStageOpt = bool
    BuildArgOpt = list[str] | None
    ContextOpt = Path | None
    VersionOpt = bool
    NameUrl = list[str] | None
    PythonOpt = str | None
    NameOpt = str | None
    RequirementsArg = list[str]
    NamesArg = list[str]
    ProjectOpt = Path | None
    GroupName = str | None
    VariantName = str | None
    DevOpt = bool
    UpgradeSpec = bool
    WaitOpt = float
    AllOpt = bool
    JobsOpt = int | None
    ColorOpt = str
    VerboseOpt = bool

    from reqconv.commands._all import AllOptions


class _Echo:
    def out(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def err(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def _version_callback(value: bool) -> None:
    if value:
        import typer

        typer.echo(f"reqconv {__version__}")
        raise typer.Exit(0)


def _aliases() -> dict[str, object]:
    """The ``Annotated`` option declarations the command signatures name (typer reads them)."""
    from pathlib import Path
    from typing import Annotated

    import typer

    return {
        "Path": Path,
        "PathsArg": Annotated[
            list[Path] | None,
            typer.Argument(
                help="Service folders (default: the current folder).", show_default=False
            ),
        ],
        "DryRun": Annotated[
            bool, typer.Option("--dry-run", help="Print a unified diff; write nothing.")
        ],
        "Check": Annotated[
            bool,
            typer.Option("--check", help="Like --dry-run, but exit 1 when something would change."),
        ],
        "Json": Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")],
        "Quiet": Annotated[
            bool, typer.Option("--quiet", "-q", help="Print only warnings and errors.")
        ],
        "ExportGroup": Annotated[
            list[str] | None,
            typer.Option("--export-group", help="Also export requirements-NAME.lock (repeatable)."),
        ],
        "Pylock": Annotated[
            bool, typer.Option("--pylock", help="Also export a PEP 751 pylock.toml.")
        ],
        "Upgrade": Annotated[
            bool, typer.Option("--upgrade", "-U", help="Allow upgrades of every package.")
        ],
        "UpgradePackage": Annotated[
            list[str] | None,
            typer.Option(
                "--upgrade-package", "-P", help="Allow upgrades of one package (repeatable)."
            ),
        ],
        "Offline": Annotated[
            bool, typer.Option("--offline", help="Lock from uv's cache only (no network).")
        ],
        "FormatOpt": Annotated[
            str | None,
            typer.Option(
                "--format",
                metavar="text|json|github",
                help="Findings as text (path:line: code: message, the default), JSON, or GitHub "
                "annotations.",
                show_default=False,
            ),
        ],
        "Strict": Annotated[
            bool,
            typer.Option(
                "--strict", help="Also run `uv lock --check --offline` and report its verdict."
            ),
        ],
        "RequireMigrated": Annotated[
            bool,
            typer.Option(
                "--require-migrated",
                help="A service not migrated yet (M504) is an error (exit 1), not a note.",
            ),
        ],
        "MainOpt": Annotated[
            Path | None,
            typer.Option(
                "--main",
                metavar="FILE",
                help="The file for [project] dependencies (replaces discovery).",
            ),
        ],
        "GroupOpt": Annotated[
            list[str] | None,
            typer.Option(
                "--group",
                metavar="NAME=FILE",
                help="A dependency group and its file (repeatable; replaces discovery).",
            ),
        ],
        "VariantOpt": Annotated[
            list[str] | None,
            typer.Option(
                "--variant",
                metavar="NAME=FILE",
                help="An alternative requirement set (one image's file) and its name; name "
                "every set, at least two (docs/variants.md).",
            ),
        ],
        "DevStyle": Annotated[
            str | None,
            typer.Option(
                "--dev-style",
                metavar="groups|extras",
                help="Where groups go: 'groups' ([dependency-groups]) or 'extras' "
                "([project.optional-dependencies]). Default: what the project already uses.",
            ),
        ],
        "NoLock": Annotated[bool, typer.Option("--no-lock", help="Do not run uv lock.")],
        "NoDocker": Annotated[
            bool, typer.Option("--no-docker", help="Do not rewrite Dockerfiles.")
        ],
        "DockerfileOpt": Annotated[
            list[Path] | None,
            typer.Option(
                "--dockerfile", help="A Dockerfile to rewrite (repeatable; replaces discovery)."
            ),
        ],
        "VerifyOpt": Annotated[
            bool,
            typer.Option(
                "--verify",
                help="Build the original and the rewritten Dockerfile with your Docker engine "
                "(BuildKit), import every locked package in the rewritten image, and write the "
                "rewrite only when it passed (with --all: per service, one service at a time).",
            ),
        ],
        "MultiStageOpt": Annotated[
            bool,
            typer.Option(
                "--multi-stage",
                help="Split a single-stage Dockerfile into a builder stage (compilers, -dev "
                "headers, the sync into /opt/venv) and a runtime stage that copies the venv.",
            ),
        ],
        "BuildArgOpt": Annotated[
            list[str] | None,
            typer.Option(
                "--build-arg",
                metavar="NAME=VALUE",
                help="A build argument for --verify's builds (repeatable; after compose's).",
            ),
        ],
        "ContextOpt": Annotated[
            Path | None,
            typer.Option(
                "--context",
                metavar="DIR",
                help="The build context of the Dockerfiles no compose file builds (what `docker "
                "build -f FILE DIR` is given); default: found from CI files and scripts, else "
                "where their COPY sources exist.",
            ),
        ],
        "NameUrl": Annotated[
            list[str] | None,
            typer.Option(
                "--name-url",
                metavar="NAME=URL",
                help="The package name of an unnamed URL or path requirement, the URL as the file "
                "writes it (repeatable; otherwise uv reads it from the URL's metadata).",
            ),
        ],
        "PythonOpt": Annotated[
            str | None,
            typer.Option(
                "--python",
                metavar="X.Y",
                help="requires-python = '>=X.Y' (default: the lowest Python the Dockerfiles, "
                "compose build.args, .python-version and runtime.txt name; an existing "
                "pyproject's value is kept).",
            ),
        ],
        "NameOpt": Annotated[
            str | None,
            typer.Option(
                "--name",
                help="The project name of a new pyproject.toml (default: the folder's name, made "
                "valid; an existing name is kept).",
            ),
        ],
        "RequirementsArg": Annotated[
            list[str],
            typer.Argument(
                metavar="REQUIREMENT...", help="PEP 508, name @ URL, git+URL, a path, -e PATH."
            ),
        ],
        "NamesArg": Annotated[list[str], typer.Argument(metavar="NAME...", help="Package names.")],
        "ProjectOpt": Annotated[
            Path | None,
            typer.Option(
                "--project", metavar="PATH", help="The service folder (default: the current one)."
            ),
        ],
        "GroupName": Annotated[
            str | None,
            typer.Option(
                "--group", metavar="NAME", help="A dependency group instead of [project]."
            ),
        ],
        "VariantName": Annotated[
            str | None,
            typer.Option(
                "--variant",
                metavar="NAME",
                help="An alternative requirement set (docs/variants.md) instead of [project]; "
                "its file is edited, and every set's lock and export kept in step.",
            ),
        ],
        "DevOpt": Annotated[bool, typer.Option("--dev", help="The same as --group dev.")],
        "UpgradeSpec": Annotated[
            bool,
            typer.Option(
                "--upgrade-spec", help="Replace the specifier of a package that is already listed."
            ),
        ],
        "WaitOpt": Annotated[
            float,
            typer.Option(
                "--wait",
                metavar="SECONDS",
                help="How long to wait for another reqconv run on the same service.",
            ),
        ],
        "AllOpt": Annotated[
            bool,
            typer.Option(
                "--all",
                help="Every service below each PATH (folders with requirements files or a "
                "pyproject.toml reqconv wrote), in parallel, each in its own transaction; one "
                "summary.",
            ),
        ],
        "JobsOpt": Annotated[
            int | None,
            typer.Option(
                "--jobs",
                "-j",
                min=1,
                metavar="N",
                help="With --all: services at a time, each in its own process (default and "
                "most: the core count; with --verify, one: no two services' builds overlap).",
            ),
        ],
        "ColorOpt": Annotated[
            str,
            typer.Option(
                "--color",
                metavar="auto|always|never",
                help="With --all: color in the summary and a live progress display (auto: when "
                "a terminal, and NO_COLOR unset).",
            ),
        ],
        "VerboseOpt": Annotated[
            bool,
            typer.Option(
                "--verbose", "-v", help="With --all: uv's commands and timings per service."
            ),
        ],
        "VersionOpt": Annotated[
            bool,
            typer.Option(
                "--version", callback=_version_callback, is_eager=True, help="Show the version."
            ),
        ],
    }


def _mode(dry_run: bool, check: bool, json: bool, quiet: bool) -> WriteMode:
    from reqconv.commands import WriteMode

    return WriteMode(dry_run=dry_run, check=check, json=json, quiet=quiet)


def _exit(code: int) -> typer.Exit:
    import typer

    return typer.Exit(code)


def _every(
    all_: bool, jobs: int | None, color: str, verbose: bool, *, quiet: bool, json: bool
) -> AllOptions | None:
    """``--all``'s options, or ``None`` without ``--all`` (then ``-j``/``--verbose`` are refused)."""
    import typer

    if color not in ("auto", "always", "never"):
        raise typer.BadParameter("must be 'auto', 'always' or 'never'", param_hint="--color")
    if not all_:
        if jobs is not None or verbose:
            hint = "--jobs" if jobs is not None else "--verbose"
            raise typer.BadParameter("only with --all", param_hint=hint)
        return None
    from reqconv.commands._all import AllOptions
    from reqconv.monorepo.terminal import Terminal

    terminal = Terminal.detect(color, quiet=quiet, json=json)  # type: ignore[arg-type]  # checked
    return AllOptions(jobs=jobs, verbose=verbose, terminal=terminal)


def _paths(paths: list[Path] | None) -> tuple[Path, ...]:
    from pathlib import Path

    return tuple(paths or [Path()])


def convert(
    paths: PathsArg = None,
    main_file: MainOpt = None,
    group: GroupOpt = None,
    variant: VariantOpt = None,
    dev_style: DevStyle = None,
    no_lock: NoLock = False,
    no_docker: NoDocker = False,
    export_group: ExportGroup = None,
    offline: Offline = False,
    name_url: NameUrl = None,
    python: PythonOpt = None,
    name: NameOpt = None,
    multi_stage: MultiStageOpt = False,
    verify: VerifyOpt = False,
    build_arg: BuildArgOpt = None,
    context: ContextOpt = None,
    dry_run: DryRun = False,
    check: Check = False,
    json: Json = False,
    quiet: Quiet = False,
    all_: AllOpt = False,
    jobs: JobsOpt = None,
    color: ColorOpt = "auto",
    verbose: VerboseOpt = False,
) -> None:
    """Convert requirements files into pyproject.toml (then lock, then rewrite Dockerfiles)."""
    import typer

    from reqconv.commands import convert as cmd

    if dev_style not in (None, "groups", "extras"):
        raise typer.BadParameter("must be 'groups' or 'extras'", param_hint="--dev-style")
    options = cmd.ConvertOptions(
        paths=_paths(paths),
        main=main_file,
        groups=tuple(group or ()),
        variants=tuple(variant or ()),
        dev_style=dev_style,  # type: ignore[arg-type]  # checked just above
        lock=not no_lock,
        docker=not no_docker,
        export_groups=tuple(export_group or ()),
        offline=offline,
        name_urls=tuple(name_url or ()),
        python=python,
        name=name,
        multi_stage=multi_stage,
        verify=verify,
        build_args=tuple(build_arg or ()),
        context=context,
        mode=_mode(dry_run, check, json, quiet),
        every=_every(all_, jobs, color, verbose, quiet=quiet, json=json),
    )
    raise _exit(cmd.run(options, _Echo()))


def lock(
    paths: PathsArg = None,
    export_group: ExportGroup = None,
    pylock: Pylock = False,
    upgrade: Upgrade = False,
    upgrade_package: UpgradePackage = None,
    offline: Offline = False,
    check: Check = False,
    json: Json = False,
    quiet: Quiet = False,
    all_: AllOpt = False,
    jobs: JobsOpt = None,
    color: ColorOpt = "auto",
    verbose: VerboseOpt = False,
) -> None:
    """Lock with uv (uv.lock) and export a hashed requirements.lock for `uv pip sync`."""
    from reqconv.commands import lock as cmd

    options = cmd.LockOptions(
        paths=_paths(paths),
        export_groups=tuple(export_group or ()),
        pylock=pylock,
        upgrade=upgrade,
        upgrade_packages=tuple(upgrade_package or ()),
        offline=offline,
        mode=_mode(False, check, json, quiet),
        every=_every(all_, jobs, color, verbose, quiet=quiet, json=json),
    )
    raise _exit(cmd.run(options, _Echo()))


def docker(
    paths: PathsArg = None,
    dockerfile: DockerfileOpt = None,
    multi_stage: MultiStageOpt = False,
    verify: VerifyOpt = False,
    build_arg: BuildArgOpt = None,
    context: ContextOpt = None,
    dry_run: DryRun = False,
    check: Check = False,
    json: Json = False,
    quiet: Quiet = False,
    all_: AllOpt = False,
    jobs: JobsOpt = None,
    color: ColorOpt = "auto",
    verbose: VerboseOpt = False,
) -> None:
    """Rewrite `pip install -r` in Dockerfiles to `uv pip sync` of the exported lock."""
    from reqconv.commands import docker as cmd

    options = cmd.DockerOptions(
        paths=_paths(paths),
        dockerfiles=tuple(dockerfile or ()),
        multi_stage=multi_stage,
        verify=verify,
        build_args=tuple(build_arg or ()),
        context=context,
        mode=_mode(dry_run, check, json, quiet),
        every=_every(all_, jobs, color, verbose, quiet=quiet, json=json),
    )
    raise _exit(cmd.run(options, _Echo()))


def _group(group: str | None, dev: bool, variant: str | None = None) -> str | None:
    import typer

    if dev and group is not None:
        raise typer.BadParameter("give --group NAME or --dev, not both", param_hint="--dev")
    if variant is not None and (dev or group is not None):
        raise typer.BadParameter(
            "give --variant NAME, --group NAME or --dev, not two", param_hint="--variant"
        )
    return "dev" if dev else group


def add(
    requirements: RequirementsArg,
    project: ProjectOpt = None,
    group: GroupName = None,
    dev: DevOpt = False,
    variant: VariantName = None,
    upgrade_spec: UpgradeSpec = False,
    no_lock: NoLock = False,
    offline: Offline = False,
    wait: WaitOpt = 600.0,
    dry_run: DryRun = False,
    check: Check = False,
    json: Json = False,
    quiet: Quiet = False,
) -> None:
    """Add requirements to pyproject.toml and the requirements file, re-lock and re-export."""
    from reqconv.commands import add as cmd

    options = cmd.AddOptions(
        requirements=tuple(requirements),
        project=project if project is not None else _paths(None)[0],
        group=_group(group, dev, variant),
        variant=variant,
        upgrade_spec=upgrade_spec,
        lock=not no_lock,
        offline=offline,
        wait=wait,
        mode=_mode(dry_run, check, json, quiet),
    )
    raise _exit(cmd.run(options, _Echo()))


def remove(
    names: NamesArg,
    project: ProjectOpt = None,
    group: GroupName = None,
    dev: DevOpt = False,
    variant: VariantName = None,
    no_lock: NoLock = False,
    offline: Offline = False,
    wait: WaitOpt = 600.0,
    dry_run: DryRun = False,
    check: Check = False,
    json: Json = False,
    quiet: Quiet = False,
) -> None:
    """Remove packages from pyproject.toml and the requirements file, re-lock and re-export."""
    from reqconv.commands import remove as cmd

    options = cmd.RemoveOptions(
        names=tuple(names),
        project=project if project is not None else _paths(None)[0],
        group=_group(group, dev, variant),
        variant=variant,
        lock=not no_lock,
        offline=offline,
        wait=wait,
        mode=_mode(dry_run, check, json, quiet),
    )
    raise _exit(cmd.run(options, _Echo()))


_FORMATS = ("text", "json", "github")


def _check_format(format: str | None, json: bool) -> str | None:
    """The format ``--format``/``--json`` ask for (``--json`` is ``--format json``, as every other
    command's ``--json`` is its report); ``None`` when they contradict or name no format."""
    if json:
        return "json" if format in (None, "json") else None
    chosen = format or "text"
    return chosen if chosen in _FORMATS else None


def check(
    paths: PathsArg = None,
    format: FormatOpt = None,
    strict: Strict = False,
    require_migrated: RequireMigrated = False,
    json: Json = False,
    quiet: Quiet = False,
) -> None:
    """Report drift between requirements files, pyproject.toml, uv.lock, exports and Dockerfiles."""
    import typer

    chosen = _check_format(format, json)
    if chosen is None:
        if json:
            raise typer.BadParameter(f"--json is --format json, not --format {format}")
        raise typer.BadParameter("must be 'text', 'json' or 'github'", param_hint="--format")
    raise _exit(
        _run_check(
            _paths(paths), chosen, strict=strict, quiet=quiet, require_migrated=require_migrated
        )
    )


def _run_check(
    paths: tuple[Path, ...],
    format: str,
    *,
    strict: bool,
    quiet: bool,
    require_migrated: bool = False,
) -> int:
    from reqconv.commands import check as cmd

    options = cmd.CheckOptions(
        paths=paths,
        format=format,  # type: ignore[arg-type]  # one of _FORMATS, checked by the caller
        strict=strict,
        quiet=quiet,
        require_migrated=require_migrated,
    )
    return cmd.run(options, _Echo())


_EPILOGS = {
    # "\b" keeps click from re-wrapping the example lines.
    "convert": (
        "Examples:\n\n\b\n"
        "  reqconv convert apps/backend\n"
        "  reqconv convert --dry-run --no-lock plugins/public/file-manager\n"
        "  reqconv convert --main requirements/prod.txt --group dev=requirements/dev.txt .\n"
        "  reqconv convert --check apps/*   # in CI: exit 1 when a conversion is pending\n"
        "  reqconv convert --all -j 2 .     # every service below ., two at a time"
    ),
    "lock": (
        "Examples:\n\n\b\n"
        "  reqconv lock apps/backend\n"
        "  reqconv lock --upgrade-package fastapi apps/backend\n"
        "  reqconv lock --export-group dev --pylock .\n"
        "  reqconv lock --check apps/*   # in CI: exit 1 when uv.lock or an export is stale"
    ),
    "docker": (
        "Examples:\n\n\b\n"
        "  reqconv docker apps/backend\n"
        "  reqconv docker --dockerfile deploy/Dockerfile.prod --dry-run .\n"
        "  reqconv docker --multi-stage --verify apps/backend"
    ),
    "check": (
        "Examples:\n\n\b\n"
        "  reqconv check                  # every service below the current folder\n"
        "  reqconv check --format github apps/backend\n"
        "  reqconv check --json .         # the same as --format json\n"
        "  reqconv check --strict .       # also `uv lock --check --offline`\n"
        "  reqconv check --require-migrated   # a service not migrated yet fails the run"
    ),
    "add": (
        "Examples:\n\n\b\n"
        "  reqconv add 'httpx>=0.27'\n"
        "  reqconv add --dev pytest --project apps/backend\n"
        "  reqconv add 'gamma[extra]>=1.2; python_version >= \"3.11\"'\n"
        "  reqconv add 'lib @ git+https://github.com/org/lib@v1.2'\n"
        "  reqconv add -- -e ../libs/shared   # '--' before a requirement that starts with '-'\n"
        "  reqconv add --upgrade-spec 'django>=5,<6'"
    ),
    "remove": (
        "Examples:\n\n\b\n"
        "  reqconv remove requests\n"
        "  reqconv remove --dev pytest-cov --project apps/backend"
    ),
}


def _build_app() -> typer.Typer:
    import typer

    globals().update(_aliases())
    app = typer.Typer(
        name="reqconv",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        add_completion=False,
        help="Move Python services from pip requirements files to a locked uv workflow.",
    )

    def root(version: VersionOpt = False) -> None:
        """Move Python services from pip requirements files to a locked uv workflow."""

    app.callback()(root)
    for command in (convert, lock, docker, check, add, remove):
        app.command(epilog=_EPILOGS[command.__name__])(command)
    return app


_APP: list[typer.Typer] = []  # built once, on first use


def _get_app() -> typer.Typer:
    if not _APP:
        _APP.append(_build_app())
    return _APP[0]


def __getattr__(name: str) -> object:
    """``cli.app``: the typer application, built (and typer imported) on first use."""
    if name != "app":
        raise AttributeError(name)
    return _get_app()


def _lean_check(args: list[str]) -> tuple[list[str], str, bool, bool, bool] | None:
    """``check``'s arguments read without typer: (paths, format, strict, quiet, require_migrated);
    ``None`` for anything else (``--help``, an unknown option, a bad value), which typer reports."""
    paths: list[str] = []
    format: str | None = None
    strict, quiet, json, require_migrated = False, False, False, False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--strict":
            strict = True
        elif arg == "--require-migrated":
            require_migrated = True
        elif arg == "--json":
            json = True
        elif arg in ("--quiet", "-q"):
            quiet = True
        elif arg == "--format" and i + 1 < len(args):
            format = args[i + 1]
            i += 1
        elif arg.startswith("--format="):
            format = arg.partition("=")[2]
        elif arg == "--":
            paths += args[i + 1 :]
            break
        elif arg.startswith("-"):
            return None
        else:
            paths.append(arg)
        i += 1
    chosen = _check_format(format, json)
    if chosen is None:
        return None
    return paths, chosen, strict, quiet, require_migrated


def _check_fast(
    paths: list[str], format: str, strict: bool, quiet: bool, require_migrated: bool
) -> int | None:
    """The exit code when every service is answered without the comparison (drift.survey: its
    fingerprint matches, or it is not migrated yet); ``None`` when one needs it."""
    if strict:
        return None
    from reqconv.drift import survey

    answered = survey.answer_all(
        paths or ["."], format=format, quiet=quiet, required=require_migrated
    )
    if answered is None:
        return None
    stdout, stderr, code = answered
    for text, stream in ((stdout, sys.stdout), (stderr, sys.stderr)):
        if text:
            stream.write("\n".join(text) + "\n")
    return code


def _check_main(args: list[str]) -> int | None:
    """``reqconv check`` without typer; ``None`` hands the arguments to typer."""
    parsed = _lean_check(args)
    if parsed is None:
        return None
    fast = _check_fast(*parsed)
    if fast is not None:
        return fast
    import gc
    from pathlib import Path

    # The full comparison: a short process that creates the objects of ~170 modules and frees
    # few; the cyclic collector's passes over them are ~3% of its time (docs/benchmarks.md).
    paths, format, strict, quiet, require_migrated = parsed
    gc.disable()
    try:
        return _run_check(
            tuple(Path(p) for p in paths or ["."]),
            format,
            strict=strict,
            quiet=quiet,
            require_migrated=require_migrated,
        )
    finally:
        gc.enable()  # for a caller that runs main() in its own process (tests)


def _usage_errors() -> tuple[type[Exception], ...]:
    """The exception classes of click's usage errors, through public names only.

    typer up to 0.2x depends on click and lets ``click.ClickException`` through; later typers vendor
    click and expose its base as ``typer.TyperException`` (no click to import then).
    """
    import typer

    found: list[type[Exception]] = []
    vendored = getattr(typer, "TyperException", None)
    if isinstance(vendored, type) and issubclass(vendored, Exception):
        found.append(vendored)
    try:
        import click
    except ImportError:
        pass
    else:
        found.append(click.ClickException)
    return tuple(found)


def _typer_main(args: list[str]) -> int:
    import typer

    try:
        code = _get_app()(args=args, prog_name="reqconv", standalone_mode=False)
    except typer.Abort as e:
        raise KeyboardInterrupt from e
    except typer.Exit as e:
        return int(e.exit_code)
    except _usage_errors() as e:  # click's usage errors (vendored by newer typers)
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            format_message = getattr(e, "format_message", None)
            message = format_message() if callable(format_message) else str(e)
            sys.stderr.write(f"reqconv: error: {message}\n")
        return 2
    return code if isinstance(code, int) else 0


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app inside the one error boundary (exit codes: see module doc)."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):  # fast path: the most frequent probe skips click parsing
        sys.stdout.write(f"reqconv {__version__}\n")
        sys.exit(0)
    try:
        code = _check_main(args[1:]) if args[:1] == ["check"] else None
        if code is None:
            code = _typer_main(args)
    except KeyboardInterrupt:
        sys.stderr.write("reqconv: interrupted; every file was restored\n")
        sys.exit(130)
    except Exception as e:
        from reqconv.errors import InputErrors, ReqconvError

        if isinstance(e, InputErrors):  # every bad line of the run, each on its own line
            for error in e.errors:
                sys.stderr.write(f"reqconv: error: {error}\n")
            sys.exit(e.exit_code)
        if isinstance(e, ReqconvError):
            sys.stderr.write(f"reqconv: error: {e}\n")
            sys.exit(e.exit_code)
        import traceback

        traceback.print_exc()
        sys.stderr.write("reqconv: internal error; please report it with the traceback above.\n")
        sys.exit(4)
    if code == 130:  # typer returns Ctrl-C (and SIGTERM/SIGHUP, see fs) as exit code 130
        sys.stderr.write("reqconv: interrupted; every file was restored\n")
    sys.exit(code)
