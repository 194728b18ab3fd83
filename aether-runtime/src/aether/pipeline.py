"""Nodes, pipelines, and reading them from `pipeline.yml`.

A pipeline is a set of nodes; the DAG comes from matching node outputs to node inputs. This
module is pure graph logic: it imports no user code and knows nothing of the catalog.
"""

from __future__ import annotations

import difflib
import functools
import graphlib
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.errors import CycleError, PipelineError

PARAMS_PREFIX = "params:"
ALL_PARAMS = "params"


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

    Read from pipeline.yml, or built in Python with [`node()`][aether.pipeline.node].

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

    # Cached: status asks for these tens of thousands of times on a large DAG. (A cached
    # property writes the instance __dict__ directly, so it works on a frozen dataclass.)
    @functools.cached_property
    def dataset_inputs(self) -> list[str]:
        """The datasets the node reads (its inputs that are not parameters)."""
        return [i.source for i in self.inputs if not i.is_param]

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
    """Build a [`Node`][aether.pipeline.Node] in Python, with the forms pipeline.yml accepts.

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
        The node; add it to a [`Pipeline`][aether.pipeline.Pipeline].

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


class Pipeline:
    """An immutable set of nodes with their dependency graph.

    The graph comes from matching node outputs to node inputs. Selections (`only_nodes`,
    `from_nodes`, `to_nodes`, `only_tags`) return new pipelines.

    Args:
        nodes: The nodes, in the order ties are broken when sorting.
        name: The pipeline's name in pipeline.yml.
        description: What the pipeline is for, shown by `aether viz`.

    Attributes:
        name: The pipeline's name.
        description: What the pipeline is for, or None.
        nodes: The nodes, in the order given.
        producers: For every dataset a node produces, the name of that node.

    Raises:
        PipelineError: Two nodes share a name, or two nodes produce the same dataset.
    """

    def __init__(
        self, nodes: Iterable[Node], name: str = "__default__", description: str | None = None
    ) -> None:
        self.name = name
        self.description = description
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self._by_name: dict[str, Node] = {}
        self.producers: dict[str, str] = {}
        for item in self.nodes:
            if item.name in self._by_name:
                raise PipelineError(
                    f"Pipeline '{name}': two nodes are named '{item.name}'",
                    hint="give every node a unique name",
                )
            self._by_name[item.name] = item
            for output in item.outputs:
                if output in self.producers:
                    raise PipelineError(
                        f"Pipeline '{name}': dataset '{output}' is produced by both node "
                        f"'{self.producers[output]}' and node '{item.name}'",
                        hint="each dataset has one producer: rename one of the outputs",
                    )
                self.producers[output] = item.name
        self._order: list[Node] | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, {len(self.nodes)} nodes)"

    def node(self, name: str) -> Node:
        """The node called `name`.

        Args:
            name: The node's name.

        Raises:
            KeyError: The pipeline has no such node.
        """
        return self._by_name[name]

    def datasets(self) -> set[str]:
        """Every dataset the pipeline reads or writes."""
        names = set(self.producers)
        for item in self.nodes:
            names.update(item.dataset_inputs)
        return names

    def free_inputs(self) -> set[str]:
        """Datasets read but produced by no node of this pipeline (its sources)."""
        return {d for item in self.nodes for d in item.dataset_inputs if d not in self.producers}

    def parents(self, item: Node) -> set[str]:
        """Names of the nodes that produce this node's inputs.

        Args:
            item: A node of this pipeline.
        """
        return {self.producers[d] for d in item.dataset_inputs if d in self.producers}

    def children_map(self) -> dict[str, set[str]]:
        """For every node's name, the names of the nodes that read what it produces."""
        children: dict[str, set[str]] = {item.name: set() for item in self.nodes}
        for item in self.nodes:
            for parent in self.parents(item):
                children[parent].add(item.name)
        return children

    def toposorted(self) -> list[Node]:
        """Nodes in an order where every producer comes before its consumers.

        Ties keep the order of pipeline.yml, so runs are reproducible.

        Raises:
            CycleError: The nodes depend on each other in a cycle (the message shows it).
        """
        if self._order is None:
            sorter = graphlib.TopologicalSorter({n.name: self.parents(n) for n in self.nodes})
            try:
                sorter.prepare()
            except graphlib.CycleError as exc:
                raise CycleError(
                    f"Pipeline '{self.name}' has a cycle: {self._describe_cycle(exc.args[1])}",
                    hint="a node cannot depend, even indirectly, on its own output",
                ) from None
            position = {n.name: i for i, n in enumerate(self.nodes)}
            order: list[Node] = []
            while sorter.is_active():
                ready = sorted(sorter.get_ready(), key=position.__getitem__)
                order.extend(self._by_name[name] for name in ready)
                sorter.done(*ready)
            self._order = order
        return self._order

    def _describe_cycle(self, cycle: list[str]) -> str:
        # graphlib lists the cycle's nodes with each one's successor after it, first and last
        # the same: print that data flow, naming the datasets that link each step.
        flow = list(cycle)
        steps = [flow[0]]
        for before, after in itertools.pairwise(flow):
            made = set(self._by_name[before].outputs)
            shared = sorted(made & set(self._by_name[after].dataset_inputs))
            steps.append(f"[{', '.join(shared)}] -> {after}" if shared else after)
        return " -> ".join(steps)

    # Selection ---------------------------------------------------------------------------
    def only_nodes(self, names: Iterable[str]) -> Pipeline:
        """The named nodes only.

        Args:
            names: Node names.

        Raises:
            PipelineError: A name is not a node of this pipeline (with a "did you mean").
        """
        wanted = self._known(names)
        return self._subset(wanted)

    def from_nodes(self, names: Iterable[str]) -> Pipeline:
        """The named nodes and everything downstream of them.

        Args:
            names: Node names.

        Raises:
            PipelineError: A name is not a node of this pipeline (with a "did you mean").
        """
        return self._subset(self._reach(self._known(names), self.children_map()))

    def to_nodes(self, names: Iterable[str]) -> Pipeline:
        """The named nodes and everything upstream of them.

        Args:
            names: Node names.

        Raises:
            PipelineError: A name is not a node of this pipeline (with a "did you mean").
        """
        parents = {n.name: self.parents(n) for n in self.nodes}
        return self._subset(self._reach(self._known(names), parents))

    def only_tags(self, tags: Iterable[str]) -> Pipeline:
        """The nodes that have at least one of `tags`.

        Args:
            tags: Tag names.

        Raises:
            PipelineError: No node has one of the tags.
        """
        wanted = set(tags)
        known = {tag for item in self.nodes for tag in item.tags}
        unknown = wanted - known
        if unknown:
            raise PipelineError(
                f"No node of pipeline '{self.name}' has tag(s) {', '.join(sorted(unknown))}",
                hint=f"known tags: {', '.join(sorted(known)) or 'none'}",
            )
        return self._subset({n.name for n in self.nodes if n.tags & wanted})

    def _known(self, names: Iterable[str]) -> set[str]:
        wanted = set(names)
        for name in sorted(wanted):
            if name not in self._by_name:
                close = difflib.get_close_matches(name, list(self._by_name), n=1)
                raise PipelineError(
                    f"Pipeline '{self.name}' has no node '{name}'",
                    hint=f"did you mean '{close[0]}'?" if close else "list them: aether viz",
                )
        return wanted

    @staticmethod
    def _reach(start: set[str], edges: Mapping[str, set[str]]) -> set[str]:
        seen, stack = set(start), list(start)
        while stack:
            for nxt in edges[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def _subset(self, names: set[str]) -> Pipeline:
        return Pipeline([n for n in self.nodes if n.name in names], self.name, self.description)


# Parsing pipeline.yml --------------------------------------------------------------------
_NODE_KEYS = {
    "name", "transformation", "inputs", "outputs", "options", "tags", "code_version",
    "description",
}  # fmt: skip


def parse_pipelines(raw: Mapping[str, Any], where: str) -> tuple[dict[str, Pipeline], str | None]:
    """Pipelines and the default pipeline's name from the content of pipeline.yml."""
    pipelines_raw = raw.get("pipelines")
    if not isinstance(pipelines_raw, Mapping) or not pipelines_raw:
        raise PipelineError(
            f"{where} has no `pipelines:` mapping",
            hint="declare `pipelines: {my_pipeline: {nodes: [...]}}`",
        )
    pipelines = {
        name: _parse_pipeline(str(name), spec, where) for name, spec in pipelines_raw.items()
    }
    default = raw.get("default")
    if default is None and len(pipelines) == 1:
        default = next(iter(pipelines))
    if default is not None and default not in pipelines:
        raise PipelineError(
            f"{where}: `default: {default}` names no pipeline",
            hint=f"pick one of: {', '.join(pipelines)}",
        )
    return pipelines, default


def _parse_pipeline(name: str, spec: Any, where: str) -> Pipeline:
    if isinstance(spec, list):
        spec = {"nodes": spec}
    if not isinstance(spec, Mapping) or not isinstance(spec.get("nodes"), list):
        raise PipelineError(
            f"{where}: pipeline '{name}' needs a `nodes:` list",
            hint="write `nodes: [{name: ..., transformation: ..., inputs: ..., outputs: ...}]`",
        )
    nodes = [_parse_node(entry, f"{where}, pipeline '{name}'") for entry in spec["nodes"]]
    return Pipeline(nodes, name=name, description=spec.get("description"))


def _parse_node(entry: Any, where: str) -> Node:
    if not isinstance(entry, (dict, Mapping)):
        raise PipelineError(f"{where}: each node must be a mapping, got {entry!r}")
    name = entry.get("name")
    if name is None or name == "":
        raise PipelineError(f"{where}: a node has no `name:`", hint="give every node a name")
    if not isinstance(name, str):
        raise PipelineError(
            f"{where}: node name {name!r} is not a string", hint="quote it: name: '1'"
        )
    unknown = set(entry) - _NODE_KEYS
    if unknown:
        key = sorted(unknown)[0]
        close = difflib.get_close_matches(key, sorted(_NODE_KEYS), n=1)
        raise PipelineError(
            f"{where}, node '{name}': unknown key '{key}'",
            hint=f"did you mean '{close[0]}'?" if close else f"known keys: {sorted(_NODE_KEYS)}",
        )
    transformation = entry.get("transformation")
    if not isinstance(transformation, str) or "." not in transformation:
        raise PipelineError(
            f"{where}, node '{name}': `transformation:` must be a dotted path",
            hint="e.g. transformation: my_project.nodes.orders.CleanOrders",
        )
    options = entry.get("options") or {}
    if not isinstance(options, (dict, Mapping)):
        raise PipelineError(f"{where}, node '{name}': `options:` must be a mapping")
    tags = entry.get("tags") or []
    tags = [tags] if isinstance(tags, str) else tags
    result = node(
        transformation,
        entry.get("inputs"),
        entry.get("outputs"),
        name=name,
        tags=[str(t) for t in tags],
        options=options,
        code_version=_code_version(entry.get("code_version"), name, where),
    )
    if entry.get("description"):
        result = Node(**{**result.__dict__, "description": str(entry["description"])})
    return result


def _code_version(raw: Any, name: str, where: str) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, (dict, list)):
        raise PipelineError(
            f"{where}, node '{name}': `code_version:` must be a string or a number",
            hint="e.g. code_version: '2024-06-01' (bump it when the logic changes)",
        )
    return str(raw)


def _parse_inputs(raw: Any, node_name: str) -> tuple[Input, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Input(None, raw),)
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return tuple(Input(None, x) for x in raw)
    if isinstance(raw, (dict, Mapping)) and all(isinstance(v, str) for v in raw.values()):
        return tuple(Input(str(arg), source) for arg, source in raw.items())
    raise PipelineError(
        f"Node '{node_name}': `inputs:` must be a dataset name, a list of names, "
        "or a mapping argument -> dataset",
        hint="e.g. inputs: {orders: raw_orders, min_amount: params:cleaning.min_amount}",
    )


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
