"""The catalog site's pages, from a real small project with a real state store (SQLite)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aether.insight.catalog_site.facts import gather
from aether.insight.catalog_site.markdown import file_stem, mermaid_label, text
from aether.insight.catalog_site.site import MANIFEST, build_site, render_pages, write_pages
from aether.project.context import load_context
from aether.run import run_pipeline
from aether.state.base import Transition
from aether.verdicts import Status

CATALOG = """\
numbers:
  type: PandasCsvDataSet
  filepath: data/01_raw/numbers.csv
  metadata:
    owner: data-team
    domain: maths
    description: Numbers to add up
    tier: gold
    tags: [demo]
    columns:
      n: {description: The number itself, term: count}
  checks:
    - {check: not_null, columns: [n]}
  freshness: {warn_after: 1h, error_after: 1d}
doubled:
  type: PandasParquetDataSet
  filepath: data/02_intermediate/doubled.parquet
  metadata:
    domain: maths
    term: count
total:
  type: PandasCsvDataSet
  filepath: data/03_primary/total.csv
  metadata:
    domain: reports
    owner: "postgresql://alice:s3cr3t-pass@db.example.com/x"
"""

GLOSSARY = """\
terms:
  count:
    definition: How many of something there are
    owner: data-team
    synonyms: [tally]
  unused:
    definition: A term no asset uses
"""


@pytest.fixture
def project(make_project) -> Path:
    root = make_project("site", catalog=CATALOG, files={"conf/base/glossary.yml": GLOSSARY})
    assert run_pipeline(root, wait_for_lock=False).succeeded
    return root


def pages_of(root: Path) -> dict[str, str]:
    return render_pages(gather(load_context(root)))


def test_an_asset_page_shows_metadata_schema_checks_freshness_lineage_and_usage(project):
    page = pages_of(project)["assets/doubled.md"]

    assert "Types from: Parquet footer." in page
    assert "| n | int64 |" in page
    assert "[count](../glossary.md#term-count)" in page
    assert '<pre class="mermaid"><code>flowchart LR' in page
    assert 'n0["doubled"]' in page and '"numbers"' in page and "n1 --&gt; n0" in page
    assert '"total"' in page
    # One step away, as links: clickable, and readable offline where Mermaid cannot load.
    assert "Made from: [numbers](numbers.md). Used to make: [total](total.md)." in page
    assert 'catalog.load("doubled")' in page
    assert "## Last materializations" in page and "| double |" in page.replace("\\", "")
    assert "Status: **fresh**." in page


def test_a_csv_asset_shows_the_columns_recorded_at_its_last_save(project):
    page = pages_of(project)["assets/total.md"]

    assert "Types from: recorded at the last save." in page
    assert "| total | int64 |" in page


def test_a_source_shows_its_column_descriptions_checks_and_sla(project):
    page = pages_of(project)["assets/numbers.md"]

    assert "| n |" in page and "The number itself" in page
    assert "not\\_null" in page and "passed" in page
    assert "SLA: error\\_after 1d, warn\\_after 1h." in page
    assert "| owner | data\\-team |" in page and "| tier | gold |" in page


def test_the_index_groups_assets_by_domain_and_links_their_pages(project):
    index = pages_of(project)["index.md"]

    maths, reports = index.index("## maths"), index.index("## reports")
    assert maths < index.index("[numbers](assets/numbers.md)") < reports
    assert reports < index.index("[total](assets/total.md)")


def test_the_glossary_page_lists_terms_and_the_assets_using_them(project):
    glossary = pages_of(project)["glossary.md"]

    assert '<h2 id="term-count">count</h2>' in glossary
    assert "How many of something there are" in glossary and "Synonyms: tally" in glossary
    assert "[doubled](assets/doubled.md)" in glossary and "[numbers](assets/numbers.md)" in glossary
    assert '<h2 id="term-unused">unused</h2>' in glossary


def test_the_health_page_counts_statuses_incidents_downtime_and_check_coverage(project):
    ctx = load_context(project)
    with ctx.state_store() as store:
        last = max(t.at for t in store.transitions())
        # total was failed for an hour, then fresh again: one incident, 1h of downtime.
        store.record_transitions(
            [
                Transition("total", Status.FAILED, "boom", last + 10),
                Transition("total", Status.FRESH, None, last + 3610),
            ]
        )

    health = pages_of(project)["health.md"]

    assert "| maths | 2 | 0 | 0 | 0 | 0 | 0s | 1/2 |" in health
    assert "| reports | 1 | 0 | 0 | 0 | 1 | 1h | 0/1 |" in health


def test_secrets_in_metadata_never_reach_a_page(project):
    pages = pages_of(project)

    assert not any("s3cr3t-pass" in body or "s3cr3t\\-pass" in body for body in pages.values())


def test_the_same_state_makes_the_same_bytes(project, tmp_path):
    first = build_site(load_context(project), tmp_path / "a")
    second = build_site(load_context(project), tmp_path / "b")

    for page in first.written:
        assert (tmp_path / "a" / page).read_bytes() == (tmp_path / "b" / page).read_bytes()
    assert (tmp_path / "a" / MANIFEST).read_bytes() == (tmp_path / "b" / MANIFEST).read_bytes()
    assert second.written == first.written


def test_pages_of_assets_gone_are_removed_and_other_files_kept(tmp_path):
    folder = tmp_path / "catalog"
    write_pages(folder, {"index.md": "x\n", "assets/old.md": "old\n", "assets/kept.md": "k\n"})
    (folder / "assets" / "mine.md").write_text("written by hand\n")

    result = write_pages(folder, {"index.md": "y\n", "assets/kept.md": "k\n"})

    assert result.removed == ("assets/old.md",)
    assert not (folder / "assets" / "old.md").exists()
    assert (folder / "assets" / "mine.md").read_text() == "written by hand\n"
    assert (folder / "index.md").read_text() == "y\n"


def test_a_hand_edited_manifest_never_deletes_outside_the_folder(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / MANIFEST).write_text('{"pages": ["../precious.txt", "/etc/hostname"]}')

    write_pages(folder, {"index.md": "x\n"})

    assert outside.read_text() == "keep me\n"


HOSTILE = 'evil|name</td><script>alert(1)</script>*[x](y)"\n# h'


def test_a_hostile_name_stays_text_in_markdown_mermaid_and_file_names():
    escaped = text(HOSTILE)
    label = mermaid_label(HOSTILE)
    stem = file_stem(HOSTILE)

    assert "<" not in escaped and "|" not in escaped.replace("\\|", "") and "\n" not in escaped
    assert "[x]" not in escaped and "](" not in escaped
    assert label.startswith('"') and label.endswith('"') and '"' not in label[1:-1]
    assert "<" not in label and "[" not in label and "|" not in label
    assert "/" not in stem and not stem.startswith(".") and stem != file_stem("evil_name")
    assert file_stem("../../etc/passwd") != "../../etc/passwd"


def test_a_hostile_asset_name_gets_a_page_inside_the_folder(make_project, tmp_path):
    catalog = CATALOG.replace("total:\n", "'../../../x|<b>y</b>':\n")
    pipeline = """\
pipelines:
  main:
    nodes:
      - name: double
        transformation: mini.nodes.double
        inputs: {rows: numbers, factor: params:factor}
        outputs: doubled
      - name: total
        transformation: mini.nodes.total
        inputs: {rows: doubled}
        outputs: '../../../x|<b>y</b>'
default: main
"""
    root = make_project("hostile", catalog=catalog, pipeline=pipeline)

    result = build_site(load_context(root), tmp_path / "out")

    assert all(".." not in page for page in result.written)
    assert sorted(p.name for p in (tmp_path / "out" / "assets").iterdir())[0].startswith("___")
    index = (tmp_path / "out" / "index.md").read_text()
    assert "<b>" not in index and "&lt;b&gt;" in index


def test_a_project_never_run_says_what_is_not_known_yet(make_project, tmp_path):
    root = make_project("never", catalog=CATALOG)

    pages = pages_of(root)

    assert "Columns: not recorded yet." in pages["assets/total.md"]
    assert "None recorded." in pages["assets/total.md"]
    assert "Columns: not known (a source" in pages["assets/numbers.md"]
    assert "no run recorded yet" in pages["health.md"]
    assert "No terms yet" in pages["glossary.md"]


def test_time_passing_alone_does_not_change_the_pages(project, monkeypatch):
    before = pages_of(project)
    later = time.time() + 60
    monkeypatch.setattr(time, "time", lambda: later)

    assert pages_of(project) == before


def test_a_sql_table_shows_its_columns_by_reflection(make_project, tmp_path):
    database = tmp_path / "warehouse.db"
    catalog = CATALOG.replace(
        "total:\n  type: PandasCsvDataSet\n  filepath: data/03_primary/total.csv\n",
        "total:\n  type: SQLTableDataSet\n  table_name: totals\n  credentials: warehouse\n",
    )
    root = make_project(
        "sql",
        catalog=catalog,
        local={"credentials.yml": f'warehouse:\n  con: "sqlite:///{database}"\n'},
    )
    assert run_pipeline(root, wait_for_lock=False).succeeded

    page = pages_of(root)["assets/total.md"]

    assert "Types from: SQL reflection." in page
    assert "| total | INTEGER |" in page  # SQLite's type, not pandas' int64


def test_escaped_text_renders_back_to_the_very_name_in_a_table_cell():
    import html

    import markdown

    name = 'evil|name</td><script>alert(1)</script>*[x](y)": a&amp;b \\x `c` _u_ #h'

    rendered = markdown.markdown(f"| a |\n| --- |\n| {text(name)} |", extensions=["tables"])

    cell = rendered.split("<td>")[1].split("</td>")[0]
    assert "<script>" not in rendered and html.unescape(cell) == name


def test_a_parquet_footer_gives_the_columns_without_a_named_pandas_index(tmp_path):
    import pandas as pd

    from aether.insight.catalog_site.schema import read_columns

    frame = pd.DataFrame({"id": [1], "amount": [2.5]}).set_index("id")
    frame.to_parquet(tmp_path / "x.parquet")
    pd.DataFrame({"a": ["z"]}).to_parquet(tmp_path / "range.parquet")

    def no_dataset():
        raise AssertionError("a file's columns never need the dataset")

    named = read_columns(
        tmp_path, "PandasParquetDataSet", {"filepath": "x.parquet"}, no_dataset, None
    )
    ranged = read_columns(
        tmp_path, "PandasParquetDataSet", {"filepath": "range.parquet"}, no_dataset, None
    )

    assert named == ((("amount", "double"),), "Parquet footer")
    # a RangeIndex is described as a mapping in the footer, never as a column
    assert ranged[1] == "Parquet footer" and [name for name, _ in ranged[0] or ()] == ["a"]
