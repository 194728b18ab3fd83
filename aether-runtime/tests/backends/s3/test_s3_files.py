"""File datasets on S3 (moto's server on loopback): round trips, atomic publish, hashes taken
while uploading, signatures read without a download, and errors that name the endpoint."""

from __future__ import annotations

import hashlib
from typing import IO, Any

import pandas as pd
import pytest

from aether.datasets.files import AbstractFileDataSet
from aether.datasets.pandas import PandasCsvDataSet, PandasParquetDataSet
from aether.errors import DataSetError

LoggedS3 = Any  # the logged_s3 fixture (conftest.py): moto S3 with a request log

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

FRAME = pd.DataFrame({"order_id": [1, 2, 3], "amount": [9.5, 20.0, 3.25]})


def _dataset(
    cls: type[AbstractFileDataSet], url: str, credentials: dict[str, str]
) -> AbstractFileDataSet:
    dataset = cls(url, credentials=credentials)
    dataset.name = "orders"
    return dataset


def _keys(logged_s3: LoggedS3, bucket: str) -> list[str]:
    listed = logged_s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(item["Key"] for item in listed)


@pytest.mark.parametrize(
    ("cls", "suffix"), [(PandasCsvDataSet, "csv"), (PandasParquetDataSet, "parquet")]
)
def test_a_frame_round_trips_through_s3_without_a_download_to_hash_it(
    logged_s3: LoggedS3, cls: type[AbstractFileDataSet], suffix: str
) -> None:
    bucket = logged_s3.bucket()
    key = f"clean/orders.{suffix}"
    dataset = _dataset(cls, f"s3://{bucket}/{key}", logged_s3.credentials())

    dataset.save(FRAME)
    signature, digest = dataset.signature(), dataset.content_hash()

    assert logged_s3.downloads(bucket, key) == 0
    stored = logged_s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    assert digest == "sha256:" + hashlib.sha256(stored).hexdigest()
    assert signature is not None and signature["size"] == len(stored)
    assert {"etag", "mtime"} <= set(signature)
    pd.testing.assert_frame_equal(dataset.load(), FRAME)
    assert _keys(logged_s3, bucket) == [key]  # no temporary object left behind


def test_the_signature_is_read_without_downloading(logged_s3: LoggedS3) -> None:
    bucket = logged_s3.bucket(versioned=True)
    logged_s3.client().put_object(Bucket=bucket, Key="raw/orders.csv", Body=b"order_id\n1\n")
    dataset = _dataset(PandasCsvDataSet, f"s3://{bucket}/raw/orders.csv", logged_s3.credentials())

    first = dataset.signature()
    logged_s3.client().put_object(Bucket=bucket, Key="raw/orders.csv", Body=b"order_id\n1\n")
    second = dataset.signature()

    assert logged_s3.downloads(bucket, "raw/orders.csv") == 0
    assert first is not None and second is not None
    assert first["etag"] == second["etag"] and first["version_id"] != second["version_id"]


def test_a_missing_object_has_no_signature_and_does_not_exist(logged_s3: LoggedS3) -> None:
    bucket = logged_s3.bucket()
    dataset = _dataset(PandasCsvDataSet, f"s3://{bucket}/nothing.csv", logged_s3.credentials())

    assert dataset.signature() is None
    assert not dataset.exists()


class _FailingMidWrite(PandasCsvDataSet):
    def _write(self, data: Any, target: str | IO[bytes]) -> None:
        assert not isinstance(target, str)
        target.write(b"order_id\n1\n")  # half a file already uploaded...
        raise RuntimeError("the writer died")


def test_a_save_failing_mid_write_keeps_the_old_object_and_leaves_no_temporary(
    logged_s3: LoggedS3,
) -> None:
    bucket = logged_s3.bucket()
    url = f"s3://{bucket}/clean/orders.csv"
    _dataset(PandasCsvDataSet, url, logged_s3.credentials()).save(FRAME)
    before = logged_s3.client().get_object(Bucket=bucket, Key="clean/orders.csv")["Body"].read()

    with pytest.raises(DataSetError, match="the writer died"):
        _dataset(_FailingMidWrite, url, logged_s3.credentials()).save(FRAME)

    after = logged_s3.client().get_object(Bucket=bucket, Key="clean/orders.csv")["Body"].read()
    assert after == before
    assert _keys(logged_s3, bucket) == ["clean/orders.csv"]


def test_a_staged_object_survives_a_restart_and_is_published_by_the_next_process(
    logged_s3: LoggedS3,
) -> None:
    bucket = logged_s3.bucket()
    url = f"s3://{bucket}/clean/orders.parquet"
    staged = _dataset(PandasParquetDataSet, url, logged_s3.credentials()).stage(FRAME)
    assert staged is not None
    # A new dataset object, as the next run builds after the first was killed.
    recovered = _dataset(PandasParquetDataSet, url, logged_s3.credentials())

    assert recovered.is_staged(staged) and not recovered.exists()
    recovered.publish(staged)

    assert not recovered.is_staged(staged)
    pd.testing.assert_frame_equal(recovered.load(), FRAME)
    assert _keys(logged_s3, bucket) == ["clean/orders.parquet"]
    assert recovered.content_hash() == staged.content_hash
    assert logged_s3.downloads(bucket, "clean/orders.parquet") == 1  # the load, not the hash


def test_a_discarded_staged_object_is_removed(logged_s3: LoggedS3) -> None:
    bucket = logged_s3.bucket()
    dataset = _dataset(PandasCsvDataSet, f"s3://{bucket}/x.csv", logged_s3.credentials())
    staged = dataset.stage(FRAME)
    assert staged is not None

    dataset.discard(staged)

    assert _keys(logged_s3, bucket) == []


def test_a_bucket_that_does_not_exist_is_named_with_the_endpoint(logged_s3: LoggedS3) -> None:
    credentials = logged_s3.credentials()
    dataset = _dataset(PandasCsvDataSet, "s3://no-such-bucket-here/x.csv", credentials)
    host_port = logged_s3.endpoint.removeprefix("http://")

    with pytest.raises(DataSetError) as caught:
        dataset.save(FRAME)

    message = str(caught.value)
    assert "'orders'" in message and "s3://no-such-bucket-here/x.csv" in message
    assert host_port in message and "does not exist" in message
    assert credentials["secret"] not in message + str(caught.value.hint)


def test_an_unreachable_endpoint_is_named_without_the_secret() -> None:
    credentials = {"key": "AKIAUNREACHABLE", "secret": "unreachable-secret-value"}
    dataset = PandasCsvDataSet(
        "s3://bucket/x.csv",
        credentials={**credentials, "endpoint_url": "http://127.0.0.1:9"},
        # One attempt: the retries with backoff that suit a real network only slow the test.
        fs_args={"config_kwargs": {"retries": {"max_attempts": 1}}},
    )
    dataset.name = "orders"

    with pytest.raises(DataSetError) as caught:
        dataset.signature()

    message = str(caught.value)
    assert "'orders'" in message and "s3://bucket/x.csv" in message
    assert "127.0.0.1:9" in message
    assert "unreachable-secret-value" not in message


def test_an_unreachable_endpoint_is_not_reported_as_a_missing_object() -> None:
    dataset = PandasCsvDataSet(
        "s3://bucket/x.csv",
        credentials={"key": "k", "secret": "s", "endpoint_url": "http://127.0.0.1:9"},
        fs_args={"config_kwargs": {"retries": {"max_attempts": 1}}},
    )
    dataset.name = "orders"

    with pytest.raises(DataSetError) as caught:
        dataset.exists()

    # "Cannot find dataset" read as "the object is not there" when the store was never reached.
    assert caught.value.message.startswith("Cannot look up dataset 'orders' at s3://bucket/x.csv")
    assert "127.0.0.1:9" in caught.value.message
