"""Publishing a node's staged outputs together, and repairing a publish a crash cut short.

The worker stages every output (:func:`aether.engine.execution.stage_outputs`); the parent then
journals the renames in the state store (``AssetTracker.publishing``), renames every staged
copy into place (:func:`publish_outputs`) and commits the node, which clears the journal in
the same transaction. A process killed between two renames leaves the journal behind, and the
next run, under the project lock, calls :func:`repair_interrupted_publishes` before anything
else: the renames still to do are done (their staged copies are complete and synced), and the
node is committed only when every output is in place; otherwise its assets are marked failed,
so they are rebuilt and never taken for fresh.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aether.catalog import DataCatalog
from aether.datasets.base import Staged
from aether.engine.crash_points import crash_point
from aether.engine.execution import NodeOutcome
from aether.errors import AetherError, DataSetError
from aether.state.base import Materialization, PublishJournal, StateStore
from aether.support.redaction import redact

logger = logging.getLogger("aether.run")

INTERRUPTED_MESSAGE = (
    "interrupted while publishing its outputs (killed?), and they could not all be put in "
    "place; rebuilt on the next run"
)


@dataclass(frozen=True)
class PublishRepair:
    """What the repair did with one interrupted publish."""

    node: str
    completed: bool  # every output in place and the node committed; else its assets failed


def keep_unchanged(outcome: NodeOutcome, catalog: DataCatalog) -> NodeOutcome:
    """Leave in place every output its dataset found already holding the bytes the node
    made (a staged copy whose ``temporary`` is its ``target``: nothing was written aside);
    return the outcome with only the others still staged.

    The dataset compared the bytes (``AbstractFileDataSet._stage_local``); the file's
    signature must still be the one it compared: else someone wrote the file since, and
    the node fails rather than record as its output what is not there. The file, its
    modification time and any reader's open handle are left alone: a rename over an
    existing file is a filesystem's costliest step here (ext4 frees the old blocks and
    flushes the new ones), and tools that watch modification times see no change that is
    not one.
    """
    kept: dict[str, dict[str, Any] | None] = {}
    for name, staged in outcome.staged.items():
        if staged.temporary != staged.target:
            continue
        current = catalog.get(name).signature()
        if current is None or current != staged.signature or _status_changed(staged):
            raise _changed_while_running(name, staged.target)
        kept[name] = current
    if not kept:
        return outcome
    return dataclasses.replace(
        outcome,
        staged={name: s for name, s in outcome.staged.items() if name not in kept},
        signatures={**outcome.signatures, **kept},
    )


def _status_changed(staged: Staged) -> bool:
    """Whether the file's status-change time moved since its bytes were compared: a
    rewrite that put size, mtime and inode back still moves it (as a chmod does: then the
    node fails too, and the next run keeps the file)."""
    if staged.change_time_ns is None:
        return False
    try:
        return os.stat(staged.target, follow_symlinks=False).st_ctime_ns != staged.change_time_ns
    except OSError:
        return True


def _changed_while_running(name: str, path: str) -> DataSetError:
    return DataSetError(
        f"Dataset '{name}' at {path} changed while its node ran, so what the "
        "node made (the same bytes as before that change) was not put in place",
        hint="run again once nothing else writes that file",
    )


def publish_outputs(outcome: NodeOutcome, catalog: DataCatalog) -> NodeOutcome:
    """Rename every staged output into place; return the outcome with their final
    signatures and versions.

    A rename that fails does not stop the others (the journal's promise is to roll forward);
    its staged copy is removed and the first failure is raised once all were tried.
    """
    failures: list[DataSetError] = []
    for index, (name, staged) in enumerate(outcome.staged.items()):
        if index:
            crash_point("between-publishes")
        dataset = catalog.get(name)
        try:
            dataset.publish(staged)
        except DataSetError as error:
            dataset.discard(staged)
            failures.append(error)
    if failures:
        raise failures[0]
    crash_point("after-publishing")
    signatures, versions = dict(outcome.signatures), dict(outcome.versions)
    for name in outcome.staged:
        signatures[name], versions[name] = catalog.get(name).written_identity(
            f"fingerprint:{outcome.fingerprint}"
        )
    return dataclasses.replace(outcome, signatures=signatures, versions=versions, staged={})


def repair_interrupted_publishes(store: StateStore, catalog: DataCatalog) -> list[PublishRepair]:
    """Finish (or fail) every publish a killed run left half done. Call under the project
    lock, before ``abort_running_attempts``."""
    return [_repair(store, catalog, journal) for journal in store.publish_journals()]


def remove_abandoned_copies(catalog: DataCatalog, names: Iterable[str]) -> int:
    """Remove the staged copies (``.<file>.tmp-<8 hex>``) a killed run left next to the
    local files of the named datasets; returns how many. Call under the project lock, after
    :func:`repair_interrupted_publishes`: no copy is still to be published then."""
    from aether.datasets.files import AbstractFileDataSet
    from aether.datasets.remote import STAGED_TOKEN

    wanted: dict[str, set[str]] = {}  # folder -> prefixes of its datasets' staged copies
    for name in names:
        if name not in catalog.entries:
            continue
        dataset = catalog.get(name)
        if isinstance(dataset, AbstractFileDataSet) and "://" not in dataset.filepath:
            folder, file = os.path.split(dataset.filepath)
            wanted.setdefault(folder or ".", set()).add(f".{file}.tmp-")
    removed = 0
    for folder, prefixes in wanted.items():
        try:
            entries = os.listdir(folder)
        except OSError:  # not made yet, or unreadable: nothing of ours to clean
            continue
        for entry in entries:
            prefix, _, token = entry.rpartition(".tmp-")
            if f"{prefix}.tmp-" in prefixes and STAGED_TOKEN.fullmatch(token):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(folder, entry))
                    removed += 1
    if removed:
        logger.warning("removed %d staged copies left by an interrupted run", removed)
    return removed


def remove_abandoned_stages(catalog: DataCatalog, names: Iterable[str]) -> int:
    """Remove what the named datasets staged outside local folders (staging tables, staged
    objects) before a run killed them; returns how many. Call as
    :func:`remove_abandoned_copies`, for the outputs of the nodes whose run was killed."""
    removed = 0
    for name in names:
        if name not in catalog.entries:
            continue
        try:
            removed += catalog.get(name)._remove_abandoned_stages()
        except AetherError as error:  # clutter left is no reason to stop a run
            logger.warning("could not remove what %s staged before a crash: %s", name, error)
    if removed:
        logger.warning("removed %d staged copies left by an interrupted run", removed)
    return removed


def _repair(store: StateStore, catalog: DataCatalog, journal: PublishJournal) -> PublishRepair:
    in_place = [_roll_forward(catalog, a, Staged(**staged)) for a, staged in journal.staged.items()]
    running = any(a.id == journal.attempt_id and a.status == "running" for a in store.attempts())
    if not running:  # already finished one way or the other: only the journal is left
        store.discard_publish_journal(journal.attempt_id)
        return PublishRepair(journal.node, completed=False)
    materializations = _observed(catalog, journal.materializations) if all(in_place) else None
    if materializations is not None:
        store.commit_node(journal.attempt_id, materializations, journal.check_results)
        logger.warning("finished publishing node %s, interrupted by the last run", journal.node)
    else:
        assets = [m.asset for m in journal.materializations]
        store.fail_node(journal.attempt_id, assets, INTERRUPTED_MESSAGE)
        logger.warning("node %s was interrupted while publishing: rebuilt", journal.node)
    return PublishRepair(journal.node, completed=materializations is not None)


def _roll_forward(catalog: DataCatalog, asset: str, staged: Staged) -> bool:
    """Do the rename if it is still to do; True when the output is in place."""
    try:
        dataset = catalog.get(asset)
        if dataset.is_staged(staged):
            dataset.publish(staged)
            return True
        return dataset.exists()  # renamed before the crash (a staged copy only goes that way)
    except AetherError as error:
        logger.warning("could not finish publishing %s: %s", asset, error)
        return False


def _observed(
    catalog: DataCatalog, journaled: tuple[Materialization, ...]
) -> list[Materialization] | None:
    """The journaled materializations with the signature and version of what is in place;
    None if that cannot be read."""
    observed = []
    try:
        for materialization in journaled:
            dataset = catalog.get(materialization.asset)
            version = dataset.content_hash() or materialization.version
            observed.append(
                dataclasses.replace(materialization, signature=dataset.signature(), version=version)
            )
    except AetherError as error:
        logger.warning("could not read what was published: %s", error)
        return None
    return observed


def keep_versions(outcome: NodeOutcome, catalog: DataCatalog, run_id: str) -> None:
    """Copy each versioned output, as now published, into its versions folder under
    ``run_id``, then remove the versions past its ``keep`` (aether.datasets.versions)."""
    from aether.datasets.files import AbstractFileDataSet
    from aether.datasets.versions import Versions

    for name in outcome.saved:
        dataset = catalog.get(name)
        if not isinstance(dataset, AbstractFileDataSet) or dataset.versioned is None:
            continue
        crash_point("before-keeping-a-version")
        policy = dataset.versioned
        versions = Versions(dataset)
        try:
            versions.keep(run_id)
            if policy.keep is not None:
                versions.prune(policy.keep)
        except AetherError:
            raise
        except Exception as exc:
            raise DataSetError(
                f"Dataset '{name}': its new version could not be kept in "
                f"{redact(versions.folder)}: {type(exc).__name__}: {redact(str(exc))}",
                hint="check the free space and permissions of that folder; the data itself "
                "was published, and the next run saves it again",
            ) from None
