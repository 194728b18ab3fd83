"""Hostile configuration: duplicate keys, alias bombs, deep nesting, huge or invented --params,
environment names that are paths, directories where files belong, malformed checks.

Each case drives the real CLI and asserts exit 2, one ``error: … — …`` line naming the
culprit, no traceback, and not one file of the project written or lost (``.aether/cache``,
the parsed-YAML cache, aside).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from .conftest import assert_no_secret, assert_refused, error_line, snapshot

MakeProject = Callable[..., Path]
Aether = Callable[..., subprocess.CompletedProcess[str]]

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)


def _ran_once(make_project: MakeProject, aether: Aether, scenario: str, **files: object) -> Path:
    """A project that ran successfully once: data and state exist and must stay as they are."""
    project = make_project(scenario, **files)
    result = aether(project, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


# Duplicate keys ----------------------------------------------------------------------------------
def test_duplicate_catalog_entry_is_refused_with_file_and_line(
    make_project: MakeProject, aether: Aether
) -> None:
    """A dataset declared twice in catalog.yml is an error naming file and line, never
    'last one wins', and the run writes nothing."""
    project = _ran_once(make_project, aether, "duplicate_catalog_entry")
    catalog = project / "conf" / "base" / "catalog.yml"
    catalog.write_text(catalog.read_text() + "total:\n  type: PickleDataSet\n  filepath: t.pkl\n")
    before = snapshot(project)

    result = aether(project, "run", "--force")

    assert_refused(result, project, before, "Duplicate key 'total'", "conf/base/catalog.yml:11")


def test_duplicate_nested_parameter_in_an_env_file_is_refused(
    make_project: MakeProject, aether: Aether
) -> None:
    """A key repeated at any depth, in any conf/ file (here conf/local/parameters.yml), is
    refused with file and line by every command that reads it."""
    project = make_project(
        "duplicate_nested_parameter",
        local={"parameters.yml": "report:\n  currency: EUR\n  days: 3\n  currency: USD\n"},
    )
    before = snapshot(project)

    result = aether(project, "validate")

    assert_refused(result, project, before, "'currency'", "conf/local/parameters.yml:4")


def test_duplicate_credentials_key_is_refused_without_showing_the_secret(
    make_project: MakeProject, aether: Aether
) -> None:
    """A duplicate key in credentials.yml is refused by naming the key only: the secret value
    appears in no output, cache or state."""
    secret = "hunter2-very-secret-value"
    project = make_project(
        "duplicate_credentials_key",
        local={"credentials.yml": f"s3:\n  key: {secret}\n  key: {secret}-2\n"},
    )
    before = snapshot(project)

    result = aether(project, "run")

    assert_refused(result, project, before, "Duplicate key 'key'", "conf/local/credentials.yml:3")
    assert_no_secret(secret, project, result)


# Bounded resources -------------------------------------------------------------------------------
def test_billion_laughs_in_parameters_is_refused(make_project: MakeProject, aether: Aether) -> None:
    """YAML whose aliases expand past the budget is refused (exit 2) instead of hanging the
    run or exhausting memory; the line of the expanding anchor is named."""
    project = make_project("billion_laughs", parameters="factor: 2\n" + BILLION_LAUGHS)
    before = snapshot(project)

    result = aether(project, "run")

    line = assert_refused(result, project, before, "conf/base/parameters.yml:", "expand to more")
    assert "1,000,000 values" in line


def test_recursive_alias_is_refused(make_project: MakeProject, aether: Aether) -> None:
    """An anchor that contains itself is refused with file and line (it used to loop forever
    in interpolation or crash the JSON cache)."""
    project = make_project(
        "recursive_alias", catalog=lambda text: text + "_loop: &loop {self: [*loop]}\n"
    )
    before = snapshot(project)

    result = aether(project, "run")

    assert_refused(result, project, before, "Recursive alias", "conf/base/catalog.yml:11")


def test_deeply_nested_yaml_file_is_refused(make_project: MakeProject, aether: Aether) -> None:
    """A YAML file nested 900 levels deep is exit 2 with file and line, not a RecursionError
    traceback."""
    project = make_project("deep_yaml", parameters="factor: 2\nx: " + "[" * 900 + "]" * 900 + "\n")
    before = snapshot(project)

    result = aether(project, "run")

    assert_refused(result, project, before, "conf/base/parameters.yml:2", "nests deeper")


def test_deeply_nested_params_value_is_refused(make_project: MakeProject, aether: Aether) -> None:
    """A --params value nested 10,000 levels deep is one short error line, not a traceback."""
    project = make_project("deep_params")
    before = snapshot(project)

    result = aether(project, "run", "--params", "factor=" + "[" * 10_000 + "]" * 10_000)

    line = assert_refused(result, project, before, "--params item 'factor=[[[")
    assert len(line) < 400


def test_huge_params_are_refused_in_one_short_line(
    make_project: MakeProject, aether: Aether
) -> None:
    """A --params of 100,000 characters (near the OS limit for one argument) is refused in
    one short line, and is not echoed back."""
    project = make_project("huge_params")
    before = snapshot(project)

    result = aether(project, "run", "--params", "factor=" + "9" * 100_000)

    line = assert_refused(result, project, before, "--params is 100,007 characters long")
    assert len(result.stdout + result.stderr) < 400, line


def test_an_integer_longer_than_python_reads_is_refused_with_key_and_file(
    make_project: MakeProject, aether: Aether
) -> None:
    """An integer of 5,000 digits in parameters.yml (past Python's 4,300-digit limit) is
    exit 2 naming the key, file and line in run, status and validate, not a ValueError
    traceback."""
    project = make_project(
        "integer_too_long", parameters="factor: 2\nreport:\n  big: " + "9" * 5_000 + "\n"
    )
    before = snapshot(project)

    for command in ("run", "status", "validate"):
        line = assert_refused(
            aether(project, command), project, before, "'report.big'", "parameters.yml:3"
        )
        assert "4,300 digits" in line and len(line) < 300


def test_an_integer_longer_than_python_reads_in_params_is_refused(
    make_project: MakeProject, aether: Aether
) -> None:
    """--params factor=<5,000 digits> is one short line naming the item, not a traceback;
    so is a hexadecimal one whose value Python could never print."""
    project = make_project("integer_too_long_in_params")
    before = snapshot(project)

    for value in ("9" * 5_000, "0x" + "f" * 5_000):
        result = aether(project, "run", "--params", f"factor={value}")
        line = assert_refused(result, project, before, "--params item 'factor=", "4,300 digits")
        assert len(line) < 400


def test_an_impossible_date_or_bool_in_yaml_is_refused_with_key_and_file(
    make_project: MakeProject, aether: Aether
) -> None:
    """Scalars PyYAML types but Python cannot build (February 30th, hour 25, `!!bool maybe`)
    are exit 2 naming the key, file and line, in conf/ files and in --params."""
    cases = {
        "start: 2024-02-30\n": "'start' in conf/base/parameters.yml:2",
        "window: {at: [2024-01-01 25:00:00]}\n": "'window.at[0]' in conf/base/parameters.yml:2",
        "flag: !!bool maybe\n": "'flag' in conf/base/parameters.yml:2",
    }
    for number, (text, culprit) in enumerate(cases.items()):
        project = make_project(f"impossible_scalar_{number}", parameters="factor: 2\n" + text)
        before = snapshot(project)
        assert_refused(aether(project, "run"), project, before, culprit, "not a valid")

    result = aether(project, "run", "--params", "factor=2024-02-30")
    assert_refused(result, project, before, "--params item 'factor=2024-02-30'", "timestamp")


def test_a_credential_that_cannot_be_built_is_refused_without_showing_it(
    make_project: MakeProject, aether: Aether
) -> None:
    """A credential under an explicit tag it does not fit (`!!int <token>`) is exit 2 naming
    the key and line; the value is in no output (Python's own error quoted it)."""
    secret = "hunter2-very-secret-value"
    project = make_project(
        "credential_not_an_int", local={"credentials.yml": f"s3:\n  key: !!int {secret}\n"}
    )
    before = snapshot(project)

    result = aether(project, "run")

    assert_refused(result, project, before, "'s3.key' in conf/local/credentials.yml:2")
    assert_no_secret(secret, project, result)


# --params overrides, it does not invent ----------------------------------------------------------
def test_params_key_absent_from_parameters_is_refused_with_a_suggestion(
    make_project: MakeProject, aether: Aether
) -> None:
    """--params naming a key that parameters.yml does not define is exit 2 with 'did you
    mean', and no node runs."""
    project = _ran_once(make_project, aether, "invented_params_key")
    before = snapshot(project)

    result = aether(project, "run", "--force", "--params", "factr=3")

    assert_refused(result, project, before, "'factr'", "did you mean 'factor'?")


# Run options -------------------------------------------------------------------------------------
def test_bad_runner_options_are_refused_before_the_state_store_is_opened(
    make_project: MakeProject, aether: Aether
) -> None:
    """An unknown --runner or --workers below 1 is exit 2 before the state store is created,
    locked or written (they used to be found once the run held the lock)."""
    project = make_project("bad_runner_options")
    before = snapshot(project)

    for options in (["--runner", "fast"], ["--runner", "parallel", "--workers", "0"]):
        result = aether(project, "run", *options)
        assert_refused(result, project, before, options[-1])


# Environment names -------------------------------------------------------------------------------
def test_env_name_that_is_a_path_is_refused(make_project: MakeProject, aether: Aether) -> None:
    """--env ../src names a folder outside conf/ (which exists): refused by `run` and by
    `status`, nothing read from it, nothing written."""
    project = make_project("env_is_a_path")
    before = snapshot(project)

    for command in ("run", "status"):
        result = aether(project, command, "--env", "../src")
        assert_refused(result, project, before, "Environment '../src'", "not a folder name")


def test_env_from_aether_env_must_be_a_folder_of_conf(
    make_project: MakeProject, aether: Aether
) -> None:
    """An environment named by AETHER_ENV that has no folder under conf/ is exit 2 naming
    AETHER_ENV, in `validate` as in `run`."""
    project = make_project("unknown_aether_env")
    before = snapshot(project)

    result = aether(project, "validate", env={"AETHER_ENV": "staging"})

    assert_refused(result, project, before, "Environment 'staging'", "AETHER_ENV", "local")


def test_explicit_local_env_must_exist(make_project: MakeProject, aether: Aether) -> None:
    """The implied default env `local` may be absent, but `--env local` named explicitly
    must be a folder under conf/."""
    project = make_project("explicit_local_absent")
    shutil.rmtree(project / "conf" / "local")
    before = snapshot(project)

    result = aether(project, "run", "--env", "local")

    assert_refused(result, project, before, "Environment 'local'", "conf/local")
    assert aether(project, "validate").returncode == 0  # implied local: fine


# Directories where files belong ------------------------------------------------------------------
def test_source_path_that_is_a_directory_is_refused(
    make_project: MakeProject, aether: Aether
) -> None:
    """A source dataset whose filepath is a directory is refused before any node runs,
    naming the dataset and the path."""
    project = make_project("source_is_a_directory")
    raw = project / "data" / "01_raw" / "numbers.csv"
    raw.unlink()
    raw.mkdir()
    before = snapshot(project)

    result = aether(project, "run")

    assert_refused(result, project, before, "Dataset 'numbers'", "data/01_raw/numbers.csv")


def test_output_path_that_is_a_directory_is_refused(
    make_project: MakeProject, aether: Aether
) -> None:
    """An output whose filepath is an existing directory is refused before the first node
    runs: the upstream output is not written either, and the state is untouched."""
    project = _ran_once(make_project, aether, "output_is_a_directory")
    total = project / "data" / "03_primary" / "total.csv"
    total.unlink()
    total.mkdir()
    (total / "keep.txt").write_text("data the user keeps here\n")
    before = snapshot(project)

    result = aether(project, "run", "--force")

    assert_refused(result, project, before, "Dataset 'total'", "data/03_primary/total.csv")


# Checks and freshness ----------------------------------------------------------------------------
def test_malformed_freshness_duration_stops_the_run_before_any_node(
    make_project: MakeProject, aether: Aether
) -> None:
    """A freshness duration that does not parse is exit 2 before the first node runs (it used
    to be found after every node had run and written its output)."""
    project = make_project(
        "bad_freshness",
        catalog=lambda text: text + "  freshness: {warn_after: banana}\n",
    )
    before = snapshot(project)

    result = aether(project, "run")

    assert_refused(result, project, before, "Dataset 'total'", "'banana'")


def test_unknown_check_stops_the_run_before_any_node(
    make_project: MakeProject, aether: Aether
) -> None:
    """An unknown data-quality check on an output is exit 2 with 'did you mean' before any
    node runs (it used to fail after the upstream node had written its output)."""
    project = make_project(
        "bad_check",
        catalog=lambda text: text + "  checks: [{check: nott_null, columns: [total]}]\n",
    )
    before = snapshot(project)

    result = aether(project, "run")

    assert_refused(result, project, before, "'total'", "did you mean 'not_null'?")


def test_a_malformed_alerts_file_stops_the_run_before_any_node(
    make_project: MakeProject, aether: Aether
) -> None:
    """alerts.yml is used once the nodes have run; a broken one (bad YAML, a webhook that is
    no URL) is still refused before the first node runs (it used to be found after every node
    had written its output, then exit 2)."""
    for number, text in enumerate(["webhook: [unclosed\n", "webhook: {url: 5}\n"]):
        project = make_project(f"bad_alerts_{number}", files={"conf/base/alerts.yml": text})
        before = snapshot(project)

        result = aether(project, "run")

        assert_refused(result, project, before, "alerts.yml")


# What must keep working --------------------------------------------------------------------------
def test_anchors_and_merge_overrides_keep_working(
    make_project: MakeProject, aether: Aether
) -> None:
    """Ordinary anchors and `<<:` merges whose keys are overridden are not duplicates: the
    project runs."""
    catalog = (
        "_csv: &csv {type: PandasCsvDataSet, filepath: placeholder.csv}\n"
        "numbers: {<<: *csv, filepath: data/01_raw/numbers.csv}\n"
        "doubled: {<<: *csv, filepath: data/02_intermediate/doubled.csv}\n"
        "total:\n  <<: *csv\n  filepath: data/03_primary/total.csv\n"
    )
    project = make_project("anchors_and_merges", catalog=catalog)

    result = aether(project, "run")

    assert result.returncode == 0, error_line(result) if result.returncode == 2 else result
    assert (project / "data" / "03_primary" / "total.csv").read_text() == "total\n12\n"


def test_unknown_durability_is_refused_before_anything_runs(
    make_project: MakeProject, aether: Aether
) -> None:
    """`[tool.aether] durability` must be a level Aether knows: a typo is refused naming the
    file and the levels, never taken for the default (which would fsync less than asked)."""
    project = _ran_once(make_project, aether, "unknown_durability")
    (project / "pyproject.toml").write_text('[tool.aether]\ndurability = "paranoid"\n')
    before = snapshot(project)

    result = aether(project, "run", "--force")

    assert_refused(result, project, before, "durability", "'paranoid'", "power-loss")
