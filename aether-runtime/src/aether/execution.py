"""Running one node: load its inputs, call its transformation, check and store its outputs.

This is the part of a run that may happen in a worker process, so everything it receives
is plain data (a :class:`NodeTask`) and everything it returns is picklable.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.catalog import DataCatalog
from aether.config import get_dotted
from aether.errors import AetherError, NodeFailedError, PipelineError
from aether.pipeline import Node
from aether.transformation import resolve_callable


@dataclass
class NodeTask:
    """What a worker needs to run a node: the node, parameters, and in-memory inputs."""

    node: Node
    params: Mapping[str, Any]
    memory_inputs: dict[str, Any] = field(default_factory=dict)
    memory_outputs: frozenset[str] = frozenset()
    return_memory: bool = False


@dataclass
class NodeOutcome:
    """What came of running a node (picklable)."""

    name: str
    duration: float
    saved: tuple[str, ...] = ()
    memory_data: dict[str, Any] = field(default_factory=dict)


def execute_node(task: NodeTask, catalog: DataCatalog) -> NodeOutcome:
    """Run ``task.node`` against ``catalog``; every failure becomes an AetherError."""
    node = task.node
    started = time.perf_counter()
    func = resolve_callable(node.transformation, dict(node.options), node.name)
    args, kwargs = _gather_inputs(task, catalog)
    try:
        returned = func(*args, **kwargs)
    except AetherError:
        raise
    except Exception as exc:
        raise NodeFailedError(
            f"Node '{node.name}' failed: {type(exc).__name__}: {exc}",
            hint="see the traceback with --debug; fix the transformation or its inputs",
        ) from _with_traceback_note(exc)
    outputs = map_outputs(node, returned)
    memory: dict[str, Any] = {}
    saved = []
    for name, data in outputs.items():
        if name in task.memory_outputs and task.return_memory:
            memory[name] = data
        else:
            catalog.save(name, data)
            saved.append(name)
    return NodeOutcome(node.name, time.perf_counter() - started, tuple(saved), memory)


def _gather_inputs(task: NodeTask, catalog: DataCatalog) -> tuple[list[Any], dict[str, Any]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for item in task.node.inputs:
        key = item.param_key
        if key == "*":
            value: Any = task.params
        elif key is not None:
            value = get_dotted(task.params, key)
        elif item.source in task.memory_inputs:
            value = task.memory_inputs[item.source]
        else:
            value = catalog.load(item.source)
        if item.arg is None:
            args.append(value)
        else:
            kwargs[item.arg] = value
    return args, kwargs


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
        return dict(zip(node.outputs, returned))
    if not isinstance(returned, Mapping):
        raise PipelineError(
            f"Node '{node.name}' declares outputs as a mapping but its transformation "
            f"returned a {type(returned).__name__}",
            hint=f"return a dict with the keys {list(node.output_keys)}",
        )
    expected, got = set(node.output_keys), set(returned)
    if expected != got:
        missing, extra = sorted(expected - got), sorted(got - expected)
        raise PipelineError(
            f"Node '{node.name}' returned keys {sorted(got)}, expected {sorted(expected)}"
            + (f" (missing {missing})" if missing else "")
            + (f" (unexpected {extra})" if extra else ""),
            hint="make the returned dict's keys match `outputs:` in pipeline.yml",
        )
    return {dataset: returned[key] for key, dataset in zip(node.output_keys, node.outputs)}


def _with_traceback_note(exc: BaseException) -> BaseException:
    # A traceback does not survive pickling to the parent process; keep its text.
    exc.aether_traceback = "".join(  # type: ignore[attr-defined]
        traceback.format_exception(type(exc), exc, exc.__traceback__)
    )
    return exc
