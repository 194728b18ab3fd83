"""DeltaTableDataSet on real Delta tables: a local folder and a bucket on moto's S3 server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aether.datasets.delta import DeltaTableDataSet
from aether.errors import DataSetError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

FIRST = pd.DataFrame({"day": ["mon", "tue"], "n": [1, 2]})
MORE = pd.DataFrame({"day": ["wed"], "n": [3]})


@pytest.fixture(params=["local", "s3"])
def table(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str] | None]:
    """Where a fresh table goes, and its credentials: a local folder, or a key on S3."""
    if request.param == "local":
        return str(tmp_path / "events"), None
    bucket = request.getfixturevalue("delta_bucket")
    return f"s3://{bucket}/lake/events", request.getfixturevalue("delta_credentials")


def _dataset(table: tuple[str, dict[str, str] | None], **arguments: Any) -> DeltaTableDataSet:
    dataset = DeltaTableDataSet(table[0], credentials=table[1], **arguments)
    dataset.name = "events"
    return dataset


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("n").reset_index(drop=True)[["day", "n"]]


def test_a_missing_table_has_no_signature_and_does_not_exist(table) -> None:
    dataset = _dataset(table)

    assert dataset.signature() is None
    assert not dataset.exists()
    with pytest.raises(DataSetError, match="no Delta table"):
        dataset.load()


def test_each_save_is_a_new_version_and_old_ones_can_be_read(table) -> None:
    _dataset(table).save(FIRST)
    _dataset(table, save_args={"mode": "append"}).save(MORE)
    dataset = _dataset(table)

    assert dataset.signature() == {"version": 1}
    pd.testing.assert_frame_equal(_sorted(dataset.load()), _sorted(pd.concat([FIRST, MORE])))
    travelled = _dataset(table, load_args={"version": 0})
    pd.testing.assert_frame_equal(_sorted(travelled.load()), _sorted(FIRST))
    assert travelled.signature() == {"version": 0}

    dataset.save(MORE)  # overwrite, the default

    assert dataset.signature() == {"version": 2}
    pd.testing.assert_frame_equal(_sorted(dataset.load()), _sorted(MORE))


def test_partition_by_partitions_the_table(table) -> None:
    from deltalake import DeltaTable

    _dataset(table, save_args={"partition_by": ["day"]}).save(FIRST)

    delta = DeltaTable(table[0], storage_options=_dataset(table)._storage_options or None)
    assert delta.metadata().partition_columns == ["day"]
    assert sorted(_dataset(table, load_args={"columns": ["n"]}).load()["n"]) == [1, 2]


def test_mode_error_refuses_to_replace_a_table(table) -> None:
    _dataset(table).save(FIRST)

    with pytest.raises(DataSetError, match="'events'"):
        _dataset(table, save_args={"mode": "error"}).save(MORE)

    assert _dataset(table).signature() == {"version": 0}


def test_a_commit_made_outside_aether_changes_the_signature(table) -> None:
    from deltalake import write_deltalake

    dataset = _dataset(table)
    dataset.save(FIRST)
    before = dataset.signature()

    write_deltalake(table[0], MORE, mode="append", storage_options=dataset._storage_options or None)

    assert dataset.signature() != before


def test_only_a_dataframe_can_be_saved(tmp_path: Path) -> None:
    with pytest.raises(DataSetError, match="can only save a pandas DataFrame"):
        _dataset((str(tmp_path / "t"), None)).save([1, 2])


def test_a_bucket_that_does_not_exist_names_the_endpoint(
    delta_credentials: dict[str, str],
) -> None:
    dataset = _dataset(("s3://no-such-delta-bucket/t", delta_credentials))

    with pytest.raises(DataSetError) as caught:
        dataset.save(FIRST)

    message = str(caught.value)
    assert "'events'" in message and "s3://no-such-delta-bucket/t" in message
    assert delta_credentials["endpoint_url"].removeprefix("http://") in message
    assert delta_credentials["secret"] not in message


def test_a_table_in_a_bucket_that_does_not_exist_cannot_be_looked_up(
    delta_credentials: dict[str, str],
) -> None:
    dataset = _dataset(("s3://no-such-delta-bucket/t", delta_credentials))

    with pytest.raises(DataSetError) as caught:
        dataset.exists()

    # Not "Cannot find": the store answered with an error, not "no such table".
    assert caught.value.message.startswith("Cannot look up dataset 'events' at s3://")
