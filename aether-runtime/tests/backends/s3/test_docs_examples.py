"""Every catalog example of docs/how-to/object-storage.md works as written: each ```yaml
block holding catalog entries is loaded as a catalog, against moto's S3 server standing for
the bucket, and each entry saves a frame and reads it back."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from aether.catalog import DataCatalog

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

PAGE = Path(__file__).resolve().parents[4] / "docs" / "how-to" / "object-storage.md"
BLOCK = re.compile(r"```yaml[^\n]*\n(.*?)```", re.S)


def catalog_examples() -> list[tuple[int, dict]]:
    found = []
    for number, match in enumerate(BLOCK.finditer(PAGE.read_text(encoding="utf-8")), 1):
        parsed = yaml.safe_load(match.group(1))
        if isinstance(parsed, dict) and all(
            isinstance(entry, dict) and "type" in entry for entry in parsed.values()
        ):
            found.append((number, parsed))
    return found


def test_the_page_has_catalog_examples() -> None:
    assert len(catalog_examples()) >= 3


@pytest.mark.parametrize(("number", "catalog"), catalog_examples())
def test_a_catalog_example_saves_and_loads_as_written(
    number: int, catalog: dict, s3_credentials: dict[str, str], tmp_path: Path
) -> None:
    import s3fs

    fs = s3fs.S3FileSystem(**s3_credentials)
    buckets = {
        m.group(1)
        for e in catalog.values()
        for m in [re.match(r"s3://([^/]+)", e["filepath"])]
        if m
    }
    for bucket in buckets:
        if not fs.exists(bucket):
            fs.mkdir(bucket)
    credentials = {"lake": dict(s3_credentials)}
    datasets = DataCatalog.from_config(catalog, credentials=credentials, project_path=tmp_path)
    frame = pd.DataFrame({"order_id": [1, 2], "amount": [9.5, 3.0]})
    for name in catalog:
        datasets.save(name, frame)
        pd.testing.assert_frame_equal(datasets.load(name), frame)
