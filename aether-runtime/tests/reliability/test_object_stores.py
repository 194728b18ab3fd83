"""Object stores under attack: an endpoint that never answers, leftovers of failed runs,
and configuration examples that must work as written. Against moto's S3 server and a TCP
server of our own that accepts connections and never answers."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import assert_no_traceback

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:botocore")

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:<port>``: accepts every connection, reads, never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


def s3_source_project(make_project: MakeProject, endpoint: str, fs_args: str = "") -> Path:
    """The fixture project whose source ``numbers`` is an object behind ``endpoint``."""
    source = (
        "numbers:\n  type: PandasCsvDataSet\n  filepath: s3://lake/raw/numbers.csv\n"
        f"  credentials: lake\n{fs_args}"
    )
    return make_project(
        catalog=lambda text: source + "doubled:" + text.split("doubled:", 1)[1],
        local={
            "credentials.yml": f"lake:\n  key: testing\n  secret: testing-secret-key\n"
            f"  endpoint_url: {endpoint}\n"
        },
    )


def test_status_against_an_endpoint_that_never_answers_ends_within_its_budget(
    make_project: MakeProject, aether: Aether, silent_endpoint: str
) -> None:
    """`aether status` with an S3 source behind an endpoint that accepts TCP and never
    answers: it ends within the documented look budget (30 s per remote source, where it ran
    past 240 s), showing the source failed with the endpoint named, in one line."""
    project = s3_source_project(make_project, silent_endpoint)
    started = time.monotonic()

    result = aether(project, "status", timeout=120)

    elapsed = time.monotonic() - started
    assert_no_traceback(result)
    assert elapsed < 100, f"status took {elapsed:.0f} s"
    assert "numbers" in result.stdout and "failed" in result.stdout, result.stdout
    assert "no answer within 30 s" in result.stdout, result.stdout


def test_a_run_against_an_endpoint_that_never_answers_stops_at_the_entrys_timeouts(
    make_project: MakeProject, aether: Aether, silent_endpoint: str
) -> None:
    """An entry's own `fs_args: {config_kwargs: ...}` bounds each request (1 s read, one
    attempt): the run fails fast in one line naming the dataset, never hangs."""
    fs_args = "  fs_args: {config_kwargs: {read_timeout: 1, retries: {max_attempts: 1}}}\n"
    project = s3_source_project(make_project, silent_endpoint, fs_args)

    result = aether(project, "run", timeout=120)

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "numbers" in result.stdout and "127.0.0.1" in result.stdout, result.stdout


def test_a_staged_object_a_failed_run_left_is_removed_by_the_next_run(
    make_project: MakeProject, aether: Aether, s3_bucket: str, s3_credentials: dict[str, str]
) -> None:
    """A temporary object a failed run could not remove (the endpoint was cut mid-upload)
    is gone after the next successful run that writes the output (it used to stay: only the
    outputs of killed runs were looked at)."""
    import s3fs

    entry = f"  type: PandasCsvDataSet\n  filepath: s3://{s3_bucket}/out/big.csv\n"
    entry += "  credentials: lake\n"
    lake = "lake:\n" + "".join(f"  {k}: {v}\n" for k, v in s3_credentials.items())
    project = make_project(
        catalog=lambda text: text.replace(
            "\n  type: PandasCsvDataSet\n  filepath: data/02_intermediate/doubled.csv\n",
            "\n" + entry,
        ),
        local={"credentials.yml": lake},
    )
    fs = s3fs.S3FileSystem(**s3_credentials)
    left = f"{s3_bucket}/out/.big.csv.tmp-0badc0de"
    fs.pipe(left, b"n\n1\n")  # what the failed upload left

    result = aether(project, "run")

    assert result.returncode == 0, result.stdout + result.stderr
    # The S3 client's idle executor threads are no node's leftovers: nothing to warn about.
    assert "not waiting for" not in result.stderr, result.stderr
    fs.invalidate_cache()
    assert sorted(fs.ls(f"{s3_bucket}/out", detail=False)) == [f"{s3_bucket}/out/big.csv"]


def test_retries_in_fs_args_is_refused_with_what_to_write(
    make_project: MakeProject, aether: Aether, s3_credentials: dict[str, str]
) -> None:
    """`fs_args: {retries: 1}` (not an s3fs argument: every save failed with a TypeError) is
    refused when the catalog is read, exit 2, naming botocore's `config_kwargs` instead."""
    project = s3_source_project(
        make_project, s3_credentials["endpoint_url"], "  fs_args: {retries: 1}\n"
    )

    result = aether(project, "validate")

    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "config_kwargs" in result.stderr, result.stderr
