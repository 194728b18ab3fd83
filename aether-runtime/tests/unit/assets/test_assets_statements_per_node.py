"""A run costs a bounded number of SQLite statements per node: a node's records are written
in two transactions (its attempt, then its outputs), and the heads it commits are never read
back. Counted with SQLite's own trace of executed statements, on chains of two lengths so
the run's fixed cost cancels out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aether.run import run_pipeline
from aether.state.sqlite import SQLiteStateStore

# BEGIN + INSERT + COMMIT for the attempt; BEGIN + UPDATE + INSERT x2 + DELETE + COMMIT to
# commit one output; on a first run, the asset's first status transition (one row of a batch).
# Reading heads back before and after each node (two more per node) is gone.
MOST_STATEMENTS_PER_NODE = 10


def _chain(length: int) -> dict[str, str]:
    catalog = "numbers:\n  type: PandasCsvDataSet\n  filepath: data/01_raw/numbers.csv\n"
    nodes, previous = [], "numbers"
    for index in range(length):
        name = f"step_{index}"
        catalog += (
            f"{name}:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/{name}.csv\n"
        )
        nodes.append(
            f"      - name: n_{name}\n        transformation: mini.nodes.passthrough\n"
            f"        inputs: {{rows: {previous}}}\n        outputs: {name}\n"
        )
        previous = name
    pipeline = "pipelines:\n  main:\n    nodes:\n" + "".join(nodes) + "default: main\n"
    return {"catalog": catalog, "pipeline": pipeline}


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement any state store of this process executes."""
    executed: list[str] = []
    prepare = SQLiteStateStore._prepare

    def traced(store: SQLiteStateStore) -> None:
        prepare(store)
        store._conn.set_trace_callback(executed.append)

    monkeypatch.setattr(SQLiteStateStore, "_prepare", traced)
    return executed


def test_a_node_costs_a_bounded_number_of_statements(
    make_project: Callable[..., Path], statements: list[str]
) -> None:
    counts = []
    for length in (2, 12):
        project = make_project(f"chain_{length}", **_chain(length))
        statements.clear()
        assert run_pipeline(project, wait_for_lock=False).succeeded
        # A trigger's statements run inside SQLite (the state store's generation counter),
        # not as round trips from Aether; Python's trace repeats the statement that fired
        # it for each, so repeats in a row are counted once.
        issued = [s for i, s in enumerate(statements) if i == 0 or statements[i - 1] != s]
        counts.append(len(issued))

    per_node = (counts[1] - counts[0]) / 10
    assert per_node <= MOST_STATEMENTS_PER_NODE, statements[-40:]
