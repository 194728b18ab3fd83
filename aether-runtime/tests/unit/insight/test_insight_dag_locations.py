"""Positions of nodes in pipeline.yml and of parameters in parameters.yml, for the DAG."""

from __future__ import annotations

from pathlib import Path

from aether.insight.dag_locations import node_lines, param_locations

PIPELINES = """\
pipelines:
  ingest:
    nodes:
      - name: shared
        transformation: pkg.a.f
      - transformation: pkg.a.g
        name: "quoted.name"
  report:
    nodes:
      - name: shared
        transformation: pkg.a.f
default: ingest
"""


def test_node_lines_prefer_the_pipeline_drawn(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(PIPELINES)
    assert node_lines(path, "conf/base/pipeline.yml", "report") == {
        "shared": "conf/base/pipeline.yml:10",
        "quoted.name": "conf/base/pipeline.yml:7",
    }
    assert node_lines(path, "p.yml", "ingest")["shared"] == "p.yml:4"
    assert node_lines(path, "p.yml")["shared"] == "p.yml:4"  # none preferred: the first


def test_node_lines_of_a_file_without_pipelines_or_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text("pipelines: [not, a, mapping]\n")
    assert node_lines(path, "p.yml") == {}
    assert node_lines(tmp_path / "missing.yml", "p.yml") == {}


def test_param_locations_follow_the_layer_that_sets_the_value(tmp_path: Path) -> None:
    base = tmp_path / "base.yml"
    base.write_text("a:\n  b:\n    c: 1\n  d: 2\nflat: 3\n")
    local = tmp_path / "local.yml"
    local.write_text("\na:\n  d: 5\n")
    files = [(base, "conf/base/parameters.yml"), (local, "conf/local/parameters.yml")]
    found = param_locations(files, ["a.b.c", "a.d", "flat", "a.nope", "*"])
    assert found == {
        "a.b.c": "conf/base/parameters.yml:3",
        "a.d": "conf/local/parameters.yml:3",
        "flat": "conf/base/parameters.yml:5",
        "*": "conf/local/parameters.yml",
    }
