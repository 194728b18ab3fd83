"""The DAG as data (``aether.dag/v1`` JSON), as Mermaid, or as one self-contained HTML page.

The JSON is the contract for tools (the VS Code extension draws it): nodes are datasets,
sources, tasks and parameters with their status; edges follow the data. Output is sorted so
it diffs cleanly.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from aether.assets.status import AssetStatus, NodeState
from aether.catalog import DataCatalog
from aether.checks import parse_checks
from aether.errors import AetherError
from aether.pipeline import Node, Pipeline
from aether.state.base import CheckResult
from aether.support.redaction import redact_mapping, redact_url
from aether.support.suggestions import did_you_mean
from aether.verdicts import Reason

SCHEMA = "aether.dag/v1"
MERMAID_MAX_EDGES = 500
# Mermaid's default maxTextSize: past it, it draws an error box instead of the chart.
MERMAID_MAX_CHARS = 50_000


def dag_json(
    pipeline: Pipeline,
    catalog: DataCatalog,
    statuses: Mapping[str, AssetStatus],
    node_states: Mapping[str, NodeState],
    project_path: Path,
    project: Pipeline | None = None,
    *,
    pipeline_lines: Mapping[str, str] | None = None,
    param_lines: Mapping[str, str] | None = None,
    check_results: Mapping[str, Sequence[CheckResult]] | None = None,
) -> dict[str, Any]:
    """The pipeline as ``{"schema", "pipeline", "nodes": [...], "edges": [...]}``.

    ``project`` (the union of all pipelines) decides what is a source: a dataset another
    pipeline produces is drawn as a dataset, not a source. Secrets are masked in every field
    (reasons quote recorded errors), so the Mermaid and HTML renderings built from it are
    masked too.

    Args:
        pipeline: The pipeline drawn.
        catalog: The project's catalog (entries are read, no dataset is built).
        statuses: Each asset's status, as ``aether status`` judges it.
        node_states: Each node's status.
        project_path: The project root; code locations are relative to it.
        project: The union of all pipelines (what is a source).
        pipeline_lines: Node name to ``conf/base/pipeline.yml:LINE`` of its ``name:``.
        param_lines: Dotted parameter key to ``conf/<env>/parameters.yml:LINE``.
        check_results: Asset name to the state store's last result of each check.
    """
    producers = (project or pipeline).producers
    # Many nodes share a transformation: find each one's file and line once.
    locations: dict[str, str | None] = {}
    nodes: dict[str, dict[str, Any]] = {}
    edges: set[tuple[str, str]] = set()
    for item in pipeline.nodes:
        task = f"task:{item.name}"
        path = item.transformation_path
        if path not in locations:
            locations[path] = code_location(path, project_path)
        nodes[task] = _task(item, node_states.get(item.name), locations[path])
        nodes[task]["location_in_pipeline"] = (pipeline_lines or {}).get(item.name)
        for put in item.inputs:
            if put.is_param:
                source = f"param:{put.param_key}"
                where = (param_lines or {}).get(put.param_key or "")
                nodes.setdefault(
                    source, {"id": source, "kind": "param", "name": put.source, "location": where}
                )
            else:
                source = f"dataset:{put.source}"
                if source not in nodes:
                    nodes[source] = _dataset(put.source, producers, catalog, statuses)
                    nodes[source]["check_results"] = _checks(put.source, catalog, check_results)
            edges.add((source, task))
        for output in item.outputs:
            target = f"dataset:{output}"
            if target not in nodes:
                nodes[target] = _dataset(output, producers, catalog, statuses)
                nodes[target]["check_results"] = _checks(output, catalog, check_results)
            edges.add((task, target))
    dag = {
        "schema": SCHEMA,
        "pipeline": pipeline.name,
        "nodes": [nodes[key] for key in sorted(nodes)],
        "edges": [{"source": s, "target": t} for s, t in sorted(edges)],
    }
    return redact_mapping(dag)


def _task(item: Node, state: NodeState | None, location: str | None) -> dict[str, Any]:
    return {
        "id": f"task:{item.name}",
        "kind": "task",
        "name": item.name,
        "type": item.transformation_path,
        "transformation": item.transformation_path,
        "group": _prefix(item.name),
        "tags": sorted(item.tags),
        "location": location,
        "status": state.status.value if state else None,
        "reason": _words(state.reason) if state else None,
    }


def _dataset(
    name: str,
    producers: Mapping[str, str],
    catalog: DataCatalog,
    statuses: Mapping[str, AssetStatus],
) -> dict[str, Any]:
    entry = catalog.entries.get(name)
    status = statuses.get(name)
    group = (entry.metadata.get("domain") or entry.metadata.get("layer")) if entry else None
    filepath = entry.arguments.get("filepath") if entry else None
    tags = entry.metadata.get("tags") if entry else None
    return {
        "id": f"dataset:{name}",
        "kind": "dataset" if name in producers else "source",
        "name": name,
        "type": entry.type_name if entry else "MemoryDataSet",
        "group": group or _prefix(name),
        "tags": sorted(str(tag) for tag in tags) if isinstance(tags, list) else [],
        # As written in catalog.yml (no ${...} resolved), and a URL's password masked.
        "filepath": redact_url(str(filepath)) if filepath is not None else None,
        "location": entry.where if entry else None,
        "checks": [_check_name(check) for check in entry.checks] if entry else [],
        "owner": entry.metadata.get("owner") if entry else None,
        "description": entry.metadata.get("description") if entry else None,
        "status": status.status.value if status else None,
        "reason": _words(status.reason) if status else None,
        "last_run": status.run_id if status else None,
    }


def _checks(
    name: str, catalog: DataCatalog, results: Mapping[str, Sequence[CheckResult]] | None
) -> list[dict[str, Any]]:
    """Each configured check of ``name`` with its last result; a check whose spec changed
    since (another hash) has not been run as written: ``passed`` is null."""
    entry = catalog.entries.get(name)
    if entry is None or not entry.checks:
        return []
    latest = {result.spec_hash: result for result in (results or {}).get(name, ())}
    found = []
    for spec in parse_checks(name, list(entry.checks), entry.where):
        result = latest.get(spec.spec_hash)
        found.append(
            {
                "name": spec.label,
                "severity": spec.severity,
                "passed": result.passed if result else None,
                "message": result.message if result else None,
                "checked_at": _iso(result.checked_at) if result else None,
            }
        )
    return found


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")


def _prefix(name: str) -> str | None:
    """``ingest`` for ``ingest.orders``: dotted names group by their namespace."""
    head, dot, _ = name.rpartition(".")
    return head if dot else None


def _check_name(check: Any) -> str:
    if isinstance(check, Mapping):
        return str(check.get("name") or check.get("type") or next(iter(check), "check"))
    return str(check)


def focus(dag: dict[str, Any], node: str, depth: int) -> dict[str, Any]:
    """The part of ``dag`` within ``depth`` edges of ``node``, either direction.

    ``node`` is an id (``task:clean_orders``) or a bare name; a name both a task and a
    dataset carry means the dataset. Breadth-first with a queue: no recursion on depth.
    """
    if depth < 0:
        raise AetherError(f"--depth must be 0 or more, not {depth}", hint="try --depth 2")
    ids = {item["id"] for item in dag["nodes"]}
    names = {item["name"]: item["id"] for item in dag["nodes"] if item["kind"] != "task"}
    tasks = {item["name"]: item["id"] for item in dag["nodes"] if item["kind"] == "task"}
    start = node if node in ids else names.get(node) or tasks.get(node)
    if start is None:
        known = sorted({*ids, *names, *tasks})
        raise AetherError(
            f"Unknown node '{node}' for --focus",
            hint=did_you_mean(node, known) or "list the nodes: aether viz --format json",
        )
    neighbours: dict[str, list[str]] = {key: [] for key in ids}
    for edge in dag["edges"]:
        neighbours[edge["source"]].append(edge["target"])
        neighbours[edge["target"]].append(edge["source"])
    kept = {start}
    frontier = [start]
    for _ in range(depth):
        frontier = [n for key in frontier for n in neighbours[key] if n not in kept]
        kept.update(frontier)
        if not frontier:
            break
    return {
        **dag,
        "focus": start,
        "nodes": [item for item in dag["nodes"] if item["id"] in kept],
        "edges": [e for e in dag["edges"] if e["source"] in kept and e["target"] in kept],
    }


def _words(reason: Reason | None) -> str | None:
    return None if reason is None else reason.text


def code_location(dotted: str, project_path: Path) -> str | None:
    """``src/pkg/module.py:12`` for a transformation, found by reading files (no import)."""
    module, _, name = dotted.rpartition(".")
    top = name
    for base in (project_path / "src", project_path):
        for candidate in (module, module.rpartition(".")[0]):
            if not candidate:
                continue
            if candidate != module:
                top = dotted[len(candidate) + 1 :].split(".")[0]
            path = base / (candidate.replace(".", "/") + ".py")
            if path.is_file():
                line = _definition_line(path, top)
                relative = path.relative_to(project_path)
                return f"{relative}:{line}" if line else str(relative)
    return None


def _definition_line(path: Path, name: str) -> int | None:
    pattern = re.compile(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def to_mermaid(dag: dict[str, Any]) -> str:
    """A ``flowchart LR`` with a class per kind and status (MkDocs Material renders it)."""
    if len(dag["edges"]) > MERMAID_MAX_EDGES:
        raise AetherError(
            f"The DAG has {len(dag['edges'])} edges, more than Mermaid draws ({MERMAID_MAX_EDGES})",
            hint="use --format html, or --focus NODE --depth 2 to draw a neighbourhood",
        )
    ids = {node["id"]: f"n{index}" for index, node in enumerate(dag["nodes"])}
    lines = ["flowchart LR"]
    for node in dag["nodes"]:
        label = _mermaid_label(node["name"])
        shape = '(["{}"])' if node["kind"] == "task" else '[("{}")]'
        if node["kind"] == "param":
            shape = '>"{}"]'
        classes = [node["kind"], *([node["status"]] if node.get("status") else [])]
        lines.append(f"    {ids[node['id']]}{shape.format(label)}:::{classes[-1]}")
    for edge in dag["edges"]:
        lines.append(f"    {ids[edge['source']]} --> {ids[edge['target']]}")
    size = sum(len(line) + 1 for line in lines)
    if size > MERMAID_MAX_CHARS:
        raise AetherError(
            f"The Mermaid text would be {size:,} characters, more than Mermaid draws "
            f"({MERMAID_MAX_CHARS:,})",
            hint="use --format html, or --focus NODE --depth 2 to draw a neighbourhood",
        )
    lines += [
        "    classDef fresh fill:#e6f4ea,stroke:#1e8e3e",
        "    classDef stale fill:#fef7e0,stroke:#e37400",
        "    classDef missing fill:#f3e8fd,stroke:#9334e6",
        "    classDef failed fill:#fce8e6,stroke:#d93025",
        "    classDef param fill:#f1f3f4,stroke:#80868b",
        "    classDef source fill:#e8f0fe,stroke:#1a73e8",
        "    classDef dataset fill:#ffffff,stroke:#5f6368",
        "    classDef task fill:#ffffff,stroke:#202124",
    ]
    return "\n".join(lines) + "\n"


def _mermaid_label(text: str) -> str:
    # Inside quotes Mermaid still reads entity codes and markdown-ish characters: spell them.
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


# The page around the viewer: everything it draws comes from viewer.js (built from viewer/).
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
</head>
<body data-ready="false">
<script type="application/json" id="aether-dag">__DAG_JSON__</script>
<script>__VIEWER_JS__</script>
</body>
</html>
"""


def to_html(dag: dict[str, Any]) -> str:
    """One self-contained page: the viewer inlined, the DAG as JSON, no network."""
    viewer = resources.files("aether.insight").joinpath("viewer.js").read_text(encoding="utf-8")
    # Neither text may close its <script> early: `<` is escaped in the JSON, `</` in the JS.
    data = json.dumps(dag, sort_keys=True).replace("<", "\\u003c")
    values = {
        "TITLE": html.escape(f"Aether — {dag['pipeline']}"),
        "DAG_JSON": data,
        "VIEWER_JS": viewer.strip().replace("</", "<\\/"),
    }
    # One pass, so nothing in the data can be mistaken for a placeholder.
    return re.sub(r"__(TITLE|DAG_JSON|VIEWER_JS)__", lambda m: values[m.group(1)], PAGE)
