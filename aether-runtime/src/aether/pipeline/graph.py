"""`Pipeline`: an immutable set of nodes and the graph their inputs and outputs make —
topological order, cycles shown as data flow, graph walks and selections."""

from __future__ import annotations

import graphlib
import itertools
from collections.abc import Callable, Iterable

from aether.errors import CycleError, PipelineError
from aether.pipeline.nodes import Node
from aether.support.suggestions import did_you_mean


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
        self._children: dict[str, set[str]] | None = None

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
        return {name: set(found) for name, found in self._children_of().items()}

    def _children_of(self) -> dict[str, set[str]]:
        """children_map(), worked out once (not to be changed: it is shared)."""
        if self._children is None:
            children: dict[str, set[str]] = {item.name: set() for item in self.nodes}
            for item in self.nodes:
                for parent in self.parents(item):
                    children[parent].add(item.name)
            self._children = children
        return self._children

    def toposorted(self) -> list[Node]:
        """Nodes in an order where every producer comes before its consumers.

        Ties keep the order of pipeline.yml, so runs are reproducible.

        Raises:
            CycleError: The nodes depend on each other in a cycle (the message shows it).
        """
        if self._order is None:
            # Kahn's algorithm in rounds, as graphlib's get_ready()/done() would run it (each
            # round: every node whose producers are all placed, in pipeline.yml order), done
            # by hand: a third of graphlib's cost on 10,000 nodes. graphlib names a cycle.
            children = self._children_of()
            waiting = {n.name: len(self.parents(n)) for n in self.nodes}
            position = {n.name: i for i, n in enumerate(self.nodes)}
            ready = [n.name for n in self.nodes if waiting[n.name] == 0]
            order: list[Node] = []
            while ready:
                order.extend(self._by_name[name] for name in ready)
                unblocked = []
                for name in ready:
                    for child in children[name]:
                        waiting[child] -= 1
                        if waiting[child] == 0:
                            unblocked.append(child)
                ready = sorted(unblocked, key=position.__getitem__)
            if len(order) != len(self.nodes):
                self._refuse_cycle()
            self._order = order
        return self._order

    def _refuse_cycle(self) -> None:
        sorter = graphlib.TopologicalSorter({n.name: self.parents(n) for n in self.nodes})
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            raise CycleError(
                f"Pipeline '{self.name}' has a cycle: {self._describe_cycle(exc.args[1])}",
                hint="a node cannot depend, even indirectly, on its own output",
            ) from None

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

    # Walks -------------------------------------------------------------------------------
    # Loops with a stack, never recursion: a chain of 100,000 nodes must not reach Python's
    # recursion limit. Every walk of the runtime goes through these two.
    def upstream_of(
        self, names: Iterable[str], *, follow: Callable[[Node, str, str], bool] | None = None
    ) -> set[str]:
        """Names of the nodes the named ones depend on, directly or through others (the
        named nodes themselves not counted).

        Args:
            names: Names of nodes of this pipeline to start from.
            follow: Called as ``follow(consumer, dataset, producer)`` for each input of a
                reached node whose producer is not reached yet; only the links it accepts
                are walked (default: every link). Calls come depth first, the inputs of a
                node in their order, the named nodes last to first.
        """
        start = list(names)
        seen, found, stack = set(start), set(), [self._by_name[n] for n in start]
        while stack:
            item = stack.pop()
            for dataset in item.dataset_inputs:
                producer = self.producers.get(dataset)
                if producer is None or producer in seen:
                    continue
                if follow is None or follow(item, dataset, producer):
                    seen.add(producer)
                    found.add(producer)
                    stack.append(self._by_name[producer])
        return found

    def downstream_of(self, names: Iterable[str]) -> set[str]:
        """Names of the nodes that depend on the named ones, directly or through others (the
        named nodes themselves not counted).

        Args:
            names: Names of nodes of this pipeline to start from.
        """
        children = self._children_of()
        start = list(names)
        seen, found, stack = set(start), set(), start
        while stack:
            for child in children[stack.pop()]:
                if child not in seen:
                    seen.add(child)
                    found.add(child)
                    stack.append(child)
        return found

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
        wanted = self._known(names)
        return self._subset(wanted | self.downstream_of(wanted))

    def to_nodes(self, names: Iterable[str]) -> Pipeline:
        """The named nodes and everything upstream of them.

        Args:
            names: Node names.

        Raises:
            PipelineError: A name is not a node of this pipeline (with a "did you mean").
        """
        wanted = self._known(names)
        return self._subset(wanted | self.upstream_of(wanted))

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
                raise PipelineError(
                    f"Pipeline '{self.name}' has no node '{name}'",
                    hint=did_you_mean(name, self._by_name) or "list them: aether viz",
                )
        return wanted

    def _subset(self, names: set[str]) -> Pipeline:
        return Pipeline([n for n in self.nodes if n.name in names], self.name, self.description)
