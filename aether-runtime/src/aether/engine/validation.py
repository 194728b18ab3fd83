"""Checks before a run: the DAG, the catalog entries, the transformations, the locations.

``validate_project`` gathers every problem of a project (what ``aether validate`` lists);
the other functions raise the first problem they find (what ``aether run`` stops on).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from aether.alerts import read_webhook
from aether.catalog import DataCatalog
from aether.checks import parse_checks
from aether.engine.transformation import check_arguments, resolve_callable
from aether.errors import AetherError, ConfigError, PipelineError
from aether.governance.review import review_governance
from aether.lineage.config import FileTransportConfig, events_file, read_lineage
from aether.pipeline import Node, Pipeline
from aether.project.context import AetherContext, check_parameters, project_paths, read_settings
from aether.project.locations import check_one_writer
from aether.project.paths import RESERVED_FOLDERS, ProjectPaths
from aether.project.single_file_paths import refuse_directory_paths
from aether.support.durations import parse_duration
from aether.support.redaction import url_secret_lines
from aether.support.suggestions import did_you_mean

_SECRET_KEY = re.compile(r"(password|passwd|secret|token|api[_-]?key|access[_-]?key)", re.I)
# Unquoted YAML scalars that cannot be secrets (max_tokens: 512, use_token: true).
_NOT_SECRET = re.compile(r"-?[\d_.]+|true|false|yes|no|on|off|null|~", re.I)


def validate_project(
    ctx: AetherContext, warnings: list[AetherError] | None = None
) -> list[AetherError]:
    """Every configuration problem of the project, each once; no node runs.

    Inputs and cycles are checked on all pipelines together (a pipeline may read what
    another one produces); parameters per pipeline, so the message names it. Then the
    ``${secret:...}`` references of credentials.yml (form and provider), every catalog entry
    (which reads the secrets of the sets it names), the alert webhook, lineage.yml, shared
    locations and literal secrets in conf/base. Last, governance: metadata shapes, glossary
    terms and the rules of governance.yml; the findings of a `warn` rule go to ``warnings``
    when given.
    """
    problems: list[AetherError] = []
    union = ctx.project_pipeline()
    checks: list[tuple[str, Callable[[], None]]] = [
        (f"pipeline {name}", functools.partial(check_parameters, pipeline, ctx.params))
        for name, pipeline in ctx.pipelines.items()
    ]
    label = f"pipeline {union.name}" if len(ctx.pipelines) == 1 else "all pipelines"
    checks.append((label, functools.partial(validate_pipeline, union, ctx.catalog)))
    for where, check in checks:
        try:
            check()
        except AetherError as error:
            error.message = f"[{where}] {error.message}"
            problems.append(error)
    # Before the entries, which resolve the secrets of the sets they name: a reference
    # problem is listed once, for every set (used or not), without reading any secret.
    problems.extend(_not_yet_reported(ctx.catalog.check_secret_references(), problems))
    problems.extend(_catalog_entry_problems(ctx.catalog, problems))
    project_wide: list[Callable[[], object]] = [
        functools.partial(read_webhook, ctx.config),
        functools.partial(_check_lineage, ctx),
        # An entry written by a node of any pipeline.
        functools.partial(check_locations, ctx.catalog, ctx.pipelines.values(), ctx.paths),
    ]
    for project_check in project_wide:
        try:
            project_check()
        except AetherError as error:
            problems.append(error)
    problems.extend(find_committed_secrets(ctx.paths.conf_base))
    for finding in review_governance(ctx.config, ctx.catalog.entries, union, ctx.env):
        if finding.severity == "error":
            problems.append(finding.problem)
        elif warnings is not None:
            warnings.append(finding.problem)
    return list({p.message: p for p in problems}.values())


def _not_yet_reported(
    found: Iterable[AetherError], reported: list[AetherError]
) -> list[AetherError]:
    """``found`` minus what ``reported`` holds already (perhaps prefixed with a pipeline)."""
    return [f for f in found if not any(p.message.endswith(f.message) for p in reported)]


def _catalog_entry_problems(catalog: DataCatalog, reported: list[AetherError]) -> list[AetherError]:
    found: list[AetherError] = []
    for name, entry in catalog.entries.items():
        try:
            catalog.get(name)
            parse_checks(name, list(entry.checks), entry.where)
            if entry.freshness:
                for key in ("warn_after", "error_after"):
                    parse_duration(entry.freshness.get(key), name, entry.where)
        except AetherError as error:
            # validate_pipeline already reported it, prefixed with the pipeline: once is enough.
            if not any(p.message.endswith(error.message) for p in [*reported, *found]):
                found.append(error)
    return found


def validate_pipeline(
    pipeline: Pipeline, catalog: DataCatalog, *, import_code: bool = True
) -> None:
    """Check everything that can be checked before running: raises the first problem found.

    Cycles, inputs nobody produces, catalog entries (types, arguments, credentials, checks,
    freshness), file datasets whose path is a directory and, when ``import_code``, that
    every transformation imports and accepts the node's inputs.
    """
    pipeline.toposorted()
    for name in sorted(pipeline.free_inputs()):
        if name not in catalog:
            reader = next(n.name for n in pipeline.nodes if name in n.dataset_inputs)
            candidates = sorted(set(catalog.list()) | set(pipeline.producers))
            raise PipelineError(
                f"Node '{reader}' reads '{name}', which no node produces and the catalog "
                "does not declare",
                hint=did_you_mean(name, candidates)
                or "add it to conf/base/catalog.yml or produce it with a node",
            )
    catalog.validate()
    refuse_read_only_outputs(pipeline, catalog)
    if import_code:
        check_transformations(pipeline.nodes)
    # After the transformations: `aether validate` lists check and freshness problems of
    # every entry itself, so raising them first here would only hide a broken import.
    refuse_directory_paths(catalog, pipeline.datasets())
    check_asset_specs(catalog, pipeline.datasets())


def refuse_read_only_outputs(pipeline: Pipeline, catalog: DataCatalog) -> None:
    """No node writes a read-only dataset (a SQL query, an API): refused before any runs."""
    for item in pipeline.nodes:
        for name in item.outputs:
            if catalog.is_declared(name) and catalog.get(name).read_only:
                kind = type(catalog.get(name)).__name__
                raise PipelineError(
                    f"Node '{item.name}' writes '{name}', but {kind} is read-only",
                    hint=f"make '{name}' a dataset that can be written (a table or a file), "
                    "or read it as an input instead",
                )


def check_asset_specs(catalog: DataCatalog, names: Iterable[str]) -> None:
    """The checks and freshness of the named catalog entries are well formed.

    They are read only once a node has run; checked here, a typo stops the run before it.
    """
    for name in sorted(names):
        entry = catalog.entries.get(name)
        if entry is None:
            continue
        parse_checks(name, list(entry.checks), entry.where)
        for key in ("warn_after", "error_after"):
            parse_duration((entry.freshness or {}).get(key), name, entry.where)


def check_transformations(nodes: Iterable[Node]) -> None:
    """Every transformation imports, takes its options, and accepts the node's inputs."""
    checked: set[tuple[str, str, tuple[str | None, ...]]] = set()
    for item in nodes:
        arguments = tuple(i.arg for i in item.inputs)
        # Thousands of nodes may share one dotted path, options and arguments: check it once.
        key = (str(item.transformation), repr(sorted(item.options.items())), arguments)
        if isinstance(item.transformation, str) and key in checked:
            continue
        func = resolve_callable(item.transformation, dict(item.options), item.name)
        check_arguments(func, item.name, list(arguments))
        checked.add(key)


def check_selection(selected: Pipeline, full: Pipeline, catalog: DataCatalog) -> None:
    """A selected node cannot read an in-memory dataset made by a node left out."""
    for item in selected.nodes:
        for name in item.dataset_inputs:
            producer = full.producers.get(name)
            if producer and producer not in selected and not catalog.is_declared(name):
                raise PipelineError(
                    f"Node '{item.name}' reads '{name}', an in-memory dataset made by node "
                    f"'{producer}', which is not selected",
                    hint=f"select '{producer}' too (e.g. --to-nodes {item.name}) or declare "
                    f"'{name}' in the catalog so it is stored",
                )


def check_locations(
    catalog: DataCatalog, pipelines: Iterable[Pipeline], paths: ProjectPaths | None = None
) -> None:
    """No catalog entry a node writes (in any of ``pipelines``) shares its physical location
    (a file, an object, a table) with another entry, nor lies in the project's own folders
    (``paths``: read from the project's pyproject.toml when not given); read-only entries
    may (see aether.project.locations)."""
    written = {name: n.name for p in pipelines for n in p.nodes for name in n.outputs}
    root = catalog.factory.project_path
    if paths is None and root is not None:
        paths = project_paths(root, read_settings(root))  # its code folder may be custom
    check_one_writer(
        catalog.entries.values(),
        written,
        root,
        connection_of=catalog.connection_text,
        reserved=paths.reserved_folders if paths else RESERVED_FOLDERS,
    )


def find_committed_secrets(base: Path) -> list[ConfigError]:
    """Literal secret-looking values in conf/base, which is committed to git."""
    found = []
    for path in sorted(base.glob("*.y*ml")):
        text = _text_or_none(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            match = re.match(r"^\s*([\w\-]+)\s*:\s*(\S.*?)\s*$", line)
            if not match or line.lstrip().startswith("#"):
                continue
            key, value = match.groups()
            if _SECRET_KEY.search(key) and _literal_value(value):
                found.append(
                    ConfigError(
                        f"conf/base/{path.name}:{number}: '{key}' holds a literal secret in "
                        "conf/base, which is committed",
                        hint="move it to conf/local/credentials.yml or use ${env:NAME}",
                    )
                )
        if path.name == "credentials.yml":
            found.append(
                ConfigError(
                    "conf/base/credentials.yml exists: credentials in conf/base are committed",
                    hint="move it to conf/local/credentials.yml (gitignored)",
                )
            )
    return found


def find_url_secrets(base: Path) -> list[str]:
    """Lines of conf/base holding a URL password or token parameter in clear (a warning:
    the value is masked in every output, but it is still committed)."""
    return [
        f"conf/base/{path.name}:{number}: a URL holds a password or token in clear, "
        "and conf/base is committed"
        for path in sorted(base.glob("*.y*ml"))
        for number in url_secret_lines(_text_or_none(path) or "")
    ]


def _text_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        # A heuristic scan: the file's own reader (catalog, alerts, logging) reports why it
        # cannot be read; the list of problems must not end in a traceback here.
        return None


def _literal_value(value: str) -> bool:
    """Whether a YAML value is a literal string, not a reference, a nested block or a number."""
    unquoted = value.strip("'\"")
    if not unquoted or unquoted.startswith(("${", "{", "[", "#")):
        return False
    return unquoted != value or not _NOT_SECRET.fullmatch(value)


def _check_lineage(ctx: AetherContext) -> None:
    """lineage.yml well formed, its file not a folder, and the credentials set it names
    defined (its secrets read, as a catalog entry's are): what `aether run` refuses before
    the first node."""
    config = read_lineage(ctx.config)
    if config is None:
        return
    if isinstance(config.transport, FileTransportConfig):
        events_file(config, config.transport, ctx.paths.root)
    elif config.transport.credentials is not None:
        ctx.catalog.credential_set(config.transport.credentials, config.where)
