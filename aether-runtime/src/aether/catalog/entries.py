"""catalog.yml entries: one entry's shape checked and split into what builds the dataset
(its type and arguments) and what describes the asset (metadata, checks, freshness...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.datasets.versions import VersionPolicy, parse_versioned
from aether.errors import CatalogError
from aether.support.suggestions import closest

# Keys of a catalog entry that describe the asset rather than configure the dataset class.
ASSET_KEYS = ("type", "metadata", "checks", "freshness", "credentials", "layer", "versioned")


@dataclass(frozen=True)
class CatalogEntry:
    """One catalog.yml entry, split into what builds the dataset and what describes it.

    Attributes:
        name: The dataset's name (the entry's key).
        type_name: `type:` as written: a registered short name or a dotted path.
        arguments: The other keys, passed to the dataset class as keyword arguments.
        metadata: `metadata:`, free-form information for readers (owner, description...).
        checks: `checks:`, the data-quality checks run on every new version.
        freshness: `freshness:` (`warn_after`, `error_after`), or None.
        credentials_ref: `credentials:`, the key of credentials.yml to pass, or None.
        layer: `layer:` (e.g. raw, primary), or None.
        where: The file (and line) that defines the entry, for messages.
        versioned: `versioned:` (every save kept, or the newest `keep`), or None.
    """

    name: str
    type_name: str
    arguments: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    checks: tuple[Any, ...] = ()
    freshness: Mapping[str, Any] | None = None
    credentials_ref: str | None = None
    where: str = "conf/base/catalog.yml"
    layer: str | None = None
    versioned: VersionPolicy | None = None


def parse_entry(name: str, raw: Any, where: str) -> CatalogEntry:
    """Validate one catalog.yml entry's shape (not its type's arguments)."""
    if not isinstance(raw, Mapping):
        raise CatalogError(
            f"Dataset '{name}' ({where}): the entry must be a mapping with a `type:`",
            hint="e.g. {type: PandasCsvDataSet, filepath: data/01_raw/x.csv}",
        )
    type_name = raw.get("type")
    if not isinstance(type_name, str) or not type_name:
        misspelt = next((k for k in raw if isinstance(k, str) and closest(k, ["type"])), None)
        if "type" not in raw and misspelt is not None:
            raise CatalogError(
                f"Dataset '{name}' ({where}) has no `type:` (it has `{misspelt}:`)",
                hint=f"rename `{misspelt}:` to `type:`",
            )
        raise CatalogError(
            f"Dataset '{name}' ({where}) has no `type:`",
            hint="add e.g. `type: PandasParquetDataSet`",
        )
    checks = raw.get("checks") or []
    if not isinstance(checks, list):
        raise CatalogError(f"Dataset '{name}' ({where}): `checks:` must be a list")
    freshness = raw.get("freshness")
    if freshness is not None and not isinstance(freshness, Mapping):
        raise CatalogError(
            f"Dataset '{name}' ({where}): `freshness:` must be a mapping",
            hint="e.g. freshness: {warn_after: 1h, error_after: 1d}",
        )
    credentials = raw.get("credentials")
    if credentials is not None and not isinstance(credentials, str):
        raise CatalogError(
            f"Dataset '{name}' ({where}): `credentials:` must name an entry of credentials.yml",
            hint="move the secret values to conf/local/credentials.yml and reference its key",
        )
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise CatalogError(f"Dataset '{name}' ({where}): `metadata:` must be a mapping")
    return CatalogEntry(
        name=name,
        type_name=type_name,
        arguments={k: v for k, v in raw.items() if k not in ASSET_KEYS},
        metadata=metadata,
        checks=tuple(checks),
        freshness=freshness,
        credentials_ref=credentials,
        where=where,
        layer=str(raw["layer"]) if raw.get("layer") is not None else None,
        versioned=parse_versioned(raw.get("versioned"), name, where),
    )
