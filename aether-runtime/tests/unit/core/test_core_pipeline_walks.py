"""The graph walks every part of the runtime uses (`Pipeline.upstream_of`,
`downstream_of`): what they reach, what a `follow` filter keeps out, and a 100,000-node
chain, which a recursive walk could not take (Python's recursion limit is ~1,000)."""

from __future__ import annotations

import sys
from typing import Any

from aether.pipeline import Node, Pipeline, node


def _f(*args: Any, **kwargs: Any) -> Any:
    return None


def _diamond() -> Pipeline:
    """raw -> clean -> (report, stats) -> summary; ``audit`` is independent."""
    return Pipeline(
        [
            node(_f, "raw", "clean", name="clean"),
            node(_f, "clean", "report", name="report"),
            node(_f, "clean", "stats", name="stats"),
            node(_f, ["report", "stats"], "summary", name="summarise"),
            node(_f, "other", "audit_log", name="audit"),
        ],
        name="p",
    )


def test_upstream_of_is_every_producer_above_the_named_nodes_not_themselves() -> None:
    pipeline = _diamond()

    assert pipeline.upstream_of(["summarise"]) == {"report", "stats", "clean"}
    assert pipeline.upstream_of(["clean", "audit"]) == set()
    assert pipeline.upstream_of(["summarise", "report"]) == {"stats", "clean"}


def test_downstream_of_is_every_consumer_below_the_named_nodes_not_themselves() -> None:
    pipeline = _diamond()

    assert pipeline.downstream_of(["clean"]) == {"report", "stats", "summarise"}
    assert pipeline.downstream_of(["summarise"]) == set()
    assert pipeline.downstream_of(["clean", "report"]) == {"stats", "summarise"}


def test_follow_decides_which_links_are_walked_and_sees_each_one() -> None:
    pipeline = _diamond()
    asked: list[tuple[str, str, str]] = []

    def follow(consumer: Node, dataset: str, producer: str) -> bool:
        asked.append((consumer.name, dataset, producer))
        return dataset != "stats"  # the stats link is cut: only report leads on to clean

    reached = pipeline.upstream_of(["summarise"], follow=follow)

    assert reached == {"report", "clean"}
    assert asked == [
        ("summarise", "report", "report"),
        ("summarise", "stats", "stats"),
        ("report", "clean", "clean"),
    ]


def test_a_link_refused_once_may_be_walked_through_another_consumer() -> None:
    pipeline = _diamond()

    def follow(consumer: Node, dataset: str, producer: str) -> bool:
        return consumer.name != "report"

    assert pipeline.upstream_of(["summarise"], follow=follow) == {"report", "stats", "clean"}


def test_a_100_000_node_chain_is_walked_without_recursion() -> None:
    size = 100_000
    assert sys.getrecursionlimit() < size
    chain = Pipeline(
        [node(_f, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(size)], name="chain"
    )

    assert len(chain.upstream_of([f"n{size - 1}"])) == size - 1
    assert len(chain.downstream_of(["n0"])) == size - 1
    assert len(chain.to_nodes([f"n{size // 2}"])) == size // 2 + 1
    assert len(chain.from_nodes([f"n{size // 2}"])) == size // 2
    assert chain.toposorted()[-1].name == f"n{size - 1}"
