"""`RunRequest`: what a run is asked to do — which project, pipeline, environment and
parameter overrides, which nodes (`Selection`) and how (`RunOptions`) — as one value."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from aether.engine.events import RunListener
from aether.engine.plan import RunReporter
from aether.project.context import AetherContext
from aether.run.execution import RunOptions
from aether.run.preparation import Selection


@dataclass(frozen=True)
class RunRequest:
    """One run asked for: what `run_pipeline()` and `dry_run()` take.

    ```python
    from aether import RunRequest, run_pipeline

    request = RunRequest.for_project("path/to/project", "orders", tags=["report"], force=True)
    result = run_pipeline(request)
    ```

    `RunRequest.for_project()` takes the selection and the options as plain keywords;
    the fields below take them as a `Selection` and `RunOptions`.

    Attributes:
        project: The project folder (None looks upward from the current directory), or an
            already loaded `AetherContext` (then `env` and `params` must be left out: they
            were applied when it was loaded).
        pipeline: The pipeline to run; None runs the default one.
        env: The configuration environment (default: `AETHER_ENV`, else `local`).
        params: Overrides of existing parameters by dotted key (`{"cleaning.min_amount": 10}`),
            as `--params` gives them; kept as a read-only copy.
        selection: Which of the pipeline's nodes to run (default: all of them).
        options: How to run them: runner, force, tracking, lock waiting, listeners.
        answer_from_memo: A run with nothing to do may be answered from the note the last
            same run left (`aether run` does this) without loading the project; its listeners
            and reporter then receive no events, since nothing runs. None (the default) allows
            it only when no listener and no reporter is given; False never.
    """

    project: str | Path | AetherContext | None = None
    pipeline: str | None = None
    env: str | None = None
    params: Mapping[str, Any] | None = None
    selection: Selection = field(default_factory=Selection)
    options: RunOptions = field(default_factory=RunOptions)
    answer_from_memo: bool | None = None

    def __post_init__(self) -> None:
        _check_types(self)
        if self.params is not None:
            object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        if isinstance(self.project, AetherContext) and (self.env or self.params):
            raise TypeError(
                "RunRequest: env and params are applied when a project is loaded; pass them "
                "to load_context(), or give the project's path instead of its context"
            )

    @classmethod
    def for_project(
        cls,
        project: str | Path | AetherContext | None = None,
        pipeline: str | None = None,
        *,
        env: str | None = None,
        params: Mapping[str, Any] | None = None,
        nodes: Iterable[str] = (),
        from_nodes: Iterable[str] = (),
        to_nodes: Iterable[str] = (),
        tags: Iterable[str] = (),
        runner: str = "sequential",
        max_workers: int | None = None,
        force: bool = False,
        track: bool = True,
        wait_for_lock: bool = True,
        on_lock_wait: Callable[[Any], None] | None = None,
        reporter: RunReporter | None = None,
        listeners: Iterable[RunListener] = (),
        answer_from_memo: bool | None = None,
    ) -> RunRequest:
        """A request from plain keywords, the `Selection` and `RunOptions` built for you:
        `RunRequest.for_project("path", "orders", nodes=["clean"], force=True)`.

        Args:
            project: The project folder (None looks upward from the current directory),
                or an already loaded `AetherContext` (then leave `env` and `params` out).
            pipeline: The pipeline to run; None runs the default one.
            env: The configuration environment (default: `AETHER_ENV`, else `local`).
            params: Overrides of existing parameters by dotted key.
            nodes: Run these nodes only (a list of names; one name may be a string).
            from_nodes: Run these nodes and everything downstream of them.
            to_nodes: Run these nodes and everything upstream of them.
            tags: Run the nodes that have one of these tags.
            runner: `sequential` or `parallel` (worker processes).
            max_workers: Worker processes of the parallel runner (default: one per CPU).
            force: Rebuild every selected node, stale or not.
            track: False runs everything and remembers nothing (no state store, no lock).
            wait_for_lock: Wait while another run holds the lock; False raises `LockError`.
            on_lock_wait: Called once, with who holds the lock, when the run starts waiting.
            reporter: Receives progress events (see `RunReporter`).
            listeners: Receive every event of the run, in order (see `RunListener`).
            answer_from_memo: See the attribute of the same name.

        Returns:
            The request, its `Selection` and `RunOptions` built from the keywords.
        """
        # A single string is one name, not its letters (nodes="clean" is ["clean"]).
        selection = Selection(_names(nodes), _names(from_nodes), _names(to_nodes), _names(tags))
        options = RunOptions(
            runner,
            max_workers,
            force,
            track,
            wait_for_lock,
            on_lock_wait,
            reporter,
            tuple(listeners),
        )
        return cls(project, pipeline, env, params, selection, options, answer_from_memo)

    @property
    def context(self) -> AetherContext | None:
        """The already loaded context given as `project`, if one was."""
        return self.project if isinstance(self.project, AetherContext) else None

    @property
    def project_path(self) -> Path | None:
        """The project folder given as `project` (None: a context, or look upward)."""
        if self.project is None or isinstance(self.project, AetherContext):
            return None
        return Path(self.project)

    def may_answer_from_memo(self) -> bool:
        """Whether a run with nothing to do may be answered without loading the project."""
        if not self.options.track or self.context is not None:
            return False
        if self.answer_from_memo is None:
            return not self.options.listeners and self.options.reporter is None
        return self.answer_from_memo


def _names(names: Iterable[str]) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else tuple(names)


def _check_types(request: RunRequest) -> None:
    """A wrong type is refused here, naming the field, not deep inside the run."""
    expected: tuple[tuple[str, object, tuple[type, ...]], ...] = (
        ("project", request.project, (str, Path, AetherContext, type(None))),
        ("pipeline", request.pipeline, (str, type(None))),
        ("env", request.env, (str, type(None))),
        ("params", request.params, (Mapping, type(None))),
        ("selection", request.selection, (Selection,)),
        ("options", request.options, (RunOptions,)),
        ("answer_from_memo", request.answer_from_memo, (bool, type(None))),
    )
    for name, value, types in expected:
        if not isinstance(value, types):
            wanted = " or ".join("None" if t is type(None) else t.__name__ for t in types)
            raise TypeError(f"RunRequest.{name} must be {wanted}, not {type(value).__name__}")
