"""The Python API reference documents every public name, in Google style, with no raw reST.

mkdocstrings renders docs/reference/api.md with `docstring_style: google`: a Sphinx role
(":class:`X`") or a reST literal block ("Example::") shows up on the page as raw text, and
a parameter missing from `Args:` is simply not documented. These tests read the docstrings
the way mkdocstrings does (griffe, statically), so they need no site build.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import griffe
import pytest

import aether

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME_SRC = REPO_ROOT / "aether-runtime" / "src"
API_PAGE = REPO_ROOT / "docs" / "reference" / "api.md"
EVENTS_PAGE = REPO_ROOT / "docs" / "events.md"

# The types that appear in the signatures of the exported names, and the run steps the
# page shows: a reader meets them through the public API, so they are documented too.
SIGNATURE_TYPES = (
    "aether.assets.status.AssetStatus",
    "aether.assets.status.Evaluation",
    "aether.catalog.CatalogEntry",
    "aether.datasets.base.Staged",
    "aether.datasets.files.AbstractFileDataSet",
    "aether.engine.plan.NodeResult",
    "aether.engine.plan.NodeStatus",
    "aether.engine.plan.Plan",
    "aether.engine.plan.PlannedNode",
    "aether.engine.plan.RunReporter",
    "aether.engine.plan.RunResult",
    "aether.pipeline.Input",
    "aether.run.RunOptions",
    "aether.run.RunSetup",
    "aether.run.Selection",
    "aether.run.dry_run",
    "aether.run.execute_plan",
    "aether.run.execute_run",
    "aether.run.plan_run",
    "aether.run.prepare_run",
    "aether.verdicts.Reason",
    "aether.verdicts.ReasonKind",
    "aether.verdicts.Status",
)
RAW_REST = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):`|^\s*\.\. \w|::$", re.M)


@cache
def _package() -> griffe.Module:
    loaded = griffe.load("aether", search_paths=[str(RUNTIME_SRC)], resolve_aliases=True)
    assert isinstance(loaded, griffe.Module)
    return loaded


def _lookup(path: str) -> griffe.Object:
    found = _package()[path.removeprefix("aether.")]
    return found.final_target if isinstance(found, griffe.Alias) else found


def _public_paths() -> list[str]:
    exported = [f"aether.{name}" for name in aether.__all__ if name != "__version__"]
    return exported + list(SIGNATURE_TYPES)


def _documented_objects() -> list[griffe.Object]:
    """Every public object and its public methods, properties and attributes."""
    objects: list[griffe.Object] = []
    for path in _public_paths():
        item = _lookup(path)
        objects.append(item)
        if isinstance(item, griffe.Class) and not _is_enum(item):
            objects += [
                member
                for name, member in item.members.items()
                if not name.startswith("_") and not isinstance(member, griffe.Alias)
            ]
    return objects


def _is_enum(cls: griffe.Class) -> bool:
    return any(str(base).endswith(("Enum", "Word")) for base in cls.bases)


def _section_entries(item: griffe.Object, kind: griffe.DocstringSectionKind) -> list[Any]:
    if item.docstring is None:
        return []
    sections = item.docstring.parse(griffe.Parser.google)
    return [entry for section in sections if section.kind is kind for entry in section.value]


def _section_names(item: griffe.Object, kind: griffe.DocstringSectionKind) -> set[str]:
    return {entry.name.lstrip("*") for entry in _section_entries(item, kind)}


def _documented_elsewhere(item: griffe.Object) -> bool:
    """An attribute named in its class's `Attributes:` section needs no docstring of its own."""
    parent = item.parent
    return (
        isinstance(item, griffe.Attribute)
        and isinstance(parent, griffe.Class)
        and item.name in _section_names(parent, griffe.DocstringSectionKind.attributes)
    )


def _parameters(function: griffe.Function) -> list[str]:
    # A leading underscore marks an argument for Aether's own use (`_project_dag`).
    skipped = ("self", "cls")
    return [p.name for p in function.parameters if p.name not in skipped and p.name[0] != "_"]


def test_the_api_page_renders_every_public_name() -> None:
    rendered = set()
    for page in (API_PAGE, EVENTS_PAGE):  # the run events have their own reference page
        rendered |= set(re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.M))
    missing = [p for p in _public_paths() if _lookup(p).path not in rendered]
    assert not missing, (
        f"not rendered by docs/reference/api.md or docs/events.md (`::: <canonical path>`): "
        f"{missing}"
    )


def test_every_public_name_and_member_has_a_docstring() -> None:
    undocumented = [
        item.path
        for item in _documented_objects()
        if not (item.docstring and item.docstring.value.strip()) and not _documented_elsewhere(item)
    ]
    assert not undocumented, f"no docstring: {undocumented}"


def test_no_docstring_of_the_public_api_holds_sphinx_markup() -> None:
    raw = [
        f"{item.path}: {match.group(0)!r}"
        for item in _documented_objects()
        if item.docstring
        for match in [RAW_REST.search(item.docstring.value)]
        if match
    ]
    assert not raw, f"reST shown as raw text by mkdocstrings (use Markdown): {raw}"


def test_a_returns_section_holds_one_value() -> None:
    """A continuation line not indented under the first makes mkdocstrings show two values."""
    split = [
        item.path
        for item in _documented_objects()
        if len(_section_entries(item, griffe.DocstringSectionKind.returns)) > 1
    ]
    assert not split, f"Returns: split in several values (indent continuation lines): {split}"


@pytest.mark.parametrize("path", _public_paths())
def test_every_parameter_is_in_args(path: str) -> None:
    item = _lookup(path)
    functions = [item] if isinstance(item, griffe.Function) else []
    if isinstance(item, griffe.Class):
        functions = [
            member
            for name, member in item.members.items()  # declared here, not inherited
            if isinstance(member, griffe.Function) and not name.startswith("_")
        ]
        _assert_constructor_documented(item)
    for function in functions:
        documented = _section_names(function, griffe.DocstringSectionKind.parameters)
        missing = [p for p in _parameters(function) if p not in documented]
        assert not missing, f"{function.path}: parameters not in its `Args:` section: {missing}"


def _assert_constructor_documented(cls: griffe.Class) -> None:
    """Constructor arguments go in the class's `Args:` (or, for a dataclass, `Attributes:`)."""
    init = cls.members.get("__init__")
    if not isinstance(init, griffe.Function):
        return
    documented: set[str] = set()
    for owner in [cls, *cls.mro()]:  # a field a base class declares is documented there
        documented |= _section_names(owner, griffe.DocstringSectionKind.parameters)
        documented |= _section_names(owner, griffe.DocstringSectionKind.attributes)
    missing = [p for p in _parameters(init) if p not in documented]
    assert not missing, f"{cls.path}: constructor arguments not in Args/Attributes: {missing}"
