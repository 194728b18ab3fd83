"""The catalog site under review (issue 19): a dataset's page says whether it holds personal
data and which versions it keeps, and how a notebook reads an older one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aether.insight.catalog_site.facts import gather
from aether.insight.catalog_site.site import render_pages
from aether.project.context import load_context

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
  metadata: {owner: sales, pii: true}
doubled:
  type: PandasCsvDataSet
  filepath: data/02_intermediate/doubled.csv
  versioned: {keep: 3}
  metadata: {owner: sales, pii: false}
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
  versioned: true
"""


def test_a_page_says_pii_and_versions_and_how_to_load_an_older_version(
    make_project: Callable[..., Path],
) -> None:
    pages = render_pages(gather(load_context(make_project(catalog=CATALOG))))

    assert "| personal data (pii) | **yes** |" in pages["assets/numbers.md"]
    assert "| personal data (pii) | no |" in pages["assets/doubled.md"]
    assert "personal data" not in pages["assets/total.md"]  # the catalog does not say
    assert "| versions | the newest 3 saves (aether catalog versions doubled) |" in pages[
        "assets/doubled.md"
    ].replace("\\", "")
    assert "| versions | every save " in pages["assets/total.md"]
    assert 'catalog.load("doubled", version="<run id>")' in pages["assets/doubled.md"]
    assert "version=" not in pages["assets/numbers.md"]  # not versioned: no older version


def test_the_health_page_of_a_project_never_run_reads_as_a_sentence(
    make_project: Callable[..., Path],
) -> None:
    page = render_pages(gather(load_context(make_project(catalog=CATALOG))))["health.md"]

    # Not "As of the newest record in the state store: no run recorded yet (UTC)."
    assert "(UTC)" not in page
    assert "There is no run recorded yet: incidents and downtime count from the first one" in page
