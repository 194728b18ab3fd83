"""Code hashes: normalized source plus the project code it uses, live or from files only."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from aether.assets import codehash
from aether.assets.fingerprint import code_hash, code_hash_from_dotted, code_hash_from_source

BASE_HELPERS = textwrap.dedent(
    """
    def clean(df):
        return df.dropna()
    """
)

BASE_NODES = textwrap.dedent(
    """
    from shop.helpers import clean

    def transform(df):
        return clean(df)[df.amount > 0]
    """
)


class Project:
    """A throwaway project with a ``src/shop`` package, importable one at a time."""

    counter = 0

    def __init__(self, tmp_path: Path, files: dict[str, str]) -> None:
        Project.counter += 1
        self.root = tmp_path / f"project{Project.counter}"
        package = self.root / "src" / "shop"
        package.mkdir(parents=True)
        files = {"__init__.py": "", **files}
        for name, text in files.items():
            (package / name).parent.mkdir(parents=True, exist_ok=True)
            (package / name).write_text(textwrap.dedent(text))

    def live(self, module: str, qualname: str) -> str:
        """code_hash of the imported object (imports the project, then forgets it)."""
        sys.path.insert(0, str(self.root / "src"))
        try:
            target: object = importlib.import_module(module)
            for part in qualname.split("."):
                target = getattr(target, part)
            return code_hash(target, self.root)
        finally:
            sys.path.remove(str(self.root / "src"))
            for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
                del sys.modules[name]

    def static(self, module: str, qualname: str) -> str:
        """code_hash_from_source, reading files only."""
        path = self.root / "src" / Path(*module.split("."))
        file = path.with_suffix(".py") if path.with_suffix(".py").exists() else path / "__init__.py"
        return code_hash_from_source(file, qualname, self.root)


@pytest.fixture
def make(tmp_path: Path):  # type: ignore[no-untyped-def]
    def build(paths: dict[str, str] | None = None, **modules: str) -> Project:
        files = {**(paths or {}), **modules}
        return Project(tmp_path, {f"{name}.py": text for name, text in files.items()})

    return build


def both(project: Project, module: str = "shop.nodes", qualname: str = "transform") -> str:
    live, static = project.live(module, qualname), project.static(module, qualname)
    assert live == static, "the import-free hash must equal the live one"
    return live


def test_comments_docstrings_and_whitespace_do_not_count(make) -> None:  # type: ignore[no-untyped-def]
    plain = make(helpers=BASE_HELPERS, nodes=BASE_NODES)
    decorated = make(
        helpers='''
            """Helpers."""
            def clean(df):
                """Drop rows with nulls."""
                # nulls break the report
                return df.dropna(  )
        ''',
        nodes='''
            from shop.helpers import clean


            def transform(df):
                """Keep paid orders."""
                return clean(df)[df.amount > 0]   # paid only
        ''',
    )

    assert both(plain) == both(decorated)


def test_logic_change_changes_the_hash(make) -> None:  # type: ignore[no-untyped-def]
    before = make(helpers=BASE_HELPERS, nodes=BASE_NODES)
    after = make(helpers=BASE_HELPERS, nodes=BASE_NODES.replace("> 0", ">= 0"))

    assert both(before) != both(after)


def test_change_in_called_project_helper_changes_the_hash(make) -> None:  # type: ignore[no-untyped-def]
    before = make(helpers=BASE_HELPERS, nodes=BASE_NODES)
    after = make(helpers=BASE_HELPERS.replace("dropna()", "dropna(how='all')"), nodes=BASE_NODES)

    assert both(before) != both(after)


def test_unused_code_in_the_same_files_does_not_count(make) -> None:  # type: ignore[no-untyped-def]
    before = make(helpers=BASE_HELPERS, nodes=BASE_NODES)
    after = make(
        helpers=BASE_HELPERS + "\ndef unrelated():\n    return 1\n",
        nodes=BASE_NODES + "\ndef other(df):\n    return df\n",
    )

    assert both(before) == both(after)


@pytest.mark.parametrize(
    ("nodes", "helper_module"),
    [
        ("from . import helpers\ndef transform(df):\n    return helpers.clean(df)\n", "helpers"),
        ("import shop.helpers\ndef transform(df):\n    return shop.helpers.clean(df)\n", "helpers"),
        ("import shop.lib.text as t\ndef transform(df):\n    return t.clean(df)\n", "lib/text"),
        ("from .lib.text import clean\ndef transform(df):\n    return clean(df)\n", "lib/text"),
        ("from shop.lib import clean\ndef transform(df):\n    return clean(df)\n", "lib/text"),
    ],
    ids=["relative-module", "import-dotted", "import-as", "relative-from", "re-exported"],
)
def test_every_import_style_follows_the_helper(make, nodes: str, helper_module: str) -> None:  # type: ignore[no-untyped-def]
    init = "from shop.lib.text import clean\n"

    def project(body: str):  # type: ignore[no-untyped-def]
        return make({helper_module: body, "lib/__init__": init, "lib/text": body}, nodes=nodes)

    assert both(project(BASE_HELPERS)) != both(project(BASE_HELPERS.replace("()", "(1)")))


def test_module_constants_count(make) -> None:  # type: ignore[no-untyped-def]
    nodes = "from shop.settings import LIMIT\nSCALE = {scale}\ndef transform(df):\n    return df.head(LIMIT) * SCALE\n"  # noqa: E501
    settings = "LIMIT = {limit}\n"

    base = both(make(nodes=nodes.format(scale=2), settings=settings.format(limit=5)))

    assert base != both(make(nodes=nodes.format(scale=3), settings=settings.format(limit=5)))
    assert base != both(make(nodes=nodes.format(scale=2), settings=settings.format(limit=6)))


def test_stdlib_code_is_never_included(make) -> None:  # type: ignore[no-untyped-def]
    """Even with the project root at '/', where the standard library lies under it."""
    project = make(
        nodes="import json\nfrom os.path import join\n"
        "def transform(x):\n    return json.dumps(join('a', x))\n"
    )
    sys.path.insert(0, str(project.root / "src"))
    try:
        from shop.nodes import transform  # type: ignore[import-not-found]

        assert code_hash(transform, Path("/")) == code_hash(transform, project.root)
    finally:
        sys.path.remove(str(project.root / "src"))
        for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
            del sys.modules[name]


def test_virtualenv_inside_the_project_is_not_project_code(make) -> None:  # type: ignore[no-untyped-def]
    def project(lib_body: str):  # type: ignore[no-untyped-def]
        made = make(nodes="import fakelib\ndef transform(x):\n    return fakelib.work(x)\n")
        site = made.root / ".venv" / "lib" / "python3" / "site-packages"
        site.mkdir(parents=True)
        (site / "fakelib.py").write_text(lib_body)
        sys.path.insert(0, str(site))
        try:
            return made.live("shop.nodes", "transform")
        finally:
            sys.path.remove(str(site))
            del sys.modules["fakelib"]

    assert project("def work(x):\n    return x\n") == project("def work(x):\n    return -x\n")


def test_classes_hash_their_methods(make) -> None:  # type: ignore[no-untyped-def]
    cls = '''
        from shop.helpers import clean

        class CleanOrders:
            """Cleans."""
            def __init__(self, drop_test=True):
                self.drop_test = drop_test
            def run(self, df):
                """Run."""
                return clean(df) if self.drop_test else df
    '''
    base = both(make(nodes=cls, helpers=BASE_HELPERS), qualname="CleanOrders")

    same = make(nodes=cls.replace('"""Run."""', '"""Runs it."""'), helpers=BASE_HELPERS)
    changed_method = make(nodes=cls.replace("else df", "else df.copy()"), helpers=BASE_HELPERS)
    changed_helper = make(nodes=cls, helpers=BASE_HELPERS.replace("()", "(1)"))
    assert both(same, qualname="CleanOrders") == base
    assert both(changed_method, qualname="CleanOrders") != base
    assert both(changed_helper, qualname="CleanOrders") != base


def test_mutual_recursion_terminates_and_agrees(make) -> None:  # type: ignore[no-untyped-def]
    nodes = """
        def transform(n):
            return 0 if n <= 0 else helper(n - 1)

        def helper(n):
            return transform(n - {step})
    """

    assert both(make(nodes=nodes.format(step=1))) != both(make(nodes=nodes.format(step=2)))


def test_decorated_functions_are_followed_to_their_source(make) -> None:  # type: ignore[no-untyped-def]
    deco = """
        import functools
        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*a):
                return fn(*a)
            return wrapper
    """
    nodes = """
        from shop.deco import logged
        @logged
        def helper(x):
            return x + {n}
        def transform(x):
            return helper(x)
    """

    assert both(make(deco=deco, nodes=nodes.format(n=1))) != both(
        make(deco=deco, nodes=nodes.format(n=2))
    )


def test_dotted_path_variant_matches(make) -> None:  # type: ignore[no-untyped-def]
    project = make(
        {"lib/__init__": "from shop.nodes import transform\n"},
        helpers=BASE_HELPERS,
        nodes=BASE_NODES,
    )

    live = project.live("shop.nodes", "transform")

    assert code_hash_from_dotted("shop.nodes.transform", project.root) == live
    assert code_hash_from_dotted("shop.lib.transform", project.root) == live


def test_dotted_path_outside_the_project_falls_back_to_its_name(tmp_path: Path) -> None:
    assert code_hash_from_dotted("json.dumps", tmp_path) == code_hash_from_dotted(
        "json.dumps", tmp_path
    )
    assert code_hash_from_dotted("json.dumps", tmp_path) != code_hash_from_dotted(
        "json.loads", tmp_path
    )
    assert code_hash_from_dotted("json.dumps", tmp_path) == code_hash(
        __import__("json").dumps, tmp_path
    )


def test_source_variant_reports_a_missing_definition(make) -> None:  # type: ignore[no-untyped-def]
    project = make(nodes=BASE_NODES)

    with pytest.raises(ValueError, match="does not define nope"):
        project.static("shop.nodes", "nope")


def test_unavailable_source_falls_back_to_module_and_name() -> None:
    def inner(x: int) -> int:
        return x

    assert code_hash(len, None) == code_hash(len, None)
    assert code_hash(len, None) != code_hash(abs, None)
    assert code_hash(inner, None).startswith("sha256:")


def test_files_are_parsed_once_until_they_change(make) -> None:  # type: ignore[no-untyped-def]
    project = make(helpers=BASE_HELPERS, nodes=BASE_NODES)
    first = project.static("shop.nodes", "transform")
    parsed = codehash.parse_count

    assert project.static("shop.nodes", "transform") == first
    assert codehash.parse_count == parsed

    (project.root / "src" / "shop" / "helpers.py").write_text("def clean(df):\n    return df\n")
    assert project.static("shop.nodes", "transform") != first
    assert codehash.parse_count == parsed + 1


# Module-level statements other than ``NAME = ...`` run at import and change what the code
# sees; a hostile tester found edits to them left nodes fresh.
LOOKUP_HELPERS = textwrap.dedent(
    """
    LOOKUP = {}
    LOOKUP.update(a=111)
    LOOKUP["b"] = 1000
    for k in ("c",):
        LOOKUP[k] = 5
    if True:
        EXTRA = 0
    def mult(s):
        return s * LOOKUP["a"] + LOOKUP["b"] + EXTRA
    """
)
LOOKUP_NODES = "from shop.helpers import mult\ndef transform(s):\n    return mult(s)\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a=111", "a=222"),
        ('LOOKUP["b"] = 1000', 'LOOKUP["b"] = 2000'),
        ("LOOKUP[k] = 5", "LOOKUP[k] = 6"),
        ('("c",)', '("c", "d")'),
        ("EXTRA = 0", "EXTRA = 9"),
        ("LOOKUP = {}", "LOOKUP = {}\nLOOKUP.clear()"),
        ("LOOKUP = {}", "LOOKUP = {}\nLOOKUP |= {'z': 1}"),
    ],
    ids=["call", "subscript", "loop-body", "loop-header", "inside-if", "new-call", "augmented"],
)
def test_module_level_statements_of_a_used_module_count(make, before: str, after: str) -> None:  # type: ignore[no-untyped-def]
    base = both(make(helpers=LOOKUP_HELPERS, nodes=LOOKUP_NODES))
    edited = make(helpers=LOOKUP_HELPERS.replace(before, after), nodes=LOOKUP_NODES)

    assert both(edited) != base


def test_module_level_statements_ignore_comments_docstrings_and_whitespace(make) -> None:  # type: ignore[no-untyped-def]
    reformatted = '"""Lookups."""\n' + LOOKUP_HELPERS.replace(
        "LOOKUP.update(a=111)", "LOOKUP.update( a = 111 )  # the rate"
    ).replace("for k in", "# each key\nfor  k  in")

    assert both(make(helpers=reformatted, nodes=LOOKUP_NODES)) == both(
        make(helpers=LOOKUP_HELPERS, nodes=LOOKUP_NODES)
    )


def test_a_module_level_raise_counts(make) -> None:  # type: ignore[no-untyped-def]
    """Read from the files only: importing it would raise."""
    base = make(helpers=LOOKUP_HELPERS, nodes=LOOKUP_NODES).static("shop.nodes", "transform")
    raising = make(helpers=LOOKUP_HELPERS + "raise RuntimeError('no')\n", nodes=LOOKUP_NODES)

    assert raising.static("shop.nodes", "transform") != base


def test_a_second_assignment_to_a_name_counts(make) -> None:  # type: ignore[no-untyped-def]
    helpers = "RATE = {rate}\nRATE = RATE * 2\ndef mult(s):\n    return s * RATE\n"

    base = both(make(helpers=helpers.format(rate=2), nodes=LOOKUP_NODES))

    assert both(make(helpers=helpers.format(rate=3), nodes=LOOKUP_NODES)) != base


def test_names_from_a_star_import_are_followed(make) -> None:  # type: ignore[no-untyped-def]
    helpers = "from shop.consts import *\ndef mult(s):\n    return s + OFFSET + scale(s)\n"
    consts = "OFFSET = {offset}\ndef scale(s):\n    return s * {factor}\n"

    def project(offset: int, factor: int) -> Project:
        return make(
            helpers=helpers, consts=consts.format(offset=offset, factor=factor), nodes=LOOKUP_NODES
        )

    base = both(project(1, 2))

    assert both(project(5, 2)) != base
    assert both(project(1, 3)) != base


def test_star_imports_in_a_cycle_terminate_and_agree(make) -> None:  # type: ignore[no-untyped-def]
    helpers = "from shop.consts import *\ndef mult(s):\n    return s + OFFSET + missing\n"
    consts = "from shop.helpers import *\nfrom .helpers import *\nOFFSET = {offset}\n"

    base = both(make(helpers=helpers, consts=consts.format(offset=1), nodes=LOOKUP_NODES))

    assert both(make(helpers=helpers, consts=consts.format(offset=2), nodes=LOOKUP_NODES)) != base


def test_unused_functions_beside_module_statements_still_do_not_count(make) -> None:  # type: ignore[no-untyped-def]
    extra = "def unused():\n    return 1\nif True:\n    def unused_too():\n        return {n}\n"

    base = both(make(helpers=LOOKUP_HELPERS + extra.format(n=1), nodes=LOOKUP_NODES))

    assert both(make(helpers=LOOKUP_HELPERS + extra.format(n=2), nodes=LOOKUP_NODES)) == base
    assert both(make(helpers=LOOKUP_HELPERS, nodes=LOOKUP_NODES)) != base  # the if block counts


DEF = "def transform(df):\n    "


@pytest.mark.parametrize(
    ("nodes", "qualname"),
    [
        (DEF + "from shop.helpers import clean\n    return clean(df)\n", "transform"),
        (DEF + "from . import helpers\n    return helpers.clean(df)\n", "transform"),
        (DEF + "import shop.helpers as h\n    return h.clean(df)\n", "transform"),
        (DEF + "import shop.helpers\n    return shop.helpers.clean(df)\n", "transform"),
        (
            "class Cleaner:\n    def __call__(self, df):\n"
            "        from .helpers import clean\n        return clean(df)\n",
            "Cleaner",
        ),
    ],
    ids=["from-import", "relative-module", "import-as", "import-dotted", "in-a-method"],
)
def test_an_import_inside_the_function_follows_the_helper(make, nodes: str, qualname: str) -> None:  # type: ignore[no-untyped-def]
    """A helper imported inside the function (to keep a heavy import lazy) is still its code."""
    before = make(helpers=BASE_HELPERS, nodes=nodes)
    after = make(helpers=BASE_HELPERS.replace("dropna()", "dropna(how='all')"), nodes=nodes)
    unrelated = make(helpers=BASE_HELPERS + "\ndef other():\n    return 1\n", nodes=nodes)

    assert both(before, qualname=qualname) != both(after, qualname=qualname)
    assert both(before, qualname=qualname) == both(unrelated, qualname=qualname)


def test_a_local_import_does_not_leak_into_other_functions(make) -> None:  # type: ignore[no-untyped-def]
    """Only the function that imports a helper inside itself depends on it."""
    nodes = (
        "def uses(df):\n    from shop.helpers import clean\n    return clean(df)\n"
        "def transform(df):\n    return df\n"
    )
    before = make(helpers=BASE_HELPERS, nodes=nodes)
    after = make(helpers=BASE_HELPERS.replace("()", "(1)"), nodes=nodes)

    assert both(before) == both(after)
