"""A catalog entry's `metadata:` read as types: who owns the asset, what it is, what it holds.

The keys Aether knows (`owner`, `domain`, `description`, `tier`, `layer`, `pii`, `term`,
`tags`, `columns`) are checked for shape; every other key stays free-form and is kept in `extra`,
so projects that put their own keys in `metadata:` keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.catalog.entries import CatalogEntry
from aether.errors import CatalogError

# The keys of `metadata:` this module types; the rest is the project's own.
KNOWN_KEYS = (
    "owner", "domain", "description", "tier", "layer", "pii", "term", "tags", "columns",
)  # fmt: skip
COLUMN_KEYS = ("description", "term")


@dataclass(frozen=True)
class ColumnMetadata:
    """What `metadata.columns.<name>` says about one column.

    Attributes:
        description: What the column holds, or None.
        term: The glossary term the column stands for, or None.
    """

    description: str | None = None
    term: str | None = None


@dataclass(frozen=True)
class AssetMetadata:
    """The typed view of one entry's `metadata:`.

    Attributes:
        owners: `owner:` (a string or a list of strings), as a tuple; empty when unset.
        domain: The business domain the asset belongs to, or None.
        description: What the asset is, or None.
        tier: e.g. bronze / silver / gold, or None.
        layer: e.g. raw / intermediate / primary: `metadata.layer`, else the entry's
            `layer:`, or None.
        pii: Whether the asset holds personal data (`pii: true`); False when unset.
        term: The glossary term the asset as a whole stands for, or None.
        tags: `tags:`, a tuple of strings.
        columns: Column name -> `ColumnMetadata`, in the order written.
        extra: Every other key of `metadata:`, untouched.
        pii_stated: Whether `pii:` is written at all (`pii: false` is a statement too).
    """

    owners: tuple[str, ...] = ()
    domain: str | None = None
    description: str | None = None
    tier: str | None = None
    layer: str | None = None
    pii: bool = False
    term: str | None = None
    tags: tuple[str, ...] = ()
    columns: Mapping[str, ColumnMetadata] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    pii_stated: bool = False

    @property
    def owner(self) -> str | None:
        """The owners as one string (`a, b`), or None when the asset has none."""
        return ", ".join(self.owners) if self.owners else None

    def terms(self) -> tuple[tuple[str, str], ...]:
        """Every term referenced, as (where in metadata, term): the asset's, then each column's."""
        found: list[tuple[str, str]] = []
        if self.term is not None:
            found.append(("metadata.term", self.term))
        for column, meta in self.columns.items():
            if meta.term is not None:
                found.append((f"metadata.columns.{column}.term", meta.term))
        return tuple(found)

    def present(self, key: str) -> bool:
        """Whether `key` of `metadata:` is set (a known key not empty, or any free-form key)."""
        if key == "owner":
            return bool(self.owners)
        if key == "pii":
            return self.pii_stated
        if key in KNOWN_KEYS:
            value = getattr(self, key)
            return bool(value) if not isinstance(value, str) else bool(value.strip())
        return key in self.extra and self.extra[key] not in (None, "", [], {})


def asset_metadata(entry: CatalogEntry) -> AssetMetadata:
    """The typed view of ``entry.metadata``; a known key of the wrong shape is a CatalogError."""
    raw = entry.metadata
    where = f"Dataset '{entry.name}' ({entry.where})"
    owners = _owners(raw.get("owner"), where)
    pii = raw.get("pii", False)
    if pii is None:
        pii = False
    if not isinstance(pii, bool):
        raise CatalogError(
            f"{where}: metadata.pii must be true or false, not {pii!r}",
            hint="write `pii: true` or `pii: false` (no quotes)",
        )
    tags = raw.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise CatalogError(
            f"{where}: metadata.tags must be a list of strings",
            hint="e.g. `tags: [finance, daily]`",
        )
    return AssetMetadata(
        owners=owners,
        domain=_text(raw, "domain", where),
        description=_text(raw, "description", where),
        tier=_text(raw, "tier", where),
        layer=_text(raw, "layer", where) or entry.layer,
        pii=pii,
        term=_text(raw, "term", where),
        tags=tuple(tags),
        columns=_columns(raw.get("columns"), where),
        extra={k: v for k, v in raw.items() if k not in KNOWN_KEYS},
        pii_stated="pii" in raw and raw["pii"] is not None,
    )


def _owners(raw: object, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    owners = raw if isinstance(raw, list) else [raw]
    if not owners or not all(isinstance(o, str) and o.strip() for o in owners):
        raise CatalogError(
            f"{where}: metadata.owner must be a name or a list of names, not {raw!r}",
            hint="e.g. `owner: finance` or `owner: ['@org/finance', '@alice']`",
        )
    return tuple(str(o) for o in owners)


def _text(raw: Mapping[str, Any], key: str, where: str, prefix: str = "metadata.") -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    # A bare number or date read by YAML is still plainly meant as text.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise CatalogError(
            f"{where}: {prefix}{key} must be a string, not {type(value).__name__}",
            hint=f"write `{key}: <text>` on one line (quote it if it holds a colon)",
        )
    return value


def _columns(raw: object, where: str) -> Mapping[str, ColumnMetadata]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise CatalogError(
            f"{where}: metadata.columns must be a mapping of column name to its description",
            hint="e.g. `columns: {customer_id: {description: Who bought, term: customer}}`",
        )
    columns: dict[str, ColumnMetadata] = {}
    for name, spec in raw.items():
        prefix = f"metadata.columns.{name}."
        if isinstance(spec, str):
            # `amount: Sum of the order` is the short form of a description.
            columns[str(name)] = ColumnMetadata(description=spec)
            continue
        if spec is None:
            columns[str(name)] = ColumnMetadata()
            continue
        if not isinstance(spec, Mapping):
            raise CatalogError(
                f"{where}: metadata.columns.{name} must be a mapping or a description",
                hint=f"e.g. `{name}: {{description: ..., term: ...}}`",
            )
        unknown = [k for k in spec if k not in COLUMN_KEYS]
        if unknown:
            from aether.support.suggestions import did_you_mean

            raise CatalogError(
                f"{where}: metadata.columns.{name} has an unknown key '{unknown[0]}'",
                hint=did_you_mean(str(unknown[0]), COLUMN_KEYS)
                or f"a column takes {', '.join(COLUMN_KEYS)}",
            )
        columns[str(name)] = ColumnMetadata(
            description=_text(spec, "description", where, prefix),
            term=_text(spec, "term", where, prefix),
        )
    return columns
