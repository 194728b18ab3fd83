"""Hostile catalogs whose outputs share a physical location with another entry.

A node's output spelled as another entry's file (or folder) would overwrite it: the raw
source in the worst case. ``aether validate`` and ``aether run`` both refuse such a catalog
(exit 2, one line naming both entries and their catalog.yml lines) before anything is
written; read-only aliases of one source stay allowed.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

from .conftest import assert_no_secret, assert_refused, snapshot

RAW = "data/01_raw/numbers.csv"
RAW_SHA256 = hashlib.sha256(b"n\n1\n2\n3\n").hexdigest()  # what make_project writes there
NUMBERS = "'numbers' (conf/base/catalog.yml:1)"
DOUBLED = "'doubled' (conf/base/catalog.yml:5)"
TOTAL = "'total' (conf/base/catalog.yml:8)"

Aether = Callable[..., subprocess.CompletedProcess[str]]


def doubled_at(filepath: str) -> Callable[[str], str]:
    """Edit the fixture catalog: the output ``doubled`` moves to ``filepath``."""
    return lambda text: text.replace("data/02_intermediate/doubled.csv", filepath)


def refused_by_validate_and_run(
    aether: Aether, project: Path, *culprits: str
) -> list[subprocess.CompletedProcess[str]]:
    """Both commands exit 2 with one line naming ``culprits``; no file (the raw source
    included, checked by its hash) is written, changed or lost."""
    before = snapshot(project)
    results = [aether(project, "validate"), aether(project, "run")]
    for result in results:
        assert_refused(result, project, before, *culprits)
    assert hashlib.sha256((project / RAW).read_bytes()).hexdigest() == RAW_SHA256
    assert not (project / "data" / "03_primary" / "total.csv").exists()
    return results


def test_output_spelled_with_dot_and_dotdot_is_the_raw_file(make_project, aether):
    """An output spelled `./data/../data/01_raw/numbers.csv` is the raw source: refused,
    naming both entries; the raw file is untouched."""
    project = make_project(catalog=doubled_at("./data/../data/01_raw/numbers.csv"))
    refused_by_validate_and_run(aether, project, DOUBLED, NUMBERS, "same location", RAW)


def test_output_at_the_absolute_path_of_a_relative_source(make_project, aether, tmp_path):
    """An absolute output path equal to a source's relative path under the project is the
    same file: refused."""
    absolute = tmp_path / "absolute" / RAW
    project = make_project("absolute", catalog=doubled_at(str(absolute)))
    refused_by_validate_and_run(aether, project, DOUBLED, NUMBERS)


def test_output_as_a_file_url_of_the_source(make_project, aether, tmp_path):
    """`file:///abs/path` is the local path `/abs/path`: an output spelled so over the raw
    source is refused."""
    url = (tmp_path / "file_url" / RAW).as_uri()
    project = make_project("file_url", catalog=doubled_at(url))
    refused_by_validate_and_run(aether, project, DOUBLED, NUMBERS)


def test_output_through_a_symlinked_folder(make_project, aether):
    """A folder symlinked to data/01_raw leads to the raw source: an output written
    through it is refused."""
    project = make_project(catalog=doubled_at("data/mirror/numbers.csv"))
    (project / "data" / "mirror").symlink_to(project / "data" / "01_raw")
    refused_by_validate_and_run(aether, project, DOUBLED, NUMBERS)


def test_output_inside_another_outputs_folder(make_project, aether):
    """An entry inside the folder another node writes (`data/out` and `data/out/total.csv`)
    is refused, naming both."""
    catalog = lambda text: doubled_at("data/out")(text).replace(  # noqa: E731
        "data/03_primary/total.csv", "data/out/total.csv"
    )
    project = make_project(catalog=catalog)
    refused_by_validate_and_run(
        aether, project, DOUBLED, TOTAL, "is a folder holding", "data/out and data/out/total.csv"
    )


def test_output_written_into_a_source_folder(make_project, aether):
    """A read-only entry naming the raw folder, and an output written inside that folder:
    refused (the output would land among the source files)."""
    raw_folder = "raw_folder:\n  type: PandasCsvDataSet\n  filepath: data/01_raw\n"
    catalog = lambda text: doubled_at("data/01_raw/doubled.csv")(text) + raw_folder  # noqa: E731
    project = make_project(catalog=catalog)
    refused_by_validate_and_run(
        aether,
        project,
        DOUBLED,
        "'raw_folder' (conf/base/catalog.yml:11)",
        "lies inside the folder of",
        "data/01_raw/doubled.csv and data/01_raw",
    )


def test_s3_spellings_of_one_object_with_credentials(make_project, aether):
    """`S3A://bucket//a.csv` is `s3://bucket/a.csv`: an output there clashes with the
    read-only entry; refused without any network or credential use, and the credential
    appears nowhere."""
    secret = "AKIAHOSTILE-secret-7731"
    remote = (
        "remote_copy:\n  type: PandasCsvDataSet\n  filepath: s3://bucket/a.csv\n"
        "  credentials: s3_creds\n"
    )
    project = make_project(
        catalog=lambda text: doubled_at("S3A://bucket//a.csv")(text) + remote,
        local={"credentials.yml": f"s3_creds: {{key: id, secret: {secret}}}\n"},
    )
    results = refused_by_validate_and_run(
        aether, project, DOUBLED, "'remote_copy' (conf/base/catalog.yml:11)", "s3://bucket/a.csv"
    )
    assert_no_secret(secret, project, *results)


def test_a_password_in_a_clashing_url_is_never_shown(make_project, aether):
    """Two spellings of one FTP file, one carrying `user:password@` (from the environment):
    refused, and the password is in no output or state."""
    secret = "hunter2-ftp-password"
    mirror = "mirror:\n  type: PandasCsvDataSet\n  filepath: ftp://bob:${env:FTP_PW}@Files/a.csv\n"
    project = make_project(catalog=lambda text: doubled_at("ftp://files/a.csv")(text) + mirror)
    before = snapshot(project)
    results = [aether(project, command, env={"FTP_PW": secret}) for command in ("validate", "run")]
    for result in results:
        assert_refused(result, project, before, DOUBLED, "'mirror' (conf/base/catalog.yml:11)")
        assert "ftp://files/a.csv" in result.stderr
    assert_no_secret(secret, project, *results)


def test_two_outputs_of_one_file(make_project, aether):
    """Two nodes writing one file (`doubled.csv` and `.//doubled.csv`) is refused, naming
    both outputs."""
    project = make_project(
        catalog=lambda text: text.replace(
            "data/03_primary/total.csv", "data/02_intermediate/.//doubled.csv"
        )
    )
    refused_by_validate_and_run(aether, project, DOUBLED, TOTAL, "same location")


def test_a_writer_in_another_pipeline_counts(make_project, aether):
    """An entry written by a node of any pipeline counts, even when the pipeline run does
    not contain that node: `aether run` of `main` is refused too."""
    other = (
        "  overwrite:\n    nodes:\n      - name: clobber\n"
        "        transformation: mini.nodes.passthrough\n"
        "        inputs: {rows: doubled}\n        outputs: raw_copy\n"
    )
    raw_copy = "raw_copy:\n  type: PandasCsvDataSet\n  filepath: data/01_raw/./numbers.csv\n"
    project = make_project(
        catalog=lambda text: text + raw_copy,
        pipeline=lambda text: text.replace("default: main", other + "default: main"),
    )
    line = refused_by_validate_and_run(
        aether, project, "'raw_copy' (conf/base/catalog.yml:11)", NUMBERS
    )[1].stderr
    assert "node 'clobber'" in line


def test_read_only_aliases_of_one_source_are_allowed(make_project, aether):
    """Two entries no node writes may name one file (a second view of a source): validate
    and run succeed, and the raw file is untouched."""
    alias = (
        "numbers_alias:\n  type: PandasCsvDataSet\n  filepath: ./data/../data/01_raw/numbers.csv\n"
    )
    recount = (
        "      - name: recount\n        transformation: mini.nodes.passthrough\n"
        "        inputs: {rows: numbers_alias}\n        outputs: recounted\n"
    )
    project = make_project(
        catalog=lambda text: text + alias,
        pipeline=lambda text: (
            text.replace("default: main", "").rstrip("\n") + "\n" + recount + "default: main\n"
        ),
    )
    for command in ("validate", "run"):
        result = aether(project, command)
        assert result.returncode == 0, result.stdout + result.stderr
    assert hashlib.sha256((project / RAW).read_bytes()).hexdigest() == RAW_SHA256
    assert (project / "data" / "03_primary" / "total.csv").read_text() == "total\n12\n"
