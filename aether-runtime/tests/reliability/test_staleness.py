"""Staleness: one truth per asset across pipelines, custom datasets, large parameters, scale.

Each case drives the real CLI against a small project and names the guarantee it holds.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from .conftest import (
    assert_no_traceback,
    assert_refused,
    assert_unchanged,
    snapshot,
)

# The fixture's two nodes split into two pipelines: `report` reads what `prep` produces.
TWO_PIPELINES = """\
pipelines:
  prep:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
  report:
    nodes:
      - name: total
        transformation: mini.nodes.total
        inputs: {rows: doubled}
        outputs: total
default: report
"""

# A dataset with only the documented minimum: _load/_save/_exists/_describe.
CUSTOM_DATASET = """\
from pathlib import Path

import pandas as pd

from aether import AbstractDataSet


class PlainCsv(AbstractDataSet):
    def __init__(self, filepath):
        self._path = Path(filepath)

    def _load(self):
        return pd.read_csv(self._path)

    def _save(self, data):
        self._path.parent.mkdir(parents=True, exist_ok=True)
        data.to_csv(self._path, index=False)

    def _exists(self):
        return self._path.exists()

    def _describe(self):
        return {"filepath": str(self._path)}
"""


def _custom(catalog: str, *names: str) -> str:
    for name in names:
        catalog = catalog.replace(
            f"{name}:\n  type: PandasCsvDataSet", f"{name}:\n  type: mini.custom.PlainCsv"
        )
    return catalog


def _ok(result) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert_no_traceback(result)
    return output


def _statuses(aether, project, *args: str) -> dict[str, dict]:
    result = aether(project, "status", "--json", *args)
    _ok(result)
    return {a["name"]: a for a in json.loads(result.stdout)["assets"]}


# Custom datasets --------------------------------------------------------------------------
def test_a_custom_output_without_hooks_is_not_rebuilt_on_every_run(make_project, aether):
    """A custom dataset with only _load/_save/_exists/_describe is fresh on Aether's record:
    a second run rebuilds nothing and writes no data."""
    project = make_project(
        "custom_output",
        catalog=lambda text: _custom(text, "doubled", "total"),
        files={"src/mini/custom.py": CUSTOM_DATASET},
    )
    _ok(aether(project, "run"))
    before = snapshot(project, include_state=False)
    second = aether(project, "run")
    output = _ok(second)
    assert "modified outside Aether" not in output
    assert "everything is fresh" in output, output
    assert_unchanged(before, snapshot(project, include_state=False))
    assert {a["status"] for a in _statuses(aether, project).values()} == {"fresh"}


def test_a_custom_output_is_cut_off_when_its_rebuilt_input_came_out_unchanged(make_project, aether):
    """Early cutoff holds for a custom output too: when its input is rebuilt with the same
    content, the custom output is not rewritten."""
    project = make_project(
        "custom_cutoff",
        catalog=lambda text: _custom(text, "total"),
        files={"src/mini/custom.py": CUSTOM_DATASET},
    )
    _ok(aether(project, "run"))
    (project / "data/01_raw/numbers.csv").write_text("n\n1\n2\n3")  # same rows, new bytes
    before = snapshot(project / "data/03_primary", include_state=False)
    output = _ok(aether(project, "run"))
    assert "early cutoff" in output, output
    assert_unchanged(before, snapshot(project / "data/03_primary", include_state=False))


def test_a_deleted_custom_output_is_still_missing(make_project, aether):
    """Trusting the record stops where exists() says the data is gone: missing, rebuilt."""
    project = make_project(
        "custom_output_gone",
        catalog=lambda text: _custom(text, "total"),
        files={"src/mini/custom.py": CUSTOM_DATASET},
    )
    _ok(aether(project, "run"))
    (project / "data/03_primary/total.csv").unlink()
    assert _statuses(aether, project)["total"]["status"] == "missing"
    _ok(aether(project, "run"))
    assert (project / "data/03_primary/total.csv").read_text() == "total\n12\n"


def test_a_custom_source_without_hooks_is_not_a_new_version_on_every_status(make_project, aether):
    """A source that Aether cannot observe (no signature, no content hash) keeps one
    version: looking at its status again records nothing, and nothing downstream rebuilds."""
    project = make_project(
        "custom_source",
        catalog=lambda text: _custom(text, "numbers"),
        files={"src/mini/custom.py": CUSTOM_DATASET},
    )
    _ok(aether(project, "run"))
    _ok(aether(project, "status"))
    before = snapshot(project)
    _ok(aether(project, "status"))
    assert_unchanged(before, snapshot(project))
    assert "everything is fresh" in _ok(aether(project, "run"))


def test_describe_says_when_outside_changes_are_not_detected(make_project, aether):
    """`catalog describe` tells a custom dataset without signature() that Aether cannot see
    outside changes to it, and what to implement; built-in file datasets detect them."""
    project = make_project(
        "custom_describe",
        catalog=lambda text: _custom(text, "total"),
        files={"src/mini/custom.py": CUSTOM_DATASET},
    )
    custom = json.loads(_ok_stdout(aether(project, "catalog", "describe", "total", "--json")))
    assert custom["outside_changes"].startswith("not detected: implement signature()")
    builtin = json.loads(_ok_stdout(aether(project, "catalog", "describe", "numbers", "--json")))
    assert builtin["outside_changes"].startswith("detected by signature()")
    assert "not detected: implement signature()" in _ok(
        aether(project, "catalog", "describe", "total")
    )


def _ok_stdout(result) -> str:
    _ok(result)
    return result.stdout


# One truth per asset, project-wide ---------------------------------------------------------
def test_two_producers_of_one_asset_across_pipelines_are_refused(make_project, aether):
    """Two different nodes producing one dataset in two pipelines: exit 2 naming the
    dataset, both nodes and both pipelines, before anything is written."""
    pipeline = TWO_PIPELINES + "  # second producer below\n"
    pipeline = pipeline.replace(
        "default: report",
        "  again:\n    nodes:\n      - name: redo\n        transformation: mini.nodes.passthrough\n"
        "        inputs: {rows: numbers}\n        outputs: doubled\ndefault: report",
    )
    project = make_project("two_producers", pipeline=pipeline)
    before = snapshot(project)
    for command in (["run"], ["status"], ["viz", "--format", "json"], ["lineage", "total"]):
        result = aether(project, *command)
        assert_refused(result, project, before, "doubled", "double", "redo", "prep", "again")


def test_one_node_name_with_two_definitions_across_pipelines_is_refused(make_project, aether):
    """A node name shared by two pipelines must be one definition: different ones are
    exit 2 naming the node, both pipelines and what differs."""
    pipeline = TWO_PIPELINES.replace(
        "default: report",
        "  other:\n    nodes:\n      - name: double\n        transformation: mini.nodes.double\n"
        "        inputs: {rows: numbers, factor: params:factor}\n        outputs: doubled\n"
        "        tags: [different]\ndefault: report",
    )
    project = make_project("two_definitions", pipeline=pipeline)
    before = snapshot(project)
    line = assert_refused(aether(project, "run"), project, before, "double", "prep", "other")
    assert "tags" in line


def test_a_node_shared_by_two_pipelines_is_one_node(make_project, aether):
    """Pipelines may share a node (same name, same definition): it runs once and its
    asset has one status."""
    pipeline = TWO_PIPELINES.replace(
        "  report:\n    nodes:\n",
        "  report:\n    nodes:\n      - name: double\n        transformation: mini.nodes.double\n"
        "        inputs: {rows: numbers, factor: params:factor}\n        outputs: doubled\n",
    )
    project = make_project("shared_node", pipeline=pipeline)
    output = _ok(aether(project, "run", "--pipeline", "report"))
    assert "2 succeeded" in output, output
    statuses = _statuses(aether, project)
    assert statuses["doubled"]["status"] == "fresh"
    assert "everything is fresh" in _ok(aether(project, "run", "--pipeline", "prep"))


def test_a_cycle_made_only_by_two_pipelines_together_is_refused(make_project, aether):
    """Staleness is decided on the union of pipelines, so a cycle across two pipelines is
    exit 2 showing the cycle, and nothing runs."""
    pipeline = TWO_PIPELINES.replace(
        "inputs: {rows: numbers, factor: params:factor}",
        "inputs: {rows: total, factor: params:factor}",
    )
    project = make_project("cross_cycle", pipeline=pipeline)
    before = snapshot(project)
    commands = (
        ["run", "--pipeline", "prep"],
        ["status"],
        ["viz", "--format", "json"],
        ["validate"],
    )
    for command in commands:
        assert_refused(aether(project, *command), project, before, "cycle", "double", "total")


def test_status_never_shows_an_asset_of_another_pipeline_as_a_source(make_project, aether):
    """`aether status` shows every asset of the project; --pipeline only filters the rows:
    an asset another pipeline produces is never '(source)' and keeps its verdict."""
    project = make_project("status_union", pipeline=TWO_PIPELINES)
    _ok(aether(project, "run", "--pipeline", "prep"))
    everything = _statuses(aether, project)
    assert set(everything) == {"numbers", "doubled", "total"}
    assert everything["doubled"]["source"] is False
    assert everything["total"]["status"] == "missing"
    report = _statuses(aether, project, "--pipeline", "report")
    assert set(report) == {"doubled", "total"}
    for name, status in report.items():
        assert status == everything[name]
    table = _ok(aether(project, "status", "--pipeline", "report"))
    assert "(source)" not in table, table


def test_a_run_builds_stale_inputs_made_by_another_pipeline_first(make_project, aether):
    """`aether run --pipeline report` never consumes a stale input made by pipeline prep:
    --dry-run names the producer and why; the run builds it first, so the report is right."""
    project = make_project("run_union", pipeline=TWO_PIPELINES)
    _ok(aether(project, "run", "--pipeline", "prep"))
    _ok(aether(project, "run", "--pipeline", "report"))
    (project / "conf/base/parameters.yml").write_text("factor: 10\n")
    before = snapshot(project)
    dry = _ok(aether(project, "run", "--pipeline", "report", "--dry-run"))
    assert "needed by total: doubled is stale (parameter factor changed from 2 to 10)" in dry
    assert "made in pipeline prep" in dry
    assert_unchanged(before, snapshot(project))
    ran = _ok(aether(project, "run", "--pipeline", "report"))
    assert "needed by total" in ran, ran
    assert (project / "data/03_primary/total.csv").read_text() == "total\n60\n"
    assert {s["status"] for s in _statuses(aether, project).values()} == {"fresh"}


def _without_doubled(catalog: str) -> str:
    """The fixture catalog with ``doubled`` undeclared: an in-memory dataset."""
    return catalog.replace(
        "doubled:\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/doubled.csv\n", ""
    )


def test_an_in_memory_input_made_by_another_pipeline_is_computed_not_refused(make_project, aether):
    """A pipeline may read an in-memory dataset another pipeline makes: validate accepts it,
    and `run --pipeline report` runs its producer too, saying why."""
    project = make_project("memory_union", catalog=_without_doubled, pipeline=TWO_PIPELINES)
    _ok(aether(project, "validate"))
    ran = _ok(aether(project, "run", "--pipeline", "report"))
    assert "needed by total: doubled is held in memory; made in pipeline prep" in ran, ran
    assert (project / "data/03_primary/total.csv").read_text() == "total\n12\n"


def test_lineage_and_viz_follow_assets_across_pipelines(make_project, aether):
    """Lineage and viz draw an asset made by another pipeline as produced (by its node),
    never as a source, whichever pipeline is asked for."""
    project = make_project("lineage_union", pipeline=TWO_PIPELINES)
    tree = json.loads(_ok_stdout(aether(project, "lineage", "total", "--json")))
    assert tree["children"][0]["dataset"] == "doubled"
    assert tree["children"][0]["children"][0] == {"dataset": "numbers", "node": "double"}
    text = _ok(aether(project, "lineage", "total", "--pipeline", "report"))
    assert "doubled asset" in text and "via node double" in text, text
    dag = json.loads(_ok_stdout(aether(project, "viz", "--format", "json", "--pipeline", "report")))
    kinds = {n["name"]: n["kind"] for n in dag["nodes"] if n["kind"] != "task"}
    assert kinds == {"doubled": "dataset", "total": "dataset"}


# Large parameters --------------------------------------------------------------------------
def test_a_large_parameter_is_stored_as_a_fingerprint(make_project, aether):
    """The state database keeps a parameter value only up to a small size, a fingerprint
    beyond it; a change to a large value still makes the node stale, and says so."""
    big = [f"item-{i:05d}" for i in range(2000)]
    pipeline = TWO_PIPELINES.replace(
        "factor: params:factor}", "factor: params:factor, extra: params:big}"
    )
    nodes_extra = (
        "\n\ndef double_big(rows, factor, extra):\n    return rows.assign(n=rows['n'] * factor)\n"
    )
    project = make_project(
        "big_param",
        pipeline=pipeline.replace("mini.nodes.double\n", "mini.nodes_big.double_big\n"),
        parameters=f"factor: 2\nbig: {{list: {json.dumps(big)}}}\n",
        files={"src/mini/nodes_big.py": nodes_extra},
    )
    _ok(aether(project, "run", "--pipeline", "prep"))
    state = (project / ".aether/state.db").read_bytes()
    assert b"item-01999" not in state
    assert len(state) < 200_000
    with sqlite3.connect(project / ".aether/state.db") as db:
        stored = " ".join(str(row) for row in db.execute("select * from materializations"))
    assert "item-01999" not in stored
    big[-1] = "changed"
    (project / "conf/base/parameters.yml").write_text(
        f"factor: 2\nbig: {{list: {json.dumps(big)}}}\n"
    )
    doubled = _statuses(aether, project)["doubled"]
    assert doubled["status"] == "stale"
    assert doubled["reason"] == "parameter big.list changed (value too large to show)"


# Scale ------------------------------------------------------------------------------------
CHAIN = 100_000
SCALE_TIMEOUT = 600  # seconds per command: the machine is shared; speed is `make bench`'s job


def _chain_pipeline(length: int) -> str:
    """pipeline.yml for ``numbers -> s0 -> m0 -> s1 -> ... -> result``, written as JSON
    (valid YAML): quoted scalars parse in seconds where 100,000 plain ones take half a minute."""
    nodes = [
        {
            "name": f"s{i}",
            "transformation": "mini.nodes.passthrough",
            "inputs": ["numbers" if i == 0 else f"m{i - 1}"],
            "outputs": "result" if i == length - 1 else f"m{i}",
        }
        for i in range(length)
    ]
    return json.dumps({"pipelines": {"chain": {"nodes": nodes}}}, indent=0)


@pytest.mark.slow
def test_a_chain_of_100000_nodes_works_in_run_status_lineage_and_viz(
    tmp_path, make_project, aether
):
    """A DAG of 100,000 chained nodes (in memory, one CSV at the end) runs, and status,
    lineage and viz work on it: nothing is walked by recursion."""
    catalog = (
        "numbers:\n  type: PandasCsvDataSet\n  filepath: data/01_raw/numbers.csv\n"
        "result:\n  type: PandasCsvDataSet\n  filepath: data/03_primary/result.csv\n"
    )
    project = make_project("chain", catalog=catalog, pipeline=_chain_pipeline(CHAIN))

    def cli(*args: str) -> str:
        result = aether(project, *args, timeout=SCALE_TIMEOUT)
        _ok(result)
        return result.stdout

    cli("run")
    assert (project / "data/03_primary/result.csv").read_text() == "n\n1\n2\n3\n"
    statuses = json.loads(cli("status", "--json"))["assets"]
    assert {s["name"]: s["status"] for s in statuses} == {"numbers": "fresh", "result": "fresh"}
    deep = json.loads(cli("lineage", "numbers", "--downstream", "--json", "--depth", "300"))
    depth, entry = 0, deep
    while "children" in entry:
        depth, entry = depth + 1, entry["children"][0]
    assert (depth, entry["dataset"], entry["truncated"]) == (300, "m299", True)
    whole = cli("lineage", "result", "--json", "--depth", str(CHAIN + 1))
    assert whole.count('"children"') == CHAIN and '{"dataset": "numbers", "node": "s0"}' in whole
    assert "(deeper levels cut: aether lineage m4)" in cli(
        "lineage", "numbers", "--downstream", "--depth", "5"
    )
    assert "m0 in memory  via node s0" in cli("lineage", "numbers", "--downstream")
    out = tmp_path / "dag.json"
    cli("viz", "--format", "json", "--output", str(out))
    dag = json.loads(out.read_text())
    assert sum(1 for n in dag["nodes"] if n["kind"] == "task") == CHAIN
    assert "everything is fresh" in cli("run")


# Code hash --------------------------------------------------------------------------------
LOOKUP_HELPER = """\
LOOKUP = {}
LOOKUP.update(a=111)
LOOKUP["b"] = 1000
for k in ("c",):
    LOOKUP[k] = 5


def mult(n):
    return n * LOOKUP["a"] + LOOKUP["b"]
"""

SCALED_NODES = """\
from mini.helper import mult


def double(rows, factor):
    return rows.assign(n=rows["n"].map(mult) * factor)
"""


def test_editing_a_module_level_statement_of_a_helper_makes_the_node_stale(make_project, aether):
    """A helper's ``LOOKUP["b"] = ...`` runs at import and changes what the node computes:
    editing it makes the node stale in status and --dry-run, and the run rebuilds it."""
    project = make_project(
        "module_statements",
        pipeline=lambda text: text.replace("mini.nodes.double", "mini.scaled.double"),
        files={"src/mini/helper.py": LOOKUP_HELPER, "src/mini/scaled.py": SCALED_NODES},
    )
    _ok(aether(project, "run"))
    helper = project / "src/mini/helper.py"
    helper.write_text(LOOKUP_HELPER.replace('LOOKUP["b"] = 1000', 'LOOKUP["b"] = 2000'))

    assert _statuses(aether, project)["doubled"]["status"] == "stale"
    dry = _ok(aether(project, "run", "--dry-run"))
    assert "code changed in double" in dry, dry
    _ok(aether(project, "run"))
    # (1*111 + 2000) + (2*111 + 2000) + (3*111 + 2000), doubled
    assert (project / "data/03_primary/total.csv").read_text() == "total\n13332\n"


LAZY_NODES = """\
def double(rows, factor):
    from mini.helper import mult  # imported here, as one keeps a heavy import lazy

    return rows.assign(n=rows["n"].map(mult) * factor)
"""


def test_editing_a_helper_imported_inside_the_node_makes_it_stale(make_project, aether):
    """A helper imported inside the node's function is its code as much as one imported at
    the top: editing it makes the node stale in status and --dry-run, and the run rebuilds."""
    project = make_project(
        "lazy_import",
        pipeline=lambda text: text.replace("mini.nodes.double", "mini.lazy.double"),
        files={"src/mini/helper.py": LOOKUP_HELPER, "src/mini/lazy.py": LAZY_NODES},
    )
    _ok(aether(project, "run"))
    assert _statuses(aether, project)["doubled"]["status"] == "fresh"
    helper = project / "src/mini/helper.py"
    helper.write_text(LOOKUP_HELPER.replace("return n * LOOKUP", "return 2 * n * LOOKUP"))

    assert _statuses(aether, project)["doubled"]["status"] == "stale"
    dry = _ok(aether(project, "run", "--dry-run"))
    assert "code changed in double" in dry, dry
    _ok(aether(project, "run"))
    # (2*1*111 + 1000) + (2*2*111 + 1000) + (2*3*111 + 1000), doubled
    assert (project / "data/03_primary/total.csv").read_text() == "total\n8664\n"


def test_a_missing_source_holds_its_readers_back_and_says_what_to_do(make_project, aether):
    """A source whose file is not there (a `filepath:` typo, data not arrived) is shown
    missing by status; a run does not start the nodes reading it (they could only fail),
    holds them back with the source named, exits 1 and says how to fix it; the outputs
    they made before stay as they were."""
    project = make_project("missing_source")
    _ok(aether(project, "run"))
    before = (project / "data/03_primary/total.csv").read_text()
    (project / "data/01_raw/numbers.csv").rename(project / "data/01_raw/numbers.bak")

    assert _statuses(aether, project)["numbers"]["status"] == "missing"
    dry = _ok(aether(project, "run", "--dry-run", "--force"))
    assert "held back" in dry and "source numbers is missing" in dry, dry
    result = aether(project, "run", "--force")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "source numbers is missing: the source data is not there" in result.stdout
    assert "not run because a source they read is missing: double, total" in result.stdout
    assert "fix its filepath" in result.stdout
    assert "failed" not in result.stdout.split("not run because")[0].split("\n", 1)[1]
    assert (project / "data/03_primary/total.csv").read_text() == before
