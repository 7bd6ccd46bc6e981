"""The command line: the only importer of typer and the single error boundary.

Declares options, builds an options object, calls one ``commands.*.run`` and maps its result or
error to an exit code: 0 ok, 1 would change / drift, 2 bad input or usage, 3 uv failed, 4 internal
error, 130 interrupted. No file access, processes or logic here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from reqconv import __version__

if TYPE_CHECKING:
    from reqconv.commands import WriteMode

app = typer.Typer(
    name="reqconv",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
    help="Move Python services from pip requirements files to a locked uv workflow.",
)


class _Echo:
    def out(self, text: str) -> None:
        typer.echo(text)

    def err(self, text: str) -> None:
        typer.echo(text, err=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"reqconv {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Move Python services from pip requirements files to a locked uv workflow."""


PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Service folders (default: the current folder).", show_default=False),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print a unified diff; write nothing.")]
Check = Annotated[
    bool, typer.Option("--check", help="Like --dry-run, but exit 1 when something would change.")
]
Json = Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only warnings and errors.")]
ExportGroup = Annotated[
    list[str] | None,
    typer.Option("--export-group", help="Also export requirements-NAME.lock (repeatable)."),
]
Pylock = Annotated[bool, typer.Option("--pylock", help="Also export a PEP 751 pylock.toml.")]
Upgrade = Annotated[bool, typer.Option("--upgrade", "-U", help="Allow upgrades of every package.")]
UpgradePackage = Annotated[
    list[str] | None,
    typer.Option("--upgrade-package", "-P", help="Allow upgrades of one package (repeatable)."),
]
Offline = Annotated[bool, typer.Option("--offline", help="Lock from uv's cache only (no network).")]


def _mode(dry_run: bool, check: bool, json: bool, quiet: bool) -> WriteMode:
    from reqconv.commands import WriteMode

    return WriteMode(dry_run=dry_run, check=check, json=json, quiet=quiet)


@app.command(
    epilog=(
        # "\b" keeps click from re-wrapping the example lines.
        "Examples:\n\n\b\n"
        "  reqconv convert apps/backend\n"
        "  reqconv convert --dry-run --no-lock plugins/public/file-manager\n"
        "  reqconv convert --main requirements/prod.txt --group dev=requirements/dev.txt .\n"
        "  reqconv convert --check apps/*   # in CI: exit 1 when a conversion is pending"
    )
)
def convert(
    paths: PathsArg = None,
    main_file: Annotated[
        Path | None,
        typer.Option(
            "--main",
            metavar="FILE",
            help="The file for [project] dependencies (replaces discovery).",
        ),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            metavar="NAME=FILE",
            help="A dependency group and its file (repeatable; replaces discovery).",
        ),
    ] = None,
    dev_style: Annotated[
        str | None,
        typer.Option(
            "--dev-style",
            metavar="groups|extras",
            help="Where groups go: 'groups' ([dependency-groups]) or 'extras' "
            "([project.optional-dependencies]). Default: what the project already uses.",
        ),
    ] = None,
    no_lock: Annotated[bool, typer.Option("--no-lock", help="Do not run uv lock.")] = False,
    no_docker: Annotated[
        bool, typer.Option("--no-docker", help="Do not rewrite Dockerfiles.")
    ] = False,
    export_group: ExportGroup = None,
    offline: Offline = False,
    name_url: Annotated[
        list[str] | None,
        typer.Option(
            "--name-url",
            metavar="NAME=URL",
            help="The package name of an unnamed URL or path requirement, the URL as the file "
            "writes it (repeatable; otherwise uv reads it from the URL's metadata).",
        ),
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            metavar="X.Y",
            help="requires-python = '>=X.Y' (default: the Dockerfiles' Python, .python-version, "
            "runtime.txt; an existing pyproject's value is kept).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="The project name of a new pyproject.toml (default: the folder's name, made "
            "valid; an existing name is kept).",
        ),
    ] = None,
    dry_run: DryRun = False,
    check: Check = False,
    json: Json = False,
    quiet: Quiet = False,
) -> None:
    """Convert requirements files into pyproject.toml (then lock, then rewrite Dockerfiles)."""
    from reqconv.commands import convert as cmd

    if dev_style not in (None, "groups", "extras"):
        raise typer.BadParameter("must be 'groups' or 'extras'", param_hint="--dev-style")
    style: Literal["groups", "extras"] | None = dev_style  # type: ignore[assignment]
    options = cmd.ConvertOptions(
        paths=tuple(paths or [Path()]),
        main=main_file,
        groups=tuple(group or ()),
        dev_style=style,
        lock=not no_lock,
        docker=not no_docker,
        export_groups=tuple(export_group or ()),
        offline=offline,
        name_urls=tuple(name_url or ()),
        python=python,
        name=name,
        mode=_mode(dry_run, check, json, quiet),
    )
    raise typer.Exit(cmd.run(options, _Echo()))


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  reqconv lock apps/backend\n"
        "  reqconv lock --upgrade-package fastapi apps/backend\n"
        "  reqconv lock --export-group dev --pylock .\n"
        "  reqconv lock --check apps/*   # in CI: exit 1 when uv.lock or an export is stale"
    )
)
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
) -> None:
    """Lock with uv (uv.lock) and export a hashed requirements.lock for `uv pip sync`."""
    from reqconv.commands import lock as cmd

    options = cmd.LockOptions(
        paths=tuple(paths or [Path()]),
        export_groups=tuple(export_group or ()),
        pylock=pylock,
        upgrade=upgrade,
        upgrade_packages=tuple(upgrade_package or ()),
        offline=offline,
        mode=_mode(False, check, json, quiet),
    )
    raise typer.Exit(cmd.run(options, _Echo()))


@app.command(
    epilog=(
        "Examples:\n\n\b\n"
        "  reqconv docker apps/backend\n"
        "  reqconv docker --dockerfile deploy/Dockerfile.prod --dry-run ."
    )
)
def docker(
    paths: PathsArg = None,
    dockerfile: Annotated[
        list[Path] | None,
        typer.Option(
            "--dockerfile", help="A Dockerfile to rewrite (repeatable; replaces discovery)."
        ),
    ] = None,
    dry_run: DryRun = False,
    check: Check = False,
    json: Json = False,
    quiet: Quiet = False,
) -> None:
    """Rewrite `pip install -r` in Dockerfiles to `uv pip sync` of the exported lock."""
    from reqconv.commands import docker as cmd

    options = cmd.DockerOptions(
        paths=tuple(paths or [Path()]),
        dockerfiles=tuple(dockerfile or ()),
        mode=_mode(dry_run, check, json, quiet),
    )
    raise typer.Exit(cmd.run(options, _Echo()))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app inside the one error boundary (exit codes: see module doc)."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):  # fast path: the most frequent probe skips click parsing
        sys.stdout.write(f"reqconv {__version__}\n")
        sys.exit(0)
    from reqconv.errors import InputErrors, ReqconvError

    try:
        code = app(args=args, prog_name="reqconv", standalone_mode=False)
    except InputErrors as e:  # every bad line of the run, each on its own line
        for error in e.errors:
            typer.echo(f"reqconv: error: {error}", err=True)
        sys.exit(e.exit_code)
    except ReqconvError as e:
        typer.echo(f"reqconv: error: {e}", err=True)
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("reqconv: interrupted; every file was restored", err=True)
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.TyperException as e:  # usage errors from the vendored click
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"reqconv: error: {e.format_message()}", err=True)
        sys.exit(2)
    except Exception:
        import traceback

        traceback.print_exc()
        typer.echo("reqconv: internal error; please report it with the traceback above.", err=True)
        sys.exit(4)
    code = code if isinstance(code, int) else 0
    if code == 130:  # typer returns Ctrl-C (and SIGTERM/SIGHUP, see fs) as exit code 130
        typer.echo("reqconv: interrupted; every file was restored", err=True)
    sys.exit(code)
