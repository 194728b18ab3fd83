"""`RunRequest`: what a run is asked to do — which project, pipeline, environment and
parameter overrides, which nodes (`Selection`) and how (`RunOptions`) — as one value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from aether.project.context import AetherContext
from aether.run.execution import RunOptions
from aether.run.preparation import Selection


@dataclass(frozen=True)
class RunRequest:
    """One run asked for: what `run_pipeline()` and `dry_run()` take.

    ```python
    from aether import RunOptions, RunRequest, Selection, run_pipeline

    request = RunRequest("path/to/project", "orders", selection=Selection(tags=("report",)),
                         options=RunOptions(force=True))
    result = run_pipeline(request)
    ```

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
        if self.params is not None:
            object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        if isinstance(self.project, AetherContext) and (self.env or self.params):
            raise TypeError(
                "RunRequest: env and params are applied when a project is loaded; pass them "
                "to load_context(), or give the project's path instead of its context"
            )

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
