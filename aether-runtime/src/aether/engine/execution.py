"""Running one node: load its inputs, call its transformation, check and stage its outputs.

This is the part of a run that may happen in a worker process, so everything it receives
is plain data (a :class:`NodeTask`) and everything it returns is picklable. It publishes
nothing: outputs that can stage are written aside (``NodeOutcome.staged``) and the parent
process renames them into place together (:mod:`aether.engine.publication`).
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.catalog import DataCatalog
from aether.datasets.base import Staged
from aether.datasets.columns import columns_of
from aether.engine.crash_points import crash_point
from aether.engine.transformation import resolve_callable
from aether.errors import (
    AetherError,
    CheckFailedError,
    NodeFailedError,
    PipelineError,
    RunInterrupted,
)
from aether.pipeline import Node
from aether.project.sources import imported_elsewhere
from aether.support.dotted_keys import get_dotted
from aether.support.redaction import redact

# A node's error text is kept in the state and shown: a 10 MB message must not be.
MAX_MESSAGE_CHARS = 2_000
MAX_DETAILS_CHARS = 64_000


@dataclass(frozen=True)
class NodeTask:
    """What a worker needs to run a node: the node, parameters, and in-memory inputs."""

    node: Node
    params: Mapping[str, Any]
    memory_inputs: dict[str, Any] = field(default_factory=dict)
    memory_outputs: frozenset[str] = frozenset()
    return_memory: bool = False
    # Data-quality checks per output (aether.checks.CheckSpec), run before publishing.
    checks: dict[str, list[Any]] = field(default_factory=dict)
    # The node's fingerprint: the version of outputs whose content cannot be hashed.
    fingerprint: str | None = None
    # Each stored output as last recorded (signature, content hash): see Tracker.start.
    in_place: Mapping[str, tuple[Mapping[str, Any], str]] = field(default_factory=dict)


@dataclass
class NodeOutcome:
    """What came of running a node (picklable)."""

    name: str
    duration: float
    saved: tuple[str, ...] = ()
    memory_data: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    check_results: list[Any] = field(default_factory=list)
    # Outputs written aside, complete, waiting to be renamed into place together.
    staged: dict[str, Staged] = field(default_factory=dict)
    fingerprint: str | None = None
    # The version of each stored input as the node read it, where its dataset could tell
    # (AbstractDataSet.loaded_version): a read may differ from the run's look at it.
    read_versions: dict[str, str] = field(default_factory=dict)
    # Each stored output's columns (name, dtype) as the node returned it, where it had any.
    columns: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)


def execute_node(task: NodeTask, catalog: DataCatalog) -> NodeOutcome:
    """Run ``task.node`` against ``catalog``; every failure becomes an AetherError."""
    node = task.node
    started = time.perf_counter()
    func = resolve_callable(node.transformation, dict(node.options), node.name)
    if not isinstance(node.transformation, str):
        _refuse_if_imported_elsewhere(node, func)
    args, kwargs = _gather_inputs(task, catalog)
    try:
        returned = _call_here(func, args, kwargs)
    except AetherError:
        raise
    except (SystemExit, KeyboardInterrupt) as exc:
        # A node that exits must not take the run down with its attempt left 'running'.
        raise _exit_error(node, exc) from None
    except RunInterrupted:
        raise
    except BaseException as exc:  # GeneratorExit or a custom BaseException too: a failure
        # The node's own text may quote a credential (a driver echoing its DSN): masked
        # here, in the process that raised it, before it travels or is stored anywhere;
        # then cut to a bounded size (masked first, so no cut can expose part of a secret).
        error = NodeFailedError(
            _bounded(
                redact(f"Node '{node.name}' failed: {type(exc).__name__}: {_text(exc)}"),
                MAX_MESSAGE_CHARS,
            ),
            hint="see the traceback with --debug; fix the transformation or its inputs",
            # Kept as text: it must survive pickling back from a worker process.
            details=_bounded(
                redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))),
                MAX_DETAILS_CHARS,
            ),
        )
        raise error from exc
    outputs = map_outputs(node, returned)
    check_results = audit_outputs(task, outputs)
    outcome = NodeOutcome(node.name, 0.0, check_results=check_results, fingerprint=task.fingerprint)
    outcome.read_versions = _read_versions(task, catalog)
    for name, data in outputs.items():
        if name in task.memory_outputs:
            if task.return_memory:
                outcome.memory_data[name] = data
            else:
                catalog.save(name, data)
    stage_outputs(task, catalog, outputs, outcome)
    outcome.duration = time.perf_counter() - started
    return outcome


def _call_here(func: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """``func(*args, **kwargs)``, and only this process goes on with the run.

    A transformation that forks and returns (or raises) in the child would carry the child
    on through the rest of the run: a second report, a second record, a worker pool that
    never shuts down. The child leaves at once instead, with ``os._exit`` and nothing
    flushed (its buffers are copies of the parent's, which the parent prints itself).
    """
    pid = os.getpid()
    try:
        returned = func(*args, **kwargs)
    except BaseException:
        if os.getpid() != pid:
            os._exit(1)
        raise
    if os.getpid() != pid:
        os._exit(0)
    return returned


def _refuse_if_imported_elsewhere(node: Node, func: Any) -> None:
    """A function given as an object was compiled when it was imported; the run hashed its
    file as it is now. Running it when they differ would record the new code's hash on data
    the old code made (a module re-imported cannot change an object already held)."""
    stale = imported_elsewhere(func)
    if stale is not None:
        raise PipelineError(
            f"Node '{node.name}': its transformation was imported from an older version of {stale}",
            hint="re-import that module (importlib.reload) and rebuild the pipeline, or run "
            "in a new interpreter",
        )


def stage_outputs(
    task: NodeTask, catalog: DataCatalog, outputs: Mapping[str, Any], outcome: NodeOutcome
) -> None:
    """Stage every stored output, then save the ones that cannot stage.

    If any of it fails, every staged copy is discarded: nothing replaces a previous version.
    Outputs that cannot stage are saved once all the others are staged, so only a failure
    of their own save (or of a rename) can leave a node's outputs out of step.
    """
    stored = {name: data for name, data in outputs.items() if name not in task.memory_outputs}
    for name, data in stored.items():
        found = columns_of(data)
        if found is not None:
            outcome.columns[name] = found
    unstaged = {}
    try:
        for name in stored:
            dataset = catalog.get(name)
            dataset.write_key = task.fingerprint
            dataset.last_recorded = task.in_place.get(name)
        for name, data in stored.items():
            staged = catalog.get(name).stage(data)
            if staged is None:
                unstaged[name] = data
                continue
            outcome.staged[name] = staged
            outcome.signatures[name] = staged.signature
            outcome.versions[name] = staged.content_hash or f"fingerprint:{task.fingerprint}"
            crash_point("during-staging")
        for name, data in unstaged.items():
            dataset = catalog.get(name)
            dataset.save(data)
            outcome.signatures[name], outcome.versions[name] = dataset.written_identity(
                f"fingerprint:{task.fingerprint}"
            )
            crash_point("after-saving")
    except BaseException:
        discard_staged(catalog, outcome.staged)
        raise
    outcome.saved = tuple(stored)


def discard_staged(catalog: DataCatalog, staged: Mapping[str, Staged]) -> None:
    """Remove staged copies that will not be published."""
    for name, copy in staged.items():
        catalog.get(name).discard(copy)


def _text(exc: BaseException) -> str:
    """``str(exc)``, even for an exception whose ``__str__`` itself raises."""
    try:
        return str(exc)
    except Exception:
        return f"<{type(exc).__name__} whose message cannot be shown: its __str__ failed>"


def _bounded(text: str, limit: int) -> str:
    """``text``, or its start and end around a note of how much was left out."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]} ... ({len(text) - 2 * keep:,} characters left out) ... {text[-keep:]}"


def _exit_error(node: Node, exc: SystemExit | KeyboardInterrupt) -> NodeFailedError:
    how = (
        f"called sys.exit({exc.code!r})"
        if isinstance(exc, SystemExit)
        else "raised KeyboardInterrupt"
    )
    return NodeFailedError(
        f"Node '{node.name}' {how} instead of returning its outputs",
        hint="a transformation must return or raise an exception, not stop the process; "
        "fix the transformation",
    )


def audit_outputs(task: NodeTask, outputs: Mapping[str, Any]) -> list[Any]:
    """Run the outputs' checks on the in-memory data, before anything is published.

    A failed error-level check raises CheckFailedError (carrying every result), so the
    previous good version stays in place (write-audit-publish).
    """
    if not task.checks:
        return []
    from aether.checks import failed_errors, run_checks

    results = []
    for name, specs in task.checks.items():
        if name in outputs and specs:
            results.extend(run_checks(name, outputs[name], specs))
    blocking = failed_errors(results)
    if blocking:
        first = blocking[0]
        more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
        error = CheckFailedError(
            redact(
                f"Node '{task.node.name}': check {first.check} on '{first.asset}' failed: "
                f"{first.message}{more}; the previous version was kept"
            ),
            hint="fix the data or the transformation, or make the check `severity: warn`",
            check_results=tuple(results),
        )
        raise error
    return results


def _gather_inputs(task: NodeTask, catalog: DataCatalog) -> tuple[list[Any], dict[str, Any]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for item in task.node.inputs:
        key = item.param_key
        if key == "*":
            value: Any = task.params
        elif key is not None:
            value = get_dotted(task.params, key)
        elif item.context_key is not None:  # context:spark, context:dbutils
            from aether.spark.context_inputs import context_value

            value = context_value(item.context_key, task.params)
        elif item.source in task.memory_inputs:
            value = task.memory_inputs[item.source]
        else:
            value = catalog.load(item.source)
        if item.arg is None:
            args.append(value)
        else:
            kwargs[item.arg] = value
    return args, kwargs


def _read_versions(task: NodeTask, catalog: DataCatalog) -> dict[str, str]:
    found = {}
    for name in task.node.dataset_inputs:
        if name in task.memory_inputs or not catalog.is_declared(name):
            continue
        version = catalog.get(name).loaded_version()
        if version is not None:
            found[name] = version
    return found


def map_outputs(node: Node, returned: Any) -> dict[str, Any]:
    """Match a transformation's return value to the node's declared outputs."""
    kind = node.outputs_kind
    if kind == "none":
        return {}
    if kind == "single":
        return {node.outputs[0]: returned}
    if kind == "list":
        if not isinstance(returned, (tuple, list)) or len(returned) != len(node.outputs):
            got = (
                f"{len(returned)} values"
                if isinstance(returned, (tuple, list))
                else f"one {type(returned).__name__}"
            )
            raise PipelineError(
                f"Node '{node.name}' declares {len(node.outputs)} outputs "
                f"{list(node.outputs)} but its transformation returned {got}",
                hint="return a tuple with one value per output, in the declared order",
            )
        return dict(zip(node.outputs, returned, strict=True))
    if not isinstance(returned, Mapping):
        raise PipelineError(
            f"Node '{node.name}' declares outputs as a mapping but its transformation "
            f"returned a {type(returned).__name__}",
            hint=f"return a dict with the keys {list(node.output_keys)}",
        )
    expected, keys = set(node.output_keys), {str(key) for key in returned}
    if expected != keys:
        missing = sorted(expected - keys)
        extra = sorted(keys - expected)
        raise PipelineError(
            f"Node '{node.name}' returned keys {sorted(keys)}, expected {sorted(expected)}"
            + (f" (missing {missing})" if missing else "")
            + (f" (unexpected {extra})" if extra else ""),
            hint="make the returned dict's keys match `outputs:` in pipeline.yml",
        )
    return {
        dataset: returned[key] for key, dataset in zip(node.output_keys, node.outputs, strict=True)
    }
