"""The data catalog: catalog.yml entries turned into datasets, by name.

`DataSetFactory` resolves an entry's `type:` (a registered short name, a dotted path, or
a name registered by another package under the `aether.datasets` entry-point group) and
builds the dataset; `DataCatalog` holds the entries and builds datasets on first use.
Names a pipeline uses but the catalog does not declare are in-memory datasets.
"""

from __future__ import annotations

from aether.catalog.data_catalog import DataCatalog, change_detection
from aether.catalog.entries import ASSET_KEYS, CatalogEntry, parse_entry
from aether.catalog.factory import ENTRY_POINT_GROUP, DataSetFactory

__all__ = [
    "ASSET_KEYS",
    "ENTRY_POINT_GROUP",
    "CatalogEntry",
    "DataCatalog",
    "DataSetFactory",
    "change_detection",
    "parse_entry",
]
