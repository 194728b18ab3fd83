"""Nodes: `Input`, `Node` and `node()`, which builds one from the forms pipeline.yml accepts
(inputs and outputs as a name, a list or a mapping)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.errors import PipelineError

PARAMS_PREFIX = "params:"
ALL_PARAMS = "params"
# Reserved inputs given by the run, not read from the catalog (`context:spark`); a dataset
# name cannot hold a colon, so they never collide with one.
CONTEXT_PREFIX = "context:"
CONTEXT_NAMES = ("spark", "dbutils")


@dataclass(frozen=True)
class Input:
    """One input of a node: the argument it is passed as and where its value comes from.

    Attributes:
        arg: The keyword argument the value is passed as; None passes it positionally.
        source: A dataset name, `params:<dotted.key>` for one parameter, or `params` for
            all of them.
    """

    arg: str | None
    source: str

    @property
    def is_param(self) -> bool:
        """Whether the input is a parameter rather than a dataset."""
        return self.source == ALL_PARAMS or self.source.startswith(PARAMS_PREFIX)

    @property
    def context_key(self) -> str | None:
        """`spark` for `context:spark`; None for a dataset or a parameter."""
        if self.source.startswith(CONTEXT_PREFIX):
            return self.source[len(CONTEXT_PREFIX) :]
        return None

    @property
    def param_key(self) -> str | None:
        """`a.b` for `params:a.b`, `*` for the whole `params`, None for a dataset."""
        if self.source == ALL_PARAMS:
            return "*"
        if self.source.startswith(PARAMS_PREFIX):
            return self.source[len(PARAMS_PREFIX) :]
        return None


@dataclass(frozen=True)
class Node:
    """A step of a pipeline: a transformation, its inputs and the datasets it produces.

    Read from pipeline.yml, or built in Python with [`node()`][aether.pipeline.nodes.node].

    Attributes:
        name: Unique within its pipeline.
        transformation: A dotted path (imported only when the node runs) or a callable: an
            `AbstractTransformation` subclass or a plain function.
        inputs: What the transformation is called with, in order.
        outputs: The datasets it produces.
        outputs_kind: How the return value maps to `outputs`: `single` (the value), `list`
            (a tuple/list of the same length), `mapping` (a dict: key -> dataset), or `none`
            for a node that produces nothing.
        output_keys: For `mapping`, the keys of the returned dict, in the order of `outputs`.
        options: Keyword arguments for the transformation class's constructor.
        tags: Tags for selecting nodes (`aether run --tags`).
        code_version: Set by hand to mark a logic change the code hash cannot see; a new
            value makes the outputs stale.
        description: What the node does, shown by `aether viz`.
        removes_pii: `removes_pii: true` in pipeline.yml: the node drops or masks personal
            data, so its outputs need not be `pii: true` when an input is (governance.yml's
            `pii_propagation` rule).
    """

    name: str
    transformation: str | Callable[..., Any]
    inputs: tuple[Input, ...] = ()
    outputs: tuple[str, ...] = ()
    outputs_kind: str = "single"
    output_keys: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()
    code_version: str | None = None
    description: str | None = None
    removes_pii: bool = False

    # Cached: status asks for these tens of thousands of times on a large DAG. (A cached
    # property writes the instance __dict__ directly, so it works on a frozen dataclass.)
    @functools.cached_property
    def dataset_inputs(self) -> list[str]:
        """The datasets the node reads (its inputs that are not parameters nor context)."""
        return [i.source for i in self.inputs if not i.is_param and i.context_key is None]

    @functools.cached_property
    def context_inputs(self) -> list[str]:
        """The reserved inputs the node is given (`spark`, `dbutils`): it runs in the run's
        own process, where they live."""
        return [key for i in self.inputs if (key := i.context_key) is not None]

    @functools.cached_property
    def param_keys(self) -> list[str]:
        """The parameter keys the node reads (`*` for all of them)."""
        return [key for i in self.inputs if (key := i.param_key) is not None]

    @property
    def transformation_path(self) -> str:
        """The transformation's dotted path, also for a callable given in Python."""
        target = self.transformation
        if isinstance(target, str):
            return target
        return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', target)}"


def node(
    func: str | Callable[..., Any],
    inputs: str | list[str] | Mapping[str, str] | None = None,
    outputs: str | list[str] | Mapping[str, str] | None = None,
    *,
    name: str | None = None,
    tags: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
    code_version: str | None = None,
) -> Node:
    """Build a [`Node`][aether.pipeline.nodes.Node] in Python, with the forms pipeline.yml accepts.

    Args:
        func: The transformation: a function, an `AbstractTransformation` subclass, or the
            dotted path of either.
        inputs: A dataset name, a list of them (passed positionally), or a mapping
            argument -> dataset; `params:<key>` passes a parameter.
        outputs: A dataset name, a list of them (the function returns a tuple), a mapping
            returned key -> dataset, or None for a node that produces nothing.
        name: The node's name (default: the function's name).
        tags: Tags for selecting nodes.
        options: Keyword arguments for the transformation class's constructor.
        code_version: Bump it to mark a logic change the code hash cannot see.

    Returns:
        The node; add it to a [`Pipeline`][aether.pipeline.graph.Pipeline].

    Raises:
        PipelineError: `inputs` or `outputs` has a shape Aether does not accept.

    Example:
        >>> node(len, inputs="raw_orders", outputs="order_count").outputs
        ('order_count',)
    """
    node_name = name or getattr(func, "__name__", None) or str(func).rsplit(".", 1)[-1]
    parsed_inputs = _parse_inputs(inputs, node_name)
    kind, keys, names = _parse_outputs(outputs, node_name)
    return Node(
        name=node_name,
        transformation=func,
        inputs=parsed_inputs,
        outputs=names,
        outputs_kind=kind,
        output_keys=keys,
        options=dict(options or {}),
        tags=frozenset(tags),
        code_version=code_version,
    )


def _parse_inputs(raw: Any, node_name: str) -> tuple[Input, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return _checked_context((Input(None, raw),), node_name)
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return _checked_context(tuple(Input(None, x) for x in raw), node_name)
    if isinstance(raw, (dict, Mapping)) and all(isinstance(v, str) for v in raw.values()):
        return _checked_context(tuple(Input(str(arg), s) for arg, s in raw.items()), node_name)
    raise PipelineError(
        f"Node '{node_name}': `inputs:` must be a dataset name, a list of names, "
        "or a mapping argument -> dataset",
        hint="e.g. inputs: {orders: raw_orders, min_amount: params:cleaning.min_amount}",
    )


def _checked_context(inputs: tuple[Input, ...], node_name: str) -> tuple[Input, ...]:
    for item in inputs:
        key = item.context_key
        if key is not None and key not in CONTEXT_NAMES:
            from aether.support.suggestions import did_you_mean

            raise PipelineError(
                f"Node '{node_name}': unknown input '{item.source}'",
                hint=did_you_mean(key, CONTEXT_NAMES)
                or f"the run gives {', '.join(CONTEXT_PREFIX + n for n in CONTEXT_NAMES)}",
            )
    return inputs


def _parse_outputs(raw: Any, node_name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    if raw is None:
        return "none", (), ()
    if isinstance(raw, str):
        return "single", (), (raw,)
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        if len(set(raw)) != len(raw):
            raise PipelineError(f"Node '{node_name}': an output is listed twice in {raw}")
        return "list", (), tuple(raw)
    if isinstance(raw, Mapping) and all(isinstance(v, str) for v in raw.values()):
        return "mapping", tuple(str(k) for k in raw), tuple(raw.values())
    raise PipelineError(
        f"Node '{node_name}': `outputs:` must be a dataset name, a list of names, "
        "or a mapping returned key -> dataset",
        hint="e.g. outputs: clean_orders",
    )
