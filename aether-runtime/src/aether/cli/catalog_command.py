"""``aether catalog list|describe|types``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aether.cli.output import console, print_json, print_table, table
from aether.errors import CatalogError
from aether.support.suggestions import did_you_mean

# Seconds a version's copy may be younger than its run's record: the copy is made first, so
# this only absorbs the clocks of object storage.
EDIT_SLACK = 2.0


def list_command(
    project: Path | None,
    env: str | None,
    as_json: bool,
    filters: Mapping[str, str | None] | None = None,
) -> None:
    """The catalog's datasets, those matching every given filter (`owner`, `domain`, `tier`)."""
    from aether.catalog.metadata import asset_metadata
    from aether.project.context import load_context

    catalog = load_context(project, env=env).catalog
    described = {name: asset_metadata(catalog.entries[name]) for name in catalog.list()}
    wanted = {key: value for key, value in (filters or {}).items() if value is not None}
    for key, value in wanted.items():
        _check_filter(key, value, [v for meta in described.values() for v in _values(meta, key)])
    rows = []
    for name, meta in described.items():
        if any(value.casefold() not in _folded(meta, key) for key, value in wanted.items()):
            continue
        entry = catalog.entries[name]
        rows.append(
            {
                "name": name,
                "type": entry.type_name,
                "location": _location(entry.arguments),
                "owner": entry.metadata.get("owner"),
                "domain": meta.domain,
                "tier": meta.tier,
                "pii": meta.pii,
                "description": entry.metadata.get("description"),
                "checks": len(entry.checks),
            }
        )
    if as_json:
        print_json({"datasets": rows})
        return
    columns = ["name", "type", "location", "owner", "description"]
    # Plain aligned rows, never wrapped: piped into grep or a file, a name stays whole.
    print_table(None, columns, [[r[c] for c in columns] for r in rows])


def _values(meta: Any, key: str) -> tuple[str, ...]:
    if key == "owner":
        return tuple(meta.owners)
    value = getattr(meta, key)
    return (value,) if value else ()


def _folded(meta: Any, key: str) -> set[str]:
    return {v.casefold() for v in _values(meta, key)}


def _check_filter(key: str, value: str, known: list[str]) -> None:
    """A filter no dataset could match is a typo more often than a question: say so."""
    if value.casefold() in {k.casefold() for k in known}:
        return
    listed = ", ".join(sorted(set(known))) or "none"
    raise CatalogError(
        f"No dataset has {key} '{value}' (metadata.{key} in catalog.yml)",
        hint=did_you_mean(value, set(known)) or f"{key}s in the catalog: {listed}",
    )


def describe_command(name: str, project: Path | None, env: str | None, as_json: bool) -> None:
    from aether.project.context import load_context

    catalog = load_context(project, env=env).catalog
    if name not in catalog.entries:
        raise CatalogError(
            f"The catalog has no dataset '{name}'",
            hint=did_you_mean(name, catalog.list()) or "list them: aether catalog list",
        )
    described = catalog.describe(name)
    if as_json:
        print_json(described)
        return
    rows = [[key, _show(value)] for key, value in described.items() if value not in (None, [], {})]
    console().print(table(f"Dataset {name}", ["field", "value"], rows))


def base_catalog(context: Any) -> Any:
    """The catalog of conf/base alone: CODEOWNERS is one file for every environment, so
    neither `--env` nor a person's conf/local may change what it should hold."""
    from aether.configuration.conf_folder import BASE_ENV, ConfigLoader
    from aether.project.context import build_catalog

    class BaseOnly(ConfigLoader):
        def layer_files(self, name: str) -> list[Path]:
            path = self.conf_path / BASE_ENV / name
            return [path] if path.is_file() else []

    loader = BaseOnly(context.paths.conf)
    params = loader.get("parameters.yml", deep=True).data
    return build_catalog(context.paths.root, loader, params)


def codeowners_command(project: Path | None, env: str | None, write: bool) -> None:
    """Print the CODEOWNERS block rendered from the catalog, or write it into the file."""
    from aether.catalog.codeowners import CODEOWNERS_FILE, render_block, with_block
    from aether.project.context import load_context

    context = load_context(project, env=env)
    block = render_block(base_catalog(context))
    if not write:
        console().print(block, end="", markup=False, highlight=False)
        return
    path = context.paths.root / CODEOWNERS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    after = with_block(before, block)
    if after == before:
        console().print(f"{CODEOWNERS_FILE} is already in step with the catalog.", markup=False)
        return
    path.write_text(after, encoding="utf-8")
    console().print(f"Wrote the Aether-managed block of {CODEOWNERS_FILE}.", markup=False)


def versions_command(name: str, project: Path | None, env: str | None, as_json: bool) -> None:
    """The versions ``name`` keeps, newest first, with the run that made each (as recorded)."""
    from aether.datasets.versions import Versions
    from aether.project.context import load_context

    context = load_context(project, env=env)
    dataset = versioned_dataset(context.catalog, name)
    versions = Versions(dataset)
    with context.state_store() as store:
        recorded = {m.run_id: m for m in store.materializations_of(name, limit=10_000)}
        head = store.heads([name]).get(name)
    current = head.materialization.run_id if head and head.materialization else None
    rows: list[dict[str, Any]] = []
    for version in versions.ids():
        made = recorded.get(version)
        content = made.version if made else None
        edited = False
        kept_at = versions.kept_at(version)
        # A copy is written before its run commits: one written later was changed since (by
        # hand, by a restore). Only then is it read again, to say what it holds now.
        if (
            made is not None
            and made.version.startswith("sha256:")  # a content hash, not a large file's signature
            and kept_at is not None
            and kept_at > made.finished_at + EDIT_SLACK
        ):
            now = versions.content_hash(version)
            edited = now != made.version
            content = now if edited else content
        rows.append(
            {
                "id": version,
                "current": version == current,
                "made_at": made.finished_at if made else None,
                "size": versions.size_of(version),
                "content": content,
                "recorded": made is not None,
                "edited": edited,
                "path": versions.path_of(version),
            }
        )
    if as_json:
        print_json({"dataset": name, "folder": versions.folder, "versions": rows})
        return
    if not rows:
        console().print(f"'{name}' keeps no version yet: a run that saves it keeps one.")
        return
    print_table(
        f"Versions of {name} in {versions.folder} (newest first)",
        ["id", "made (UTC)", "size", "content", "note"],
        [
            [
                r["id"],
                _utc(r["made_at"]),
                r["size"],
                (r["content"] or "")[:19],
                _note(r),
            ]
            for r in rows
        ],
    )


def _note(row: Mapping[str, Any]) -> str:
    if row["edited"]:
        return "changed after it was kept: not what its run made"
    if row["current"]:
        return "current"
    return "" if row["recorded"] else "not recorded"


def versioned_dataset(catalog: Any, name: str) -> Any:
    """The dataset ``name`` if its entry is `versioned:`; a one-line error otherwise."""
    if name not in catalog.entries:
        raise CatalogError(
            f"The catalog has no dataset '{name}'",
            hint=did_you_mean(name, catalog.list()) or "list them: aether catalog list",
        )
    if catalog.entries[name].versioned is None:
        kept = [n for n, e in catalog.entries.items() if e.versioned is not None]
        raise CatalogError(
            f"Dataset '{name}' ({catalog.entries[name].where}) is not versioned",
            hint=f"versioned ones: {', '.join(kept)}"
            if kept
            else "add `versioned: true` to its catalog entry to keep every version",
        )
    return catalog.get(name)


def _utc(at: float | None) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at)) if at is not None else ""


def types_command() -> None:
    from aether.catalog import DataSetFactory

    for name in DataSetFactory().known_types():
        console().print(name)


def _location(arguments: Mapping[str, Any]) -> str | None:
    from aether.support.redaction import redact

    for key in ("filepath", "path", "table_name", "url"):
        if key in arguments:
            return redact(str(arguments[key]))
    return None


def _show(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_show(v) for v in value)
    return str(value)


def docs_command(project: Path | None, env: str | None, output: Path | None) -> None:
    """Write the catalog site's Markdown pages (aether.insight.catalog_site)."""
    from aether.insight.catalog_site.site import build_site
    from aether.project.context import load_context

    result = build_site(load_context(project, env=env), output)
    removed = f", removed {len(result.removed)} of assets gone" if result.removed else ""
    console().print(
        f"Wrote {len(result.written)} catalog pages to {result.output}{removed}.", markup=False
    )
