"""`LineageListener`: a run's events turned into OpenLineage run events.

Per node that starts: START when it starts, then COMPLETE, FAIL or ABORT when it ends, as the
job `<pipeline>.<node>` with the Aether run as its parent. The Aether run itself is the job
`<pipeline>`: START with its first node, COMPLETE (or FAIL, ABORT) when the run finishes.
Nodes that do not start (left alone, fresh, skipped) send nothing: a run with nothing to do
sends no event at all.

Inputs and outputs carry a schema facet when their columns are known: an output's from the
data the node returned (`OutputsPublished.columns`), else what the state store recorded
with the dataset's current version; column descriptions come from the catalog.

A transport that fails never fails the run: one warning line naming the file or host, and
no further event is sent by this run (a black-hole endpoint costs one timeout and a retry,
not one per event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aether.catalog.data_catalog import DataCatalog
from aether.catalog.metadata import asset_metadata
from aether.datasets.api_auth import auth_from_credentials
from aether.engine.events import (
    NodeAborted,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    NodeSucceeded,
    OutputsPublished,
    RunEvent,
    RunFinished,
    RunStarted,
)
from aether.errors import AetherError, ConfigError
from aether.lineage.config import FileTransportConfig, LineageConfig, events_file
from aether.lineage.events import Columns, JobRun, LineageDataset, run_event, run_uuid
from aether.lineage.naming import DatasetNamer
from aether.lineage.transport import DeliveryFailed, FileTransport, HttpTransport, Transport
from aether.pipeline import Node
from aether.support.redaction import redact_then_cut
from aether.verdicts import ReasonKind

logger = logging.getLogger("aether.lineage")
# An error message longer than this is cut: it is for a person to read in a lineage UI.
MAX_ERROR_LENGTH = 2000

# What the state store recorded for a dataset's current version (None: nothing known).
ColumnsOf = Callable[[str], "Columns | None"]


class LineageListener:
    """Sends OpenLineage events for a run (see the module).

    Args:
        transport: Where the events go.
        namer: Names datasets the OpenLineage way.
        namespace: The namespace of the jobs.
        pipeline: The pipeline that runs (the parent job's name).
        columns_of: The columns recorded for a dataset, or None when unknown.
        descriptions_of: Column descriptions of a dataset, from the catalog.
    """

    def __init__(
        self,
        transport: Transport,
        namer: DatasetNamer,
        namespace: str,
        pipeline: str,
        columns_of: ColumnsOf = lambda name: None,
        descriptions_of: Callable[[str], Mapping[str, str]] = lambda name: {},
    ) -> None:
        self.transport = transport
        self.namer = namer
        self.namespace = namespace
        self.pipeline = pipeline
        self.columns_of = columns_of
        self.descriptions_of = descriptions_of
        self._parent: JobRun | None = None
        self._run_started_at: float | None = None  # the parent run starts with the run
        self._started: dict[str, Node] = {}
        self._columns: dict[str, Mapping[str, Columns]] = {}
        self._broken = False
        self._parent_closed = False

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, RunStarted):
            self._run_started_at = event.at
        elif isinstance(event, NodeStarted):
            self._node_started(event)
        elif isinstance(event, OutputsPublished):
            self._columns[event.node] = event.columns
        elif isinstance(event, NodeFinished):
            kind = next((k for t, k in _ENDINGS.items() if isinstance(event, t)), None)
            node = self._started.pop(event.node, None)
            if node is not None and kind is not None:  # LeftAlone, Skipped: never started
                self._node_ended(kind, event, node)
            if _interrupted(event) and not self._started:
                self._parent_ended("ABORT", event.at)
        elif isinstance(event, RunFinished):
            result = event.result
            kind = "FAIL" if result.failed else "ABORT" if result.aborted else "COMPLETE"
            self._parent_ended(kind, event.at)

    def _parent_ended(self, kind: str, at: float) -> None:
        """The Aether run's own end event, once. A run stopped by a signal emits no
        `RunFinished` (the interrupt unwinds the run): its parent run ends with the last
        node the signal aborted, or it would stay open in the consumer for ever."""
        if self._parent is not None and not self._parent_closed:
            self._parent_closed = True
            self._send(run_event(kind, at, self._parent))

    def _node_started(self, event: NodeStarted) -> None:
        if self._parent is None:
            run_id = run_uuid(event.run_id)
            self._parent = JobRun(self.namespace, self.pipeline, run_id, "PIPELINE")
            at = self._run_started_at if self._run_started_at is not None else event.at
            self._send(run_event("START", at, self._parent))
        node = event.node
        self._started[node.name] = node
        self._send(
            run_event(
                "START",
                event.at,
                self._job_run(event.run_id, node.name),
                parent=self._parent,
                inputs=self._datasets(node.dataset_inputs),
                outputs=self._datasets(node.outputs, store=False),
            )
        )

    def _node_ended(self, kind: str, event: NodeFinished, node: Node) -> None:
        made = self._columns.pop(node.name, {})
        self._send(
            run_event(
                kind,
                event.at,
                self._job_run(event.run_id, node.name),
                parent=self._parent,
                inputs=self._datasets(node.dataset_inputs),
                outputs=self._datasets(node.outputs, made, store=kind == "COMPLETE"),
                error=_error_text(event),
            )
        )

    def _job_run(self, run_id: str, node: str) -> JobRun:
        return JobRun(self.namespace, f"{self.pipeline}.{node}", run_uuid(run_id, node))

    def _datasets(
        self, names: Iterable[str], made: Mapping[str, Columns] | None = None, *, store: bool = True
    ) -> list[LineageDataset]:
        """Each dataset with its columns: those ``made`` (by the node), else those the
        state store recorded (unless ``store`` is False: outputs not yet written, or not
        written by a failed node, have no schema to show)."""
        datasets = []
        for name in names:
            columns = made.get(name) if made else None
            if columns is None and store:
                columns = self.columns_of(name)
            datasets.append(LineageDataset(self.namer(name), columns, self.descriptions_of(name)))
        return datasets

    def _send(self, event: Mapping[str, Any]) -> None:
        if self._broken:
            return
        try:
            self.transport.send(event)
        except DeliveryFailed as failure:
            self._broken = True
            logger.warning(
                "OpenLineage events not delivered: %s; the run goes on without sending more",
                failure,
            )


def _interrupted(event: NodeFinished) -> bool:
    """A node aborted because a signal is stopping the run (not a worker that died: the
    run goes on after that)."""
    reason = event.result.reason
    return isinstance(event, NodeAborted) and getattr(reason, "kind", None) is (
        ReasonKind.INTERRUPTED
    )


def _error_text(event: NodeFinished) -> str | None:
    """A failed node's error, masked then cut (an error may quote a connection URL or a
    value, and a traceback is not sent: it names the machine's paths)."""
    error = event.result.error
    if not isinstance(event, NodeFailed) or error is None:
        return None
    return redact_then_cut(str(error), MAX_ERROR_LENGTH)


_ENDINGS: Mapping[type[RunEvent], str] = {
    NodeSucceeded: "COMPLETE",
    NodeFailed: "FAIL",
    NodeAborted: "ABORT",
}


def lineage_listener(
    config: LineageConfig, catalog: DataCatalog, project_path: Path, pipeline: str
) -> Callable[[ColumnsOf | None], LineageListener]:
    """What makes the listener lineage.yml asks for, its transport ready (credentials read
    now, before the run touches any state); called with the state store's `latest_columns`
    once the store is open (None for an untracked run).

    Args:
        config: lineage.yml, checked.
        catalog: The run's catalog (dataset locations, credentials, column descriptions).
        project_path: The project folder (relative file paths start there).
        pipeline: The pipeline that runs.

    Raises:
        CredentialsError: The credentials set it names is missing or unreadable.
        ConfigError: The set has a shape that cannot authenticate a request.
    """
    transport = _transport(config, catalog, project_path)
    namer = DatasetNamer(catalog, project_path, config.namespace)
    described = _descriptions(catalog)

    def make(columns_of: ColumnsOf | None) -> LineageListener:
        columns = columns_of or (lambda name: None)
        return LineageListener(transport, namer, config.namespace, pipeline, columns, described)

    return make


def _transport(config: LineageConfig, catalog: DataCatalog, project_path: Path) -> Transport:
    spec = config.transport
    if isinstance(spec, FileTransportConfig):
        return FileTransport(events_file(config, spec, project_path), spec.path)
    headers: Mapping[str, str] = {}
    if spec.credentials is not None:
        found = catalog.credential_set(spec.credentials, config.where)
        try:
            headers = auth_from_credentials(found).headers
        except ValueError as exc:
            raise ConfigError(
                f"{config.where}: credentials '{spec.credentials}' cannot authenticate: {exc}",
                hint="give the set a `token:` (sent as a bearer token), or "
                "`username:` and `password:`",
            ) from None
    return HttpTransport(endpoint_url(spec.url, spec.endpoint), headers, spec.timeout)


def endpoint_url(url: str, endpoint: str) -> str:
    """`endpoint` (a path) under `url`: `http://host:5000` + `api/v1/lineage`; an empty
    endpoint leaves `url` as it is."""
    if not endpoint.strip("/"):
        return url
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/" + endpoint.strip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _descriptions(catalog: DataCatalog) -> Callable[[str], Mapping[str, str]]:
    read: dict[str, Mapping[str, str]] = {}

    def described(name: str) -> Mapping[str, str]:
        if name not in read:
            read[name] = _column_descriptions(catalog, name)
        return read[name]

    return described


def _column_descriptions(catalog: DataCatalog, name: str) -> Mapping[str, str]:
    entry = catalog.entries.get(name)
    if entry is None:
        return {}
    try:
        columns = asset_metadata(entry).columns
    except AetherError:  # a shape validate reports; lineage goes without descriptions
        return {}
    return {column: c.description for column, c in columns.items() if c.description}
