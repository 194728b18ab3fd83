"""Finding a project and building its context: config, parameters, catalog, pipelines.

The project root is the nearest folder, from the current directory upward, that holds
``conf/base/``. Its ``src/`` folder is put on the import path so transformations and custom
datasets are found by dotted path without installing the project.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aether.catalog import DataCatalog
from aether.configuration import durability
from aether.configuration.conf_folder import ConfigLoader, interpolate_params, load_yaml
from aether.configuration.params_overrides import apply_overrides
from aether.errors import ConfigError, PipelineError
from aether.pipeline import Pipeline, parse_pipelines
from aether.project.dag import pipelines_of, union_of
from aether.project.paths import SOURCE_FOLDER, ProjectPaths
from aether.support import redaction
from aether.support.collection import collection_paused
from aether.support.dotted_keys import get_dotted, is_missing
from aether.support.suggestions import did_you_mean

if TYPE_CHECKING:
    from aether.state.base import StateStore
    from aether.state.location import StateLocation

ENV_VARIABLE = "AETHER_ENV"
# Catalog keys holding SQL: their `${params:...}` become bound parameters in the dataset
# (aether.datasets.sql_params), never text pasted into a statement.
BOUND_PARAMETER_KEYS = frozenset({"sql", "version_query"})


@dataclass
class AetherContext:
    """Everything one run needs, built once: paths, environment, config, catalog, pipelines.

    Code receives it as an argument: there is no global "current" context. Build it for a
    project folder with `aether.project.context.load_context()`, e.g. in a notebook:

    ```python
    from aether.project.context import load_context

    ctx = load_context("path/to/project", env="local")
    orders = ctx.catalog.load("clean_orders")
    ```

    Attributes:
        project_path: The project root (the folder that holds `conf/base/`).
        env: The configuration environment in use (`local` unless chosen otherwise).
        config: Reads the project's `conf/` files, base and environment layers merged.
        params: The merged parameters, `--params` overrides applied.
        catalog: The project's datasets by name.
        pipelines: The pipelines of pipeline.yml by name.
        default_pipeline: The pipeline run when none is named, if any.
        settings: `[tool.aether]` of the project's pyproject.toml.
        run_id: This run's id (a UTC timestamp and a random suffix).
        logger: The `aether` logger.
        param_overrides: The `--params` overrides applied to `params`.
        loaded_at: When loading began (seconds since the epoch): a project file modified
            after it may have been read either way.
    """

    project_path: Path
    env: str
    config: ConfigLoader
    params: dict[str, Any]
    catalog: DataCatalog
    pipelines: dict[str, Pipeline]
    default_pipeline: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: new_run_id())
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("aether"))
    param_overrides: dict[str, Any] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.time)
    _project_dag: Pipeline | None = field(default=None, repr=False)
    _state_location: StateLocation | None = field(default=None, repr=False)

    @property
    def paths(self) -> ProjectPaths:
        """Where the project keeps its files: `conf/`, its code, `.aether/` and what is in it."""
        return project_paths(self.project_path, self.settings)

    @property
    def state_path(self) -> Path:
        """The project's `.aether/` folder: the state store, the lock, caches."""
        return self.paths.state

    @property
    def state_location(self) -> StateLocation:
        """Where the state store and the run lock are: `.aether/state.db` unless
        `AETHER_STATE_URL` or `state:` in `conf/<env>/aether.yml` says otherwise."""
        if self._state_location is None:
            from aether.state.location import StateLocation

            self._state_location = StateLocation.choose(self.project_path, self.env)
        return self._state_location

    def state_store(self) -> StateStore:
        """The project's state store (`.aether/state.db` by default, created on first use)."""
        return self.state_location.open_store()

    def pipeline(self, name: str | None = None) -> Pipeline:
        """The named pipeline, or the default one.

        Args:
            name: A pipeline of pipeline.yml; None picks its `default:` (or its only one).

        Raises:
            PipelineError: No such pipeline (with a "did you mean"), or none named and no
                default.
        """
        chosen = name or self.default_pipeline
        if chosen is None:
            raise PipelineError(
                "No pipeline selected and pipeline.yml sets no `default:`",
                hint=f"pass --pipeline with one of: {', '.join(self.pipelines)}",
            )
        if chosen not in self.pipelines:
            raise PipelineError(
                f"Unknown pipeline '{chosen}'",
                hint=did_you_mean(chosen, self.pipelines)
                or f"pipelines in pipeline.yml: {', '.join(self.pipelines)}",
            )
        return self.pipelines[chosen]

    def project_pipeline(self) -> Pipeline:
        """Every node of every pipeline, once: where staleness is evaluated (one truth per
        asset, whichever pipeline is looked at)."""
        if self._project_dag is None:
            self._project_dag = union_of(self.pipelines)
        return self._project_dag

    def pipelines_of(self, node_name: str) -> list[str]:
        """The pipelines that hold the node named `node_name`.

        Args:
            node_name: A node's name.
        """
        return pipelines_of(self.pipelines).get(node_name, [])


def new_run_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder from ``start`` (default: cwd) upward that holds ``conf/base/``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if ProjectPaths(folder).is_project():
            return folder
    raise ConfigError(
        f"No Aether project found in {here} or above it (no conf/base/ folder)",
        hint="cd into a project, pass --project PATH, or create one with `aether new`",
    )


def project_root(project: str | Path | None) -> Path:
    """The root of the project at ``project`` (which must hold ``conf/base/``), or at or
    above the current folder when ``project`` is None."""
    if project is not None and not ProjectPaths(Path(project)).is_project():
        raise ConfigError(
            f"{project} is not an Aether project (it has no conf/base/ folder)",
            hint="point --project at the folder that holds conf/",
        )
    return find_project_root(Path(project) if project is not None else None)


def load_context(
    project: str | Path | None = None,
    *,
    env: str | None = None,
    params: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> AetherContext:
    """Build the context of the project at (or above) `project`.

    Args:
        project: The project folder; None looks upward from the current directory.
        env: The configuration environment (default: `AETHER_ENV`, then
            `[tool.aether] default_env`, then `local`).
        params: Parameter overrides by dotted key, as `--params` gives them.
        run_id: The run's id (default: a new one).

    Raises:
        ConfigError: No project there, or its configuration is wrong.
        CatalogError: catalog.yml is wrong.
        PipelineError: pipeline.yml is wrong.
    """
    with collection_paused():  # many small objects, none in a cycle (no project code runs)
        return _load_context(project, env, params, run_id)


def _configure_spark(root: Path, loader: ConfigLoader) -> None:
    """conf/<env>/spark.yml checked now and kept for the session a Spark dataset or node
    builds on first use (never started here: status and projects without Spark pay nothing)."""
    files = loader.layer_files("spark.yml")
    if not files:
        return
    from aether.spark.session import configure
    from aether.spark.settings import spark_settings

    shown = ", ".join(str(path.relative_to(root)) for path in files)
    configure(spark_settings(loader.get("spark.yml").data, shown), shown)


def _load_context(
    project: str | Path | None,
    env: str | None,
    params: Mapping[str, Any] | None,
    run_id: str | None,
) -> AetherContext:
    loaded_at = time.time()  # before any file is read
    root, settings, loader = _read_configuration(project, env)
    parameters = apply_overrides(loader.get("parameters.yml", deep=True).data, params or {})
    redaction.register_named_secrets(parameters)
    _configure_spark(root, loader)
    catalog = build_catalog(root, loader, parameters)
    pipelines, default = read_pipelines(root, loader)
    shown = ", ".join(str(path.relative_to(root)) for path in loader.layer_files("pipeline.yml"))
    context = AetherContext(
        project_path=root,
        env=loader.env,
        config=loader,
        params=parameters,
        catalog=catalog,
        pipelines=pipelines,
        default_pipeline=default,
        settings=settings,
        param_overrides=dict(params or {}),
        loaded_at=loaded_at,
        # Built now so that conflicting pipelines are refused by every command.
        _project_dag=union_of(pipelines, shown),
    )
    if run_id:
        context.run_id = run_id
    return context


def _read_configuration(
    project: str | Path | None, env: str | None
) -> tuple[Path, dict[str, Any], ConfigLoader]:
    """The project root, its `[tool.aether]` settings and its `conf/` reader; the chosen
    durability applied and `src/` put on the import path, before any project file is read."""
    root = project_root(project)
    settings = read_settings(root)
    chosen_env, chosen_by = choose_env(env, settings)
    durability.set_level(choose_durability(settings, root))
    paths = project_paths(root, settings)
    loader = ConfigLoader(paths.conf, chosen_env, cache_dir=paths.cache, chosen_by=chosen_by)
    add_source_path(paths.source)
    return root, settings, loader


def project_paths(root: Path, settings: Mapping[str, Any]) -> ProjectPaths:
    """The paths of the project at ``root``, its code folder as ``[tool.aether]`` sets it."""
    return ProjectPaths(root, str(settings.get("source_dir", SOURCE_FOLDER)))


def choose_env(env: str | None, settings: Mapping[str, Any]) -> tuple[str | None, str]:
    """The selected environment (None: the default, ``local``) and who selected it."""
    if env is not None:
        return env, "--env"
    if os.environ.get(ENV_VARIABLE):
        return os.environ[ENV_VARIABLE], ENV_VARIABLE
    default = settings.get("default_env")
    return (str(default), "[tool.aether] default_env") if default else (None, "--env")


def choose_durability(settings: Mapping[str, Any], root: Path) -> str:
    """``AETHER_DURABILITY``, else ``[tool.aether] durability``, else ``process-crash``."""
    if os.environ.get(durability.ENV_VARIABLE):
        chosen, where = os.environ[durability.ENV_VARIABLE], durability.ENV_VARIABLE
    else:
        chosen = settings.get("durability", durability.PROCESS_CRASH)
        where = f"[tool.aether] durability in {root / 'pyproject.toml'}"
    if chosen not in durability.LEVELS:
        raise ConfigError(
            f"{where} is {chosen!r}, not a durability Aether knows",
            hint=f"use one of: {', '.join(durability.LEVELS)} (each is explained under "
            "'Durability' in docs/explanation/staleness.md)",
        )
    return str(chosen)


def build_catalog(root: Path, loader: ConfigLoader, params: Mapping[str, Any]) -> DataCatalog:
    layer = loader.get("catalog.yml")
    where = {name: layer.where(name, root) for name in layer.data}
    uses_params = any("${params:" in path.read_text(encoding="utf-8") for path in layer.files)
    catalog_cfg = {
        name: _interpolate_entry(entry, params, where[name]) if uses_params else entry
        for name, entry in layer.data.items()
    }
    credentials_files = loader.layer_files("credentials.yml")
    credentials = loader.get("credentials.yml").data if credentials_files else None
    return DataCatalog.from_config(
        catalog_cfg,
        credentials=credentials,
        credentials_file=str(credentials_files[-1].relative_to(root))
        if credentials_files
        else f"conf/{loader.env}/credentials.yml",
        project_path=root,
        where=where,
        parameters=params,
    )


def _interpolate_entry(entry: Any, params: Mapping[str, Any], where: str) -> Any:
    if not isinstance(entry, Mapping):
        return interpolate_params(entry, params, where)
    return {
        key: value if key in BOUND_PARAMETER_KEYS else interpolate_params(value, params, where)
        for key, value in entry.items()
    }


def read_pipelines(root: Path, loader: ConfigLoader) -> tuple[dict[str, Pipeline], str | None]:
    files = loader.layer_files("pipeline.yml")
    if not files:
        raise PipelineError(
            f"No pipeline.yml in {root / 'conf' / 'base'}",
            hint="declare your pipelines in conf/base/pipeline.yml",
        )
    shown = ", ".join(str(path.relative_to(root)) for path in files)
    return parse_pipelines(loader.get("pipeline.yml").data, shown)


def check_parameters(pipeline: Pipeline, params: Mapping[str, Any]) -> None:
    """Every ``params:a.b`` a node reads must exist."""
    for item in pipeline.nodes:
        for key in item.param_keys:
            if key != "*" and is_missing(get_dotted(params, key)):
                raise ConfigError(
                    f"Node '{item.name}' reads parameter '{key}', which is not defined",
                    hint="add it to conf/base/parameters.yml (--params can then override it)",
                )


def read_settings(root: Path) -> dict[str, Any]:
    """``[tool.aether]`` of the project's pyproject.toml (all optional)."""
    pyproject = ProjectPaths(root).pyproject
    if not pyproject.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Malformed TOML in {pyproject}: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{pyproject} is not UTF-8 text", hint="save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(
            f"Cannot read {pyproject}: {exc.strerror}",
            hint="check that this user may read it",
        ) from None
    tool = data.get("tool")
    settings = tool.get("aether", {}) if isinstance(tool, dict) else {}
    if not isinstance(settings, dict):
        raise ConfigError(
            f"[tool.aether] in {pyproject} must be a table",
            hint='write it as a section: [tool.aether] then source_dir = "src"',
        )
    return dict(settings)


def add_source_path(source: Path) -> None:
    text = str(source)
    if source.is_dir() and text not in sys.path:
        sys.path.insert(0, text)


def read_logging_config(loader: ConfigLoader) -> dict[str, Any] | None:
    files = loader.layer_files("logging.yml")
    return load_yaml(files[-1]) if files else None
