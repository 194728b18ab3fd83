"""`aether new` under hostile input: one `error: … — …` line, exit 2, and no half project.

Every case here once ended in a traceback, a false "Created", or a silently ignored answer.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

Aether = Callable[..., subprocess.CompletedProcess[str]]


def assert_one_error_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and " — " in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_a_destination_that_is_a_file_is_bad_input(aether: Aether, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("mine")

    result = aether(tmp_path, "new", "taken", "--defaults")

    assert_one_error_line(result, "taken is a file")
    assert (tmp_path / "taken").read_text() == "mine"


def test_an_unknown_question_is_bad_input(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", "--data", "projet_name=Typo")

    assert_one_error_line(result, "projet_name", "project_name")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "Sales: daily", "yes", "[Orders]", "0.10"])
def test_data_values_are_text_not_yaml(aether: Aether, tmp_path: Path, name: str) -> None:
    result = aether(
        tmp_path,
        "new",
        "p",
        "--defaults",
        "--data",
        f"project_name={name}",
        "--data",
        "project_slug=orders",
        "--data",
        "package_name=orders",
    )

    assert result.returncode == 0, result.stderr
    answers = yaml.safe_load((tmp_path / "p" / ".copier-answers.yml").read_text())
    assert answers["project_name"] == name
    assert (tmp_path / "p" / "README.md").read_text().startswith(f"# {name}\n")


def test_a_boolean_answer_given_as_text_is_converted(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", "--data", "include_spark=yes")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p" / "conf" / "base" / "spark.yml").is_file()


def test_a_very_long_project_name_is_bad_input(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", "--data", f"project_name={'x' * 300}")

    assert_one_error_line(result, "too long")
    assert not (tmp_path / "p").exists()


def test_a_rejected_derived_answer_says_which_answer_to_give(
    aether: Aether, tmp_path: Path
) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", "--data", "project_name=v1.2 sales")

    assert_one_error_line(result, "project_slug", "--data project_slug=")


def test_a_template_folder_that_does_not_exist_is_bad_input(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", "--template", str(tmp_path / "nowhere"))

    assert_one_error_line(result, "nowhere", "does not exist")
    assert not (tmp_path / "p").exists()


def test_a_folder_that_is_not_a_template_is_bad_input(aether: Aether, tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("not a template")

    result = aether(tmp_path, "new", "p", "--defaults", "--template", "plain")

    assert_one_error_line(result, "not a copier template", "copier.yml")
    assert not (tmp_path / "p").exists()


def test_an_unreachable_template_url_never_shows_its_password(
    aether: Aether, tmp_path: Path
) -> None:
    url = "https://robot:hunter2secret@nowhere.invalid/aether-template.git"

    result = aether(tmp_path, "new", "p", "--defaults", "--template", url)

    assert_one_error_line(result, "nowhere.invalid")
    assert "hunter2secret" not in result.stdout + result.stderr
    assert not (tmp_path / "p").exists()


def test_the_template_from_the_environment_is_used_and_checked(
    aether: Aether, tmp_path: Path
) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", env={"AETHER_TEMPLATE": "nowhere"})

    assert_one_error_line(result, "nowhere", "does not exist")


def test_an_empty_template_variable_means_the_default_template(
    aether: Aether, tmp_path: Path
) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", env={"AETHER_TEMPLATE": ""})

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p" / "conf" / "base" / "pipeline.yml").is_file()


def test_a_project_name_on_two_lines_is_bad_input(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", "--data", "project_name=Sales\nData")

    assert_one_error_line(result, "single line")


def test_a_failed_render_leaves_nothing_behind(aether: Aether, tmp_path: Path) -> None:
    result = aether(tmp_path, "new", "p", "--defaults", "--data", "package_name=class")

    assert result.returncode == 2
    assert sorted(tmp_path.iterdir()) == []


def test_the_next_step_can_be_pasted_for_a_folder_with_a_space(
    aether: Aether, tmp_path: Path
) -> None:
    result = aether(tmp_path, "new", "my orders", "--defaults")

    assert result.returncode == 0, result.stderr
    assert "Next: cd 'my orders' && git init" in result.stdout


def test_two_runs_into_the_same_folder_make_one_project(
    aether_in_background: Callable[..., subprocess.Popen[str]], tmp_path: Path
) -> None:
    runs = [
        aether_in_background(tmp_path, "new", "p", "--defaults", "--data", f"description=run {n}")
        for n in (1, 2)
    ]
    outcomes = [(run.wait(timeout=300), *run.communicate()) for run in runs]

    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 2], outcomes
    loser_stderr = next(err for code, _, err in outcomes if code == 2)
    assert loser_stderr.startswith("error: ") and "Traceback" not in loser_stderr
    winner = next(out for code, out, _ in outcomes if code == 0)
    assert "Created p." in winner
    readme = (tmp_path / "p" / "README.md").read_text()
    assert ("run 1" in readme) != ("run 2" in readme)  # one project, not a mix of two
    assert [p.name for p in tmp_path.iterdir()] == ["p"]
