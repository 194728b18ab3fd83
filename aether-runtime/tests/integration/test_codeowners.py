"""`.github/CODEOWNERS` kept in step with the catalog: the block, validate's check, the command."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from aether.catalog.codeowners import BEGIN, END, managed_block, render_block, with_block
from aether.errors import CatalogError
from aether.project.context import load_context

Aether = Callable[..., subprocess.CompletedProcess[str]]
HAND_WRITTEN = "# mine\n/src/ @acme/engineers\n"


def _catalog(project: Path):
    return load_context(project, env="local").catalog


def _set_owner(project: Path, old: str, new: str) -> None:
    catalog = project / "conf/base/catalog.yml"
    catalog.write_text(catalog.read_text().replace(old, new))


# the block ---------------------------------------------------------------------------------
def test_block_maps_data_paths_and_conf_files_to_owners_grouped_by_domain(
    orders_project: Path,
) -> None:
    block = render_block(_catalog(orders_project))

    assert block.splitlines() == [
        BEGIN,
        "/conf/base/catalog.yml @acme/finance @acme/sales-data",
        "# domain: finance",
        "/data/08_reporting/daily_revenue.csv @acme/finance",
        "# domain: sales",
        "/data/01_raw/orders.csv @acme/sales-data",
        "/data/02_intermediate/clean_orders.parquet @acme/sales-data",
        END,
    ]


def test_entries_sharing_a_file_share_one_line_with_all_their_owners(
    orders_project: Path,
) -> None:
    # A later CODEOWNERS line for a path replaces an earlier one: two lines would drop owners.
    catalog = orders_project / "conf/base/catalog.yml"
    catalog.write_text(
        catalog.read_text()
        + "\nraw_orders_again:\n  type: PandasCsvDataSet\n  filepath: data/01_raw/orders.csv\n"
        "  metadata:\n    owner: '@acme/auditors'\n    domain: sales\n"
    )

    block = render_block(_catalog(orders_project))

    assert [line for line in block.splitlines() if "orders.csv" in line] == [
        "/data/01_raw/orders.csv @acme/auditors @acme/sales-data"
    ]


def test_remote_paths_get_no_line_but_their_conf_file_does(orders_project: Path) -> None:
    _set_owner(orders_project, "data/08_reporting/daily_revenue.csv", "s3://bucket/revenue.csv")

    block = render_block(_catalog(orders_project))

    assert "s3://" not in block and "daily_revenue" not in block
    assert "/conf/base/catalog.yml @acme/finance @acme/sales-data" in block


@pytest.mark.parametrize("owner", ["finance", "@", "@acme/", "a b@x.io", "@-x"])
def test_an_owner_github_would_not_accept_names_the_entry_and_line(
    orders_project: Path, owner: str
) -> None:
    _set_owner(orders_project, '"@acme/finance"', f'"{owner}"')

    with pytest.raises(CatalogError) as raised:
        render_block(_catalog(orders_project))

    assert "Dataset 'daily_revenue' (conf/base/catalog.yml:" in str(raised.value)
    assert "@user, @org/team or an e-mail" in raised.value.hint


@pytest.mark.parametrize("owner", ["@ana", "@acme/data-eng", "ana@acme.example"])
def test_github_owners_are_accepted(orders_project: Path, owner: str) -> None:
    _set_owner(orders_project, '"@acme/finance"', f'"{owner}"')

    assert f"/data/08_reporting/daily_revenue.csv {owner}" in render_block(_catalog(orders_project))


def test_the_block_is_replaced_in_place_and_hand_lines_are_kept() -> None:
    old = f"{HAND_WRITTEN}{BEGIN}\n/old @x\n{END}\n# after\n* @acme/all\n"
    new = f"{BEGIN}\n/new @y\n{END}\n"

    updated = with_block(old, new)

    assert updated == f"{HAND_WRITTEN}{new}# after\n* @acme/all\n"
    assert managed_block(updated) == new
    assert with_block(HAND_WRITTEN, new) == f"{HAND_WRITTEN}\n{new}"
    assert managed_block(HAND_WRITTEN) is None


# validate and the command ------------------------------------------------------------------
def _codeowners(project: Path) -> Path:
    return project / ".github" / "CODEOWNERS"


def test_validate_ignores_projects_without_a_managed_block(
    orders_project: Path, aether: Aether
) -> None:
    _codeowners(orders_project).parent.mkdir()
    _codeowners(orders_project).write_text(HAND_WRITTEN)

    assert aether(orders_project, "validate").returncode == 0


ADDED = """
archive:
  type: PandasCsvDataSet
  filepath: data/05_model_input/archive.csv
  metadata:
    owner: "@acme/archivists"
"""


def _owner_changed(project: Path) -> None:
    _set_owner(project, "@acme/finance", "@acme/treasury")


def _dataset_added(project: Path) -> None:
    catalog = project / "conf/base/catalog.yml"
    catalog.write_text(catalog.read_text() + ADDED)


def _dataset_removed(project: Path) -> None:
    catalog = project / "conf/base/catalog.yml"
    text = catalog.read_text()
    start = text.index("daily_revenue:")
    end = text.index("\n\n", start)
    catalog.write_text(text[:start] + text[end + 2 :])


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (_owner_changed, "missing: '/conf/base/catalog.yml @acme/sales-data @acme/treasury'"),
        (_dataset_added, "missing: '/conf/base/catalog.yml @acme/archivists"),
        (_dataset_removed, "missing: '/conf/base/catalog.yml @acme/sales-data'"),
    ],
    ids=["owner-changed", "dataset-added", "dataset-removed"],
)
def test_validate_fails_on_a_stale_block_and_the_command_fixes_it_keeping_hand_lines(
    orders_project: Path,
    aether: Aether,
    change: Callable[[Path], None],
    reported: str,
) -> None:
    assert aether(orders_project, "catalog", "codeowners", "--write").returncode == 0
    path = _codeowners(orders_project)
    path.write_text(HAND_WRITTEN + path.read_text())
    assert aether(orders_project, "validate").returncode == 0
    change(orders_project)

    stale = aether(orders_project, "validate")

    assert stale.returncode == 2, stale.stdout + stale.stderr
    assert "error: .github/CODEOWNERS: the Aether-managed block is out of step" in stale.stderr
    assert "aether catalog codeowners --write" in stale.stderr
    assert reported in stale.stderr
    assert "Traceback" not in stale.stderr

    fixed = aether(orders_project, "catalog", "codeowners", "--write")

    assert fixed.returncode == 0, fixed.stderr
    assert path.read_text().startswith(HAND_WRITTEN)
    assert aether(orders_project, "validate").returncode == 0


def test_validate_names_a_bad_owner_with_exit_2(orders_project: Path, aether: Aether) -> None:
    assert aether(orders_project, "catalog", "codeowners", "--write").returncode == 0
    _set_owner(orders_project, '"@acme/finance"', "finance team")

    result = aether(orders_project, "validate")

    assert result.returncode == 2
    assert "Dataset 'daily_revenue' (conf/base/catalog.yml:" in result.stderr
    assert "is not a GitHub owner" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_block_comes_from_conf_base_whatever_the_environment(
    orders_project: Path, aether: Aether
) -> None:
    """One CODEOWNERS for every environment: neither --env nor a person's conf/local moves it."""
    assert aether(orders_project, "catalog", "codeowners", "--write").returncode == 0
    block = _codeowners(orders_project).read_text()
    for env in ("local", "prod"):
        (orders_project / "conf" / env).mkdir(exist_ok=True)
        (orders_project / "conf" / env / "catalog.yml").write_text(
            "daily_revenue:\n  type: PandasCsvDataSet\n  filepath: /tmp/elsewhere.csv\n"
            '  metadata:\n    owner: "@someone-else"\n'
        )

    assert aether(orders_project, "validate").returncode == 0
    assert aether(orders_project, "validate", "--env", "prod").returncode == 0
    rewritten = aether(orders_project, "catalog", "codeowners", "--write", "--env", "prod")
    assert rewritten.returncode == 0
    assert _codeowners(orders_project).read_text() == block
