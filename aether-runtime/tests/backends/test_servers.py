"""The local servers the backend tests rely on answer as the real services do."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")


def test_postgres_round_trip(postgres_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("create table t (x int)"))
        connection.execute(sa.text("insert into t values (1), (2)"))
        assert connection.execute(sa.text("select sum(x) from t")).scalar_one() == 3
    engine.dispose()


def test_postgres_databases_are_separate(postgres_server, postgres_url: str) -> None:
    import sqlalchemy as sa

    other = postgres_server.database()
    assert other != postgres_url
    engine = sa.create_engine(other)
    with engine.connect() as connection:
        tables = connection.execute(
            sa.text("select count(*) from information_schema.tables where table_schema='public'")
        )
        assert tables.scalar_one() == 0
    engine.dispose()


def test_s3_round_trip(s3_bucket: str, s3_credentials: dict[str, str]) -> None:
    import s3fs

    fs = s3fs.S3FileSystem(**s3_credentials)
    fs.pipe(f"{s3_bucket}/a.txt", b"hello")
    assert fs.cat(f"{s3_bucket}/a.txt") == b"hello"
    assert fs.info(f"{s3_bucket}/a.txt")["ETag"]


def test_secrets_manager_round_trip(aws_env: dict[str, str]) -> None:
    import boto3

    client = boto3.client("secretsmanager")
    client.create_secret(Name="db-password", SecretString="s3cr3t-value")
    got = client.get_secret_value(SecretId="db-password")
    assert got["SecretString"] == "s3cr3t-value"
