"""Publishing a node's staged outputs together, and repairing a publish cut short.

Real JSON files under tmp_path and the in-memory state store; a "crash" is a journal written
and only some of its renames done, which is exactly what a SIGKILL between them leaves.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aether.catalog import DataCatalog
from aether.datasets.json import JsonDataSet
from aether.engine.execution import NodeOutcome
from aether.engine.publication import (
    INTERRUPTED_MESSAGE,
    publish_outputs,
    repair_interrupted_publishes,
)
from aether.errors import DataSetError
from aether.state import InMemoryStateStore, Materialization, PublishJournal


def catalog_of(folder: Path, names: list[str]) -> DataCatalog:
    return DataCatalog({n: JsonDataSet(filepath=str(folder / f"{n}.json")) for n in names})


def staged_outcome(catalog: DataCatalog, names: list[str], value: str) -> NodeOutcome:
    outcome = NodeOutcome("make", 0.0, saved=tuple(names), fingerprint="fp")
    for name in names:
        staged = catalog.get(name).stage({"value": value})
        assert staged is not None
        outcome.staged[name] = staged
        outcome.versions[name] = staged.content_hash or "fingerprint:fp"
    return outcome


def journal_of(attempt: int, outcome: NodeOutcome) -> PublishJournal:
    return PublishJournal(
        attempt,
        "make",
        {n: dataclasses.asdict(s) for n, s in outcome.staged.items()},
        tuple(
            Materialization(n, "make", "run-1", 1.0, 2.0, "fp", {}, outcome.versions[n])
            for n in outcome.staged
        ),
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def test_publishing_puts_every_output_in_place_and_reads_their_versions(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, ["a", "b"])
    outcome = staged_outcome(catalog, ["a", "b"], "new")

    published = publish_outputs(outcome, catalog)

    assert [catalog.load(n) for n in ("a", "b")] == [{"value": "new"}] * 2
    assert published.staged == {}
    assert published.signatures["b"] == catalog.get("b").signature()
    assert published.versions["a"] == catalog.get("a").content_hash()
    assert leftovers(tmp_path) == []


def test_a_failed_rename_does_not_stop_the_others_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    catalog = catalog_of(tmp_path, ["a", "b", "c"])
    outcome = staged_outcome(catalog, ["a", "b", "c"], "new")
    (tmp_path / "b.json").mkdir()  # a non-empty folder where b goes: its rename fails
    (tmp_path / "b.json" / "keep").write_text("x")

    with pytest.raises(DataSetError, match="Failed to publish dataset 'b'"):
        publish_outputs(outcome, catalog)

    assert catalog.load("a") == catalog.load("c") == {"value": "new"}
    assert leftovers(tmp_path) == []


@settings(max_examples=25, deadline=None)
@given(outputs=st.integers(2, 5), data=st.data())
def test_a_crash_after_any_number_of_renames_is_finished_and_committed(
    outputs: int, data: st.DataObject
) -> None:
    names = [f"out{i}" for i in range(outputs)]
    done = data.draw(st.integers(0, outputs), label="renames done before the crash")
    with tempfile.TemporaryDirectory() as folder:
        catalog = catalog_of(Path(folder), names)
        for name in names:
            catalog.save(name, {"value": "old"})
        store = InMemoryStateStore()
        attempt = store.begin_attempt("run-1", "make")
        outcome = staged_outcome(catalog, names, "new")
        store.record_publish_journal(journal_of(attempt, outcome))
        for name in names[:done]:
            catalog.get(name).publish(outcome.staged[name])

        repairs = repair_interrupted_publishes(store, catalog_of(Path(folder), names))

        assert [(r.node, r.completed) for r in repairs] == [("make", True)]
        assert [catalog_of(Path(folder), names).load(n) for n in names] == [{"value": "new"}] * (
            outputs
        )
        heads = store.heads()
        assert {heads[n].status for n in names} == {"ok"}
        assert all(heads[n].materialization.signature is not None for n in names)  # type: ignore[union-attr]
        assert [a.status for a in store.attempts()] == ["succeeded"]
        assert store.publish_journals() == []
        assert leftovers(Path(folder)) == []


def test_an_output_neither_staged_nor_in_place_fails_the_node(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, ["a", "b"])
    store = InMemoryStateStore()
    attempt = store.begin_attempt("run-1", "make")
    outcome = staged_outcome(catalog, ["a", "b"], "new")
    store.record_publish_journal(journal_of(attempt, outcome))
    catalog.get("a").publish(outcome.staged["a"])
    catalog.get("b").discard(outcome.staged["b"])  # b's copy lost, and b never existed

    repairs = repair_interrupted_publishes(store, catalog)

    assert [r.completed for r in repairs] == [False]
    heads = store.heads()
    assert {heads[n].status for n in ("a", "b")} == {"failed"}
    assert heads["a"].error == INTERRUPTED_MESSAGE
    assert [a.status for a in store.attempts()] == ["failed"]
    assert store.publish_journals() == []


def test_a_journal_whose_attempt_already_finished_is_only_forgotten(tmp_path: Path) -> None:
    catalog = catalog_of(tmp_path, ["a", "b"])
    store = InMemoryStateStore()
    attempt = store.begin_attempt("run-1", "make")
    outcome = staged_outcome(catalog, ["a", "b"], "new")
    store.record_publish_journal(journal_of(attempt, outcome))
    store.abort_running_attempts()

    repairs = repair_interrupted_publishes(store, catalog)

    assert [r.completed for r in repairs] == [False]
    assert store.heads() == {}
    assert store.publish_journals() == []
