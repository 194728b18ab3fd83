"""`aether catalog docs`: the catalog site's pages written by the CLI, and bad input."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

Aether = Callable[..., subprocess.CompletedProcess[str]]


def test_catalog_docs_writes_the_pages_where_the_project_site_expects_them(
    orders_project: Path, aether: Aether
) -> None:
    assert aether(orders_project, "run").returncode == 0

    done = aether(orders_project, "catalog", "docs")

    assert done.returncode == 0, done.stderr
    assert "Wrote 6 catalog pages to" in done.stdout
    folder = orders_project / "docs" / "catalog"
    page = (folder / "assets" / "clean_orders.md").read_text()
    assert "| order\\_id | int64 |" in page and "Types from: Parquet footer." in page
    assert "## sales" in (folder / "index.md").read_text()
    assert "check coverage" in (folder / "health.md").read_text()


def test_catalog_docs_removes_the_page_of_an_asset_gone(
    orders_project: Path, aether: Aether, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    assert aether(orders_project, "catalog", "docs", "--output", str(out)).returncode == 0
    catalog = orders_project / "conf/base/catalog.yml"
    text = catalog.read_text()
    start = text.index("daily_revenue:")
    catalog.write_text(text[:start] + text[text.index("\n\n", start) + 2 :])
    assert (out / "assets" / "daily_revenue.md").is_file()

    done = aether(orders_project, "catalog", "docs", "--output", str(out))

    assert done.returncode == 0, done.stderr
    assert "removed 1 of assets gone" in done.stdout
    assert not (out / "assets" / "daily_revenue.md").exists()
    assert (out / "assets" / "raw_orders.md").is_file()


def test_catalog_docs_with_a_file_as_output_is_one_line_and_exit_2(
    orders_project: Path, aether: Aether
) -> None:
    target = orders_project / "notes.txt"
    target.write_text("mine\n")

    done = aether(orders_project, "catalog", "docs", "--output", str(target))

    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "is a file, not a folder" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == "mine\n"
