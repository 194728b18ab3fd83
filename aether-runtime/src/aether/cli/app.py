"""The ``aether`` command: Typer wiring only.

Commands import what they need when they run, so ``aether --help`` stays fast and imports
no pandas. This package is the only place that prints or exits: the library raises
AetherErrors and :func:`main` turns them into one line and an exit code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from aether import __version__

app = typer.Typer(
    name="aether",
    help="Aether: data pipelines that know which data is stale and why.\n\n"
    "Example: aether run --pipeline orders --env prod",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
catalog_app = typer.Typer(
    help="The data catalog: list datasets, describe one.\n\n"
    "Example: aether catalog describe raw_orders",
    no_args_is_help=True,
)
app.add_typer(catalog_app, name="catalog")

ProjectOption = typer.Option(
    None, "--project", "-p", help="Project folder (default: nearest folder with conf/base/)."
)
# Deeper trees are cut in the shown output: a 100,000-step chain is not read as a tree.
DEFAULT_LINEAGE_DEPTH = 100
EnvOption = typer.Option(
    None, "--env", "-e", help="Configuration environment (default: $AETHER_ENV or local)."
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aether {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    if debug:
        os.environ["AETHER_DEBUG"] = "1"


@app.command()
def run(
    pipeline: str | None = typer.Option(
        None, "--pipeline", help="Pipeline to run (default: `default:` of pipeline.yml)."
    ),
    env: str | None = EnvOption,
    params: list[str] | None = typer.Option(
        None,
        "--params",
        help='Override parameters: "cleaning.min_amount=10,report.currency=EUR" (repeatable).',
    ),
    nodes: str | None = typer.Option(None, "--nodes", help="Only these nodes (comma-separated)."),
    from_nodes: str | None = typer.Option(
        None, "--from-nodes", help="These nodes and everything downstream."
    ),
    to_nodes: str | None = typer.Option(
        None, "--to-nodes", help="These nodes and everything upstream."
    ),
    tags: str | None = typer.Option(None, "--tags", help="Only nodes with any of these tags."),
    force: bool = typer.Option(False, "--force", help="Rebuild every selected node."),
    runner: str = typer.Option("sequential", "--runner", help="sequential or parallel."),
    workers: int | None = typer.Option(None, "--workers", help="Processes for --runner parallel."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; run nothing."),
    no_wait: bool = typer.Option(
        False, "--no-wait", help="Fail at once if another run holds the project lock."
    ),
    load_version: list[str] | None = typer.Option(
        None,
        "--load-version",
        help="Read a versioned dataset at an older version: NAME=RUN_ID (repeatable; "
        "the selected nodes all run, as with --force).",
    ),
    project: Path | None = ProjectOption,
) -> None:
    """Materialize the pipeline's assets, in topological order.

    Example: aether run --pipeline orders --params "cleaning.min_amount=10"
    """
    from aether.cli.run_command import run_command

    raise typer.Exit(
        run_command(
            # Repeated --params are one list: a key set twice is refused, not last-wins.
            project=project, pipeline=pipeline, env=env,
            params=",".join(params) if params else None, nodes=nodes,
            from_nodes=from_nodes, to_nodes=to_nodes, tags=tags, force=force,
            runner=runner, workers=workers, dry_run=dry_run, no_wait=no_wait,
            load_versions=load_version,
        )
    )  # fmt: skip


@app.command()
def unlock(
    force: bool = typer.Option(
        False, "--force", help="Also remove a lock written on another host (check it is over)."
    ),
    project: Path | None = ProjectOption,
    env: str | None = EnvOption,
) -> None:
    """Remove the project's run lock (.aether/run.lock) left by a run that is gone.

    A lock whose process still runs on this host is never removed; one from another host,
    whose process cannot be checked from here, only with --force. A PostgreSQL state
    store's lock needs no removing: it frees itself when its run ends.

    Example: aether unlock --force
    """
    from aether.cli.unlock_command import unlock_command

    raise typer.Exit(unlock_command(project, force, env))


@app.command()
def validate(
    project: Path | None = ProjectOption,
    env: str | None = EnvOption,
    as_json: bool = typer.Option(
        False,
        "--json",
        help='Print {"problems": [{file, line, column, severity, code, message, hint}], '
        '"valid": ...} as JSON (for editors and tools); exit 2 when any is an error.',
    ),
) -> None:
    """Check the whole configuration without running anything.

    YAML syntax, dataset types and arguments, credentials, missing inputs, cycles,
    transformations that do not import, missing parameters, secrets committed in conf/base.

    Example: aether validate --env prod
    """
    from aether.cli.validate_command import validate_command

    raise typer.Exit(validate_command(project, env, as_json))


@app.command()
def status(
    pipeline: str | None = typer.Option(
        None, "--pipeline", help="Only show this pipeline's assets (default: all)."
    ),
    env: str | None = EnvOption,
    as_json: bool = typer.Option(False, "--json", help='Print {"assets": [...]} as JSON.'),
    exit_code: bool = typer.Option(
        False, "--exit-code", help="Exit 1 when any asset is not fresh (for CI)."
    ),
    history: bool = typer.Option(
        False, "--history", help="Incidents, downtime and time to recover per asset."
    ),
    window: str = typer.Option("7d", "--window", help="History window: 1h, 7d, 4w..."),
    project: Path | None = ProjectOption,
) -> None:
    """Every asset: fresh, stale (and why), missing or failed.

    Example: aether status --json --exit-code
    """
    from aether.cli.status_command import status_command

    raise typer.Exit(status_command(project, env, pipeline, as_json, exit_code, history, window))


@app.command()
def lineage(
    asset: str = typer.Argument(..., help="Dataset name."),
    downstream: bool = typer.Option(
        False, "--downstream/--upstream", help="What depends on it, or (default) its sources."
    ),
    pipeline: str | None = typer.Option(
        None, "--pipeline", help="Check the asset belongs to this pipeline (default: any)."
    ),
    depth: int = typer.Option(
        DEFAULT_LINEAGE_DEPTH, "--depth", min=1, help="Levels shown; deeper ones are cut."
    ),
    env: str | None = EnvOption,
    as_json: bool = typer.Option(False, "--json", help="Print the tree as JSON."),
    project: Path | None = ProjectOption,
) -> None:
    """An asset's lineage across every pipeline, as a tree: where it comes from, or what
    depends on it.

    Example: aether lineage daily_revenue --upstream --depth 5
    """
    from aether.cli.lineage_command import lineage_command

    lineage_command(asset, project, env, pipeline, downstream, as_json, depth)


@app.command()
def show(
    run_id: str | None = typer.Argument(
        None, help="A run id (or its start: 20261205T13); none lists the recent runs."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    project: Path | None = ProjectOption,
    env: str | None = EnvOption,
) -> None:
    """Show what a past run read and ran, and how to run it again.

    Its git commit (and whether the tree was dirty), the lockfile's digest, its parameters,
    and per node the code hash and the version of every input it read. `aether run` prints
    each run's id; `aether show` alone lists the recent runs.

    Example: aether show 20261205T130323Z-6f9304
    """
    from aether.cli.show_command import show_command

    show_command(run_id, project, env, as_json)


@app.command()
def reconcile(
    interval: str = typer.Option("5m", "--interval", help="Time between passes: 30s, 5m, 1h."),
    once: bool = typer.Option(False, "--once", help="One pass, then exit with the run's code."),
    pipeline: str | None = typer.Option(None, "--pipeline", help="Pipeline (default: `default:`)."),
    env: str | None = EnvOption,
    project: Path | None = ProjectOption,
) -> None:
    """Keep assets current: rebuild what is stale on an interval; Ctrl-C stops cleanly.

    Example: aether reconcile --interval 10m
    """
    from aether.cli.reconcile_command import reconcile_command

    raise typer.Exit(reconcile_command(project, env, pipeline, interval, once))


@app.command()
def viz(
    fmt: str = typer.Option("html", "--format", "-f", help="json, html or mermaid."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (html default: data/08_reporting/dag.html)."
    ),
    pipeline: str | None = typer.Option(
        None, "--pipeline", help="Only draw this pipeline (default: all)."
    ),
    focus_on: str | None = typer.Option(
        None, "--focus", help="Only draw this node (dataset or task name) and its neighbours."
    ),
    depth: int | None = typer.Option(
        None, "--depth", help="With --focus: how many edges away to draw (default 2)."
    ),
    env: str | None = EnvOption,
    project: Path | None = ProjectOption,
) -> None:
    """Draw the DAG with each asset's status: one offline HTML page, Mermaid, or JSON.

    Example: aether viz --format mermaid --focus clean_orders --depth 2
    """
    from aether.cli.viz_command import viz_command

    viz_command(project, env, pipeline, fmt, output, focus_on, depth)


@app.command()
def new(
    destination: Path = typer.Argument(..., help="Folder to create the project in."),
    template: str | None = typer.Option(
        None,
        "--template",
        envvar="AETHER_TEMPLATE",
        help="Template source for a fork of the template: a git URL, gh:org/repo or a folder "
        "(default: the template bundled with this runtime, or this checkout's).",
    ),
    data: list[str] = typer.Option(
        [], "--data", "-d", help="Answer a template question: name=value (repeatable)."
    ),
    defaults: bool = typer.Option(False, "--defaults", help="Take every default; ask nothing."),
) -> None:
    """Start a project from the Aether template (copier underneath; works offline).

    The project records the template's public repository and this runtime's release tag in
    .copier-answers.yml, so `make update` (copier update) upgrades it later.

    Example: aether new sales-data --defaults --data project_name="Sales data"
    """
    import shlex

    from aether.cli.output import console
    from aether.scaffold.new_project import new_project, parse_data

    folder = new_project(destination, template=template, data=parse_data(data), defaults=defaults)
    # Quoted: the next step is meant to be pasted into a shell, spaces and all.
    console().print(
        f"Created {folder}. Next: cd {shlex.quote(str(folder))} && git init && make install run "
        "test",
        markup=False,
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def test(ctx: typer.Context, project: Path | None = ProjectOption) -> None:
    """Run the project's tests (pytest; extra arguments are passed on).

    Example: aether test -k orders -x
    """
    from aether.cli.tools_command import run_tool

    raise typer.Exit(run_tool("pytest", list(ctx.args), project, "pytest"))


@app.command()
def lint(
    fix: bool = typer.Option(False, "--fix", help="Let ruff fix and format what it can."),
    env: str | None = EnvOption,
    project: Path | None = ProjectOption,
) -> None:
    """Lint the project: ruff (check and format) and `aether validate`.

    Example: aether lint --fix
    """
    from aether.cli.tools_command import lint_command

    raise typer.Exit(lint_command(project, env, fix))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def docs(
    ctx: typer.Context,
    action: str = typer.Argument("build", help="build (strict) or serve."),
    project: Path | None = ProjectOption,
) -> None:
    """Build (strictly) or serve the project's MkDocs site.

    Example: aether docs serve
    """
    from aether.cli.tools_command import run_tool
    from aether.errors import ConfigError

    if action not in ("build", "serve"):
        raise ConfigError(f"Unknown docs action '{action}'", hint="use build or serve")
    args = [action, "--strict", *ctx.args] if action == "build" else [action, *ctx.args]
    raise typer.Exit(run_tool("mkdocs", args, project, "mkdocs"))


@catalog_app.command("list")
def catalog_list(
    project: Path | None = ProjectOption,
    env: str | None = EnvOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    owner: str | None = typer.Option(None, "--owner", help="Only datasets with this owner."),
    domain: str | None = typer.Option(None, "--domain", help="Only datasets of this domain."),
    tier: str | None = typer.Option(None, "--tier", help="Only datasets of this tier."),
) -> None:
    """List the catalog's datasets: type, location, owner, description.

    Filters combine: `--owner finance --tier gold` lists finance's gold datasets.

    Example: aether catalog list --domain sales --json
    """
    from aether.cli.catalog_command import list_command

    list_command(project, env, as_json, {"owner": owner, "domain": domain, "tier": tier})


@catalog_app.command("describe")
def catalog_describe(
    name: str = typer.Argument(..., help="Dataset name."),
    project: Path | None = ProjectOption,
    env: str | None = EnvOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Everything known about one dataset (never its secrets).

    Example: aether catalog describe raw_orders
    """
    from aether.cli.catalog_command import describe_command

    describe_command(name, project, env, as_json)


@catalog_app.command("versions")
def catalog_versions(
    name: str = typer.Argument(..., help="A dataset with `versioned:` in catalog.yml."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    project: Path | None = ProjectOption,
    env: str | None = EnvOption,
) -> None:
    """List the versions a versioned dataset keeps, newest first.

    Each is named by the run that made it; read one with
    `aether run --load-version NAME=ID` or `catalog.load(NAME, version=ID)`.

    Example: aether catalog versions customer_revenue
    """
    from aether.cli.catalog_command import versions_command

    versions_command(name, project, env, as_json)


@catalog_app.command("types")
def catalog_types(project: Path | None = ProjectOption) -> None:
    """List the dataset types usable as `type:` in catalog.yml.

    Example: aether catalog types
    """
    from aether.cli.catalog_command import types_command

    types_command()


# Commands that hand their extra arguments to another tool (pytest has its own --debug).
_PASS_THROUGH = {"test", "docs"}


def debug_first(args: list[str]) -> list[str]:
    """``aether run --debug`` as ``aether --debug run``: the option belongs to the command
    group, and errors tell users to add it, so it is taken wherever it stands — except after
    ``--`` and in the commands that pass their arguments on."""
    if not args or args[0] in _PASS_THROUGH or "--debug" not in args[1:]:
        return args
    end = args.index("--") if "--" in args else len(args)
    if "--debug" not in args[1:end]:
        return args
    rest = [arg for i, arg in enumerate(args) if not (0 < i < end and arg == "--debug")]
    return ["--debug", *rest]


def main() -> None:
    """Console entry point: run the app, turn AetherErrors into one line and an exit code."""
    from aether.cli.output import mask_standard_streams
    from aether.errors import AetherError

    mask_standard_streams()  # before anything prints, so no path can leak a secret
    sys.argv[1:] = debug_first(sys.argv[1:])
    try:
        app()
    except AetherError as error:
        if os.environ.get("AETHER_DEBUG"):  # the traceback too, but the same exit code
            import traceback

            traceback.print_exc()  # to sys.stderr, which masks secrets
        from aether.cli.output import print_error

        print_error(error)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)


@catalog_app.command("codeowners")
def catalog_codeowners(
    project: Path | None = ProjectOption,
    env: str | None = EnvOption,
    write: bool = typer.Option(
        False, "--write", help="Write the block into .github/CODEOWNERS (other lines kept)."
    ),
) -> None:
    """The .github/CODEOWNERS block made from the catalog's metadata.owner (print or --write).

    Example: aether catalog codeowners --write
    """
    from aether.cli.catalog_command import codeowners_command

    codeowners_command(project, env, write)


@catalog_app.command("docs")
def catalog_docs(
    project: Path | None = ProjectOption,
    env: str | None = EnvOption,
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Folder of the pages (default: docs/catalog/ of the project, where its mkdocs.yml "
        "expects them).",
    ),
) -> None:
    """Write the data catalog site: a page per dataset, an index by domain, the glossary and
    the health page, as Markdown for the project's MkDocs site.

    Example: aether catalog docs && mkdocs build
    """
    from aether.cli.catalog_command import docs_command

    docs_command(project, env, output)
