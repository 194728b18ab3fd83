"""aether.project.locations: spelling locations one way, finding written entries that overlap."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aether.catalog import DataCatalog
from aether.engine.validation import check_locations
from aether.errors import CatalogError
from aether.pipeline import Node, Pipeline
from aether.project.locations import (
    Location,
    LocationNormaliser,
    Relation,
    check_one_writer,
    find_overlaps,
    place_entries,
    place_table,
)

# No example database on disk and no deadline: the machine is shared and tests must not time.
PROPERTIES = settings(database=None, deadline=None, max_examples=200)


def normalise_location(text: str, project_path: str | Path | None = None) -> Location:
    """One location spelled one way, by a normaliser of its own (no folder cache shared)."""
    return LocationNormaliser(project_path)(text)


ROOT = "/nonexistent-aether-project"  # nothing below it exists: normalisation stays lexical

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
relative_paths = st.lists(names, min_size=1, max_size=5).map("/".join)


@dataclass(frozen=True)
class Entry:
    name: str
    arguments: Mapping[str, Any]
    where: str = "conf/base/catalog.yml:1"


def overlaps(paths: Mapping[str, str], written: Mapping[str, str], root: str = ROOT) -> list:
    entries = [Entry(name, {"filepath": path}) for name, path in paths.items()]
    return find_overlaps(place_entries(entries, root), written)


# -- the normaliser, as properties ------------------------------------------------------


@PROPERTIES
@given(relative_paths)
def test_normalising_twice_changes_nothing(path: str) -> None:
    once = normalise_location(path, ROOT)
    assert normalise_location(str(once), ROOT) == once


@PROPERTIES
@given(st.sampled_from(["s3", "s3a", "S3", "gs", "gcs", "abfs", "az", "memory"]), relative_paths)
def test_normalising_a_url_twice_changes_nothing(scheme: str, path: str) -> None:
    once = normalise_location(f"{scheme}://{path}", ROOT)
    assert normalise_location(str(once), ROOT) == once


@PROPERTIES
@given(relative_paths, relative_paths, names)
def test_dot_and_dotdot_segments_are_removed(a: str, b: str, detour: str) -> None:
    plain = normalise_location(f"{a}/{b}", ROOT)
    assert normalise_location(f"{a}/./{b}", ROOT) == plain
    assert normalise_location(f"{a}/{detour}/../{b}", ROOT) == plain
    assert normalise_location(f"./{a}//{b}/", ROOT) == plain


@PROPERTIES
@given(relative_paths)
def test_a_relative_path_is_the_absolute_path_under_the_project(path: str) -> None:
    relative = normalise_location(path, ROOT)
    assert normalise_location(f"{ROOT}/{path}", ROOT) == relative
    assert normalise_location(f"file://{ROOT}/{path}", "/elsewhere") == relative


@PROPERTIES
@given(relative_paths, names)
def test_any_path_lies_inside_its_folder(folder: str, name: str) -> None:
    inner = normalise_location(f"{folder}/{name}", ROOT)
    outer = normalise_location(folder, ROOT)
    assert outer.contains(inner)
    assert not inner.contains(outer)


@PROPERTIES
@given(relative_paths, names, names)
def test_two_file_names_in_one_folder_never_overlap(folder: str, first: str, second: str) -> None:
    if first == second:
        return
    found = overlaps({"a": f"{folder}/{first}", "b": f"{folder}/{second}"}, {"a": "n", "b": "m"})
    assert found == []


@PROPERTIES
@given(st.sampled_from(["s3", "s3a", "gs", "abfs", "memory", "http"]), relative_paths)
def test_a_url_never_equals_a_local_path(scheme: str, path: str) -> None:
    remote = normalise_location(f"{scheme}://{path}", ROOT)
    for local in (path, f"/{path}", f"{ROOT}/{path}", f"file:///{path}"):
        spelled = normalise_location(local, ROOT)
        assert spelled != remote
        assert not spelled.contains(remote) and not remote.contains(spelled)


# -- the normaliser, by example ---------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["s3://bucket/a.csv", "s3a://bucket/a.csv", "S3://bucket//a.csv", "s3n://Bucket/./x/../a.csv"],
)
def test_s3_spellings_of_one_object_are_one_location(spelling: str) -> None:
    assert normalise_location(spelling) == Location("s3", ("bucket", "a.csv"))


def test_a_password_in_a_url_is_not_part_of_the_location() -> None:
    location = normalise_location("ftp://bob:hunter2secret@Host/x.csv")
    assert location == normalise_location("ftp://host/x.csv")
    assert "hunter2secret" not in str(location)


def test_a_chained_url_is_located_at_its_last_link() -> None:
    assert normalise_location("simplecache::s3://b/k.csv") == normalise_location("s3://b/k.csv")


def test_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert normalise_location("~/x.csv", ROOT) == normalise_location(str(tmp_path / "x.csv"))


def test_a_symlinked_folder_resolves_to_its_target(tmp_path: Path) -> None:
    (tmp_path / "data" / "01_raw").mkdir(parents=True)
    (tmp_path / "mirror").symlink_to(tmp_path / "data" / "01_raw")
    assert normalise_location("mirror/new/out.csv", tmp_path) == normalise_location(
        "data/01_raw/new/out.csv", tmp_path
    )


def test_a_symlinked_file_resolves_to_its_target(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("n\n1\n")
    (tmp_path / "alias.csv").symlink_to(tmp_path / "orders.csv")
    assert normalise_location("alias.csv", tmp_path) == normalise_location("orders.csv", tmp_path)


def test_a_symlinked_file_among_many_in_one_folder_resolves(tmp_path: Path) -> None:
    # Past a few entries per folder the folder is listed once instead of probed per file.
    for i in range(40):
        (tmp_path / f"f{i}.csv").write_text("n\n")
    (tmp_path / "zz_alias.csv").symlink_to(tmp_path / "f3.csv")
    entries = [Entry(f"e{i}", {"filepath": f"f{i}.csv"}) for i in range(40)]
    entries.append(Entry("alias", {"filepath": "zz_alias.csv"}))
    placed = {p.name: p.location for p in place_entries(entries, tmp_path)}
    assert placed["alias"] == placed["e3"]
    [found] = find_overlaps(place_entries(entries, tmp_path), {"alias": "n"})
    assert (found.written.name, found.other.name) == ("alias", "e3")


def test_a_project_reached_through_a_symlink_is_its_target(tmp_path: Path) -> None:
    (tmp_path / "real" / "data").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    relative = normalise_location("data/x.csv", tmp_path / "link")
    assert relative == normalise_location(str(tmp_path / "real" / "data" / "x.csv"), "/")


def test_a_nul_byte_in_a_path_is_text_not_a_crash(tmp_path: Path) -> None:
    entries = [Entry(f"e{i}", {"filepath": f"da\0ta/f{i}.csv"}) for i in range(20)]
    placed = place_entries([*entries, Entry("same", {"filepath": "da\0ta/./f1.csv"})], tmp_path)
    assert placed[1].location == placed[-1].location
    assert placed[1].location.parts[-2:] == ("da\0ta", "f1.csv")


# -- finding overlaps -------------------------------------------------------------------


def test_read_only_aliases_of_one_source_are_allowed() -> None:
    assert overlaps({"pandas_view": "raw/o.csv", "spark_view": "./raw/o.csv"}, {}) == []


def test_a_written_entry_at_a_source_location_is_found() -> None:
    [found] = overlaps({"raw": "raw/o.csv", "out": "./x/../raw/o.csv"}, {"out": "copy"})
    assert (found.written.name, found.other.name, found.writer) == ("out", "raw", "copy")
    assert found.relation is Relation.SAME


def test_two_outputs_at_one_location_are_found() -> None:
    [found] = overlaps({"a": "out/x.csv", "b": "out/x.csv"}, {"a": "n1", "b": "n2"})
    assert {found.written.name, found.other.name} == {"a", "b"}


def test_an_entry_inside_a_written_folder_is_found() -> None:
    [found] = overlaps({"folder": "data/x", "part": "data/x/part.csv"}, {"folder": "n"})
    assert (found.written.name, found.other.name, found.relation) == (
        "folder",
        "part",
        Relation.HOLDS,
    )


def test_a_written_file_inside_a_source_folder_is_found() -> None:
    [found] = overlaps({"events": "raw/events", "out": "raw/events/day.csv"}, {"out": "n"})
    assert (found.written.name, found.other.name, found.relation) == (
        "out",
        "events",
        Relation.INSIDE,
    )


def test_a_sibling_whose_name_extends_a_folder_is_not_inside_it() -> None:
    # "data/x-1.csv" sorts between "data/x" and "data/x/part.csv" as text, not as parts.
    found = overlaps(
        {"folder": "data/x", "sibling": "data/x-1.csv", "part": "data/x/part.csv"},
        {"folder": "n", "sibling": "m"},
    )
    assert [(o.written.name, o.other.name) for o in found] == [("folder", "part")]


def test_entries_without_a_location_are_skipped() -> None:
    entries = [Entry("mem", {}), Entry("table", {"table": "t"}), Entry("a", {"path": "x"})]
    assert [p.name for p in place_entries(entries, ROOT)] == ["a"]


def test_every_overlap_of_many_entries_is_found() -> None:
    paths = {f"d{i}": f"data/{i % 50}/file{i}.csv" for i in range(10_000)}
    paths |= {"clash": "data/7/file7.csv", "folder_out": "data/9"}
    found = overlaps(paths, {"clash": "n", "folder_out": "m"})
    pairs = {(o.written.name, o.other.name) for o in found}
    inside_nine = {name for name, path in paths.items() if path.startswith("data/9/")}
    assert pairs == {("clash", "d7")} | {("folder_out", name) for name in inside_nine}


def test_the_error_names_both_entries_their_lines_and_the_place() -> None:
    entries = [
        Entry("raw_orders", {"filepath": "data/01_raw/orders.csv"}, "conf/base/catalog.yml:1"),
        Entry("orders_out", {"filepath": "./data/../data/01_raw/orders.csv"}, "x.yml:9"),
    ]
    with pytest.raises(CatalogError) as raised:
        check_one_writer(entries, {"orders_out": "copy"}, ROOT)
    message = raised.value.message
    assert "'orders_out' (x.yml:9), written by node 'copy'" in message
    assert "'raw_orders' (conf/base/catalog.yml:1)" in message
    assert message.endswith(": data/01_raw/orders.csv")
    assert raised.value.hint and "orders_out" in raised.value.hint


def test_check_locations_counts_the_writers_of_every_pipeline(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "raw": {"type": "PandasCsvDataSet", "filepath": "data/raw.csv"},
            "copy": {"type": "PandasCsvDataSet", "filepath": f"{tmp_path}/data/raw.csv"},
        },
        project_path=tmp_path,
    )
    reads = Pipeline([Node("read", "m.f", inputs=(), outputs=("other",))], name="reads")
    writes = Pipeline([Node("write", "m.f", inputs=(), outputs=("copy",))], name="writes")
    check_locations(catalog, [reads])  # "copy" is written by no node of these
    with pytest.raises(CatalogError, match=r"'copy'.*node 'write'.*'raw'"):
        check_locations(catalog, [reads, writes])


def test_the_current_folder_is_the_root_without_a_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalise_location("x.csv") == normalise_location(os.path.join(tmp_path, "x.csv"))


def test_the_error_counts_the_other_overlaps() -> None:
    entries = [Entry(name, {"filepath": "out/x.csv"}) for name in ("a", "b", "c")]
    with pytest.raises(CatalogError) as raised:
        check_one_writer(entries, {"a": "n"}, ROOT)
    assert raised.value.message.endswith("out/x.csv (1 more overlap)")


class _TableEntry:
    def __init__(self, **arguments: object) -> None:
        self.name, self.where, self.arguments = "t", "catalog.yml:1", arguments


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("postgresql+psycopg://etl:pw@LOCALHOST:5432/shop", "postgresql://127.0.0.1/shop"),
        ("postgres://etl:pa/ss@db.example/shop", "postgresql://db.example:5432/shop"),
        ("sqlite:///data/w.db", "sqlite:///./data/../data/w.db"),
        ("postgresql://h:5544/db", "postgresql://h:05544/db"),
        ("postgresql://127.0.0.1:5544/db", "postgresql://u@/db?host=localhost&port=5544"),
    ],
)
def test_one_table_spelled_two_ways_is_one_location(first: str, second: str) -> None:
    normalise = LocationNormaliser("/srv/shop")
    a = place_table(_TableEntry(table_name="orders"), first, normalise)
    b = place_table(_TableEntry(table_name="orders", schema=None), second, normalise)
    assert a is not None and b is not None and a.location == b.location


def test_a_table_location_never_holds_the_user_or_password() -> None:
    placed = place_table(
        _TableEntry(table_name="orders"),
        "postgresql://etl:s3cret/with/slashes@db.example/shop",
        LocationNormaliser("/srv/shop"),
    )
    assert placed is not None
    assert "s3cret" not in str(placed.location) and "etl" not in str(placed.location)
    assert "slashes" not in str(placed.location)


def test_case_is_folded_only_where_the_engine_folds_it() -> None:
    normalise = LocationNormaliser("/srv/shop")

    def place(con: str, table: str) -> object:
        placed = place_table(_TableEntry(table_name=table), con, normalise)
        return placed and placed.location

    assert place("sqlite:///w.db", "Orders") == place("sqlite:///w.db", "orders")
    assert place("postgresql://h/db", "Orders") != place("postgresql://h/db", "orders")
    assert place("sqlite://", "orders") is None  # in memory: nothing shared
