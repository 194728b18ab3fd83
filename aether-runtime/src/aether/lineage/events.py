"""OpenLineage `RunEvent`s as plain dicts (ready for `json.dumps`), spec 2-0-2.

A node's run is the OpenLineage job `<pipeline>.<node>`; the Aether run is its parent (job:
the pipeline). OpenLineage wants UUID run ids while Aether's are its own text, so each is
mapped to a name-based UUID (`uuid5`): the same Aether run and node always give the same
UUID, so events sent again (or by another tool reading the state) line up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

SPEC_VERSION = "2-0-2"
SCHEMA_URL = f"https://openlineage.io/spec/{SPEC_VERSION}/OpenLineage.json#/$defs/RunEvent"
PARENT_FACET_URL = (
    "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet"
)
SCHEMA_FACET_URL = (
    "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
)
ERROR_FACET_URL = (
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
)
JOB_TYPE_FACET_URL = (
    "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
)
EVENT_TYPES = ("START", "COMPLETE", "FAIL", "ABORT")
# The UUID namespace of Aether's run ids (fixed forever: changing it renames every past run).
_AETHER_RUNS = uuid.UUID("4c7a1a52-4c5e-4d8e-9a57-2f0f5a1e7d31")

Columns = Sequence[tuple[str, str]]


def run_uuid(run_id: str, node: str | None = None) -> str:
    """The OpenLineage run id of an Aether run (``node=None``) or of one node's run in it.

    Args:
        run_id: The Aether run's id.
        node: The node's name; None for the run itself.
    """
    return str(uuid.uuid5(_AETHER_RUNS, run_id if node is None else f"{run_id}/{node}"))


def producer() -> str:
    """The URI naming what produced the events: aether-data and its version."""
    try:
        from aether._version import __version__
    except ImportError:  # a source tree never installed: as `aether --version` says
        __version__ = "0.0.0+unknown"
    return f"https://pypi.org/project/aether-data/{__version__}/"


@dataclass(frozen=True)
class DatasetName:
    """A dataset as OpenLineage identifies it (see `aether.lineage.naming`).

    Attributes:
        namespace: Where it lives (`file`, `s3://bucket`, `postgres://host:5432`).
        name: Which data it is there (a path, a key, `db.schema.table`).
    """

    namespace: str
    name: str


@dataclass(frozen=True)
class JobRun:
    """One job's run, as events name it.

    Attributes:
        namespace: The job's namespace (lineage.yml's `namespace`).
        job: The job's name (`<pipeline>.<node>`, or the pipeline for the Aether run).
        run_id: Its OpenLineage run id (a UUID, see `run_uuid`).
        job_type: `NODE` or `PIPELINE` (the job type facet's `jobType`).
    """

    namespace: str
    job: str
    run_id: str
    job_type: str = "NODE"


@dataclass(frozen=True)
class LineageDataset:
    """A dataset in an event, with its columns when they are known.

    Attributes:
        name: Its OpenLineage namespace and name.
        columns: Its columns (name, dtype), or None when unknown.
        descriptions: Column descriptions from the catalog's `metadata.columns`.
    """

    name: DatasetName
    columns: Columns | None = None
    descriptions: Mapping[str, str] | None = None


def run_event(
    event_type: str,
    at: float,
    run: JobRun,
    *,
    parent: JobRun | None = None,
    inputs: Iterable[LineageDataset] = (),
    outputs: Iterable[LineageDataset] = (),
    error: str | None = None,
) -> dict[str, Any]:
    """One OpenLineage RunEvent.

    Args:
        event_type: START, COMPLETE, FAIL or ABORT.
        at: When it happened (seconds since the epoch).
        run: The job and run the event is about.
        parent: The run that started this one (the Aether run of a node), or None.
        inputs: The datasets the run reads.
        outputs: The datasets it writes.
        error: Why it failed, secrets already masked (the error message facet), or None.
    """
    made_by = producer()
    run_facets: dict[str, Any] = {}
    if parent is not None:
        run_facets["parent"] = {
            "_producer": made_by,
            "_schemaURL": PARENT_FACET_URL,
            "run": {"runId": parent.run_id},
            "job": {"namespace": parent.namespace, "name": parent.job},
        }
    if error is not None:
        run_facets["errorMessage"] = {
            "_producer": made_by,
            "_schemaURL": ERROR_FACET_URL,
            "message": error,
            "programmingLanguage": "PYTHON",
        }
    job_type = {
        "_producer": made_by,
        "_schemaURL": JOB_TYPE_FACET_URL,
        "processingType": "BATCH",
        "integration": "AETHER",
        "jobType": run.job_type,
    }
    return {
        "eventType": event_type,
        "eventTime": datetime.fromtimestamp(at, timezone.utc).isoformat(),
        "producer": made_by,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run.run_id, "facets": run_facets},
        "job": {"namespace": run.namespace, "name": run.job, "facets": {"jobType": job_type}},
        "inputs": [_dataset(d, made_by) for d in inputs],
        "outputs": [_dataset(d, made_by) for d in outputs],
    }


def _dataset(dataset: LineageDataset, made_by: str) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if dataset.columns is not None:
        described = dataset.descriptions or {}
        fields = []
        for position, (name, dtype) in enumerate(dataset.columns, start=1):
            field: dict[str, Any] = {"name": name, "type": dtype, "ordinal_position": position}
            if described.get(name):
                field["description"] = described[name]
            fields.append(field)
        facets["schema"] = {"_producer": made_by, "_schemaURL": SCHEMA_FACET_URL, "fields": fields}
    return {"namespace": dataset.name.namespace, "name": dataset.name.name, "facets": facets}
