"""Parsing YAML text strictly: no duplicate keys, bounded alias expansion, bounded nesting.

PyYAML keeps the last of two equal keys without a word, so a catalog entry written twice
silently loses the first one. And a few lines of anchors and aliases ("billion laughs")
describe a document of 9**9 values: PyYAML builds it with shared references in no time,
but anything that walks it afterwards (interpolation, the JSON cache, a deep merge) never
finishes. :func:`parse_strict_yaml` refuses both, with the file and line, before anything
walks the data.

PyYAML also lets Python's own errors out of a scalar it types but cannot build (an integer
past Python's 4,300-digit limit, ``2024-02-30``, ``!!bool maybe``): those become a
ConfigError naming the key, file and line.

libyaml (the C parser) still does the parsing; only the checks run in Python.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aether.errors import ConfigError

# Values that aliases may add on top of the document's own: generous for anchors and `<<:`
# merges reused across thousands of catalog entries, far below what makes a walk hang.
ALIAS_EXPANSION_BUDGET = 1_000_000
# Nesting deeper than this is never configuration; Python's recursion limit (1,000 frames,
# several per level in deepcopy and json) is the real bound it keeps us well under.
MAX_NESTING_DEPTH = 100

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
# Scalars whose constructors call int(), float(), datetime() or a dict lookup on the text.
_TYPED_SCALAR_TAGS = tuple(
    f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp", "binary")
)
if TYPE_CHECKING:
    # libyaml's loader has SafeLoader's interface (the stubs build it from the same parts).
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictYamlLoader(_BaseLoader):
    """The safe loader (C-accelerated when available) that refuses duplicate keys.

    Keys brought in by a ``<<:`` merge may be overridden: that is what merges are for. Keys
    written twice in one mapping, at any depth, are an error.
    """

    shown = "<yaml>"

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._checked: set[int] = set()
        self._root: Node | None = None

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_expansion(node, self.shown)
        self._root = node
        return self.construct_document(node)

    def flatten_mapping(self, node: MappingNode) -> None:
        # Check before PyYAML flattens: flattening puts the merged keys in front of the
        # explicit ones, after which an override would look like a duplicate.
        if id(node) not in self._checked:
            self._checked.add(id(node))
            self._refuse_duplicates(node)
        super().flatten_mapping(node)

    def _refuse_duplicates(self, node: MappingNode) -> None:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            # A plain string key is its own text: no need to construct it.
            key = key_node.value if key_node.tag == _STR_TAG else self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            try:
                earlier = seen.get(key)
                seen.setdefault(key, line)
            except TypeError:  # an unhashable key: PyYAML reports it itself
                continue
            if earlier is not None:
                raise ConfigError(
                    f"Duplicate key {key!r} in {self.shown}:{line} (first written at line "
                    f"{earlier})",
                    hint="keep one of them: YAML would silently use the last one",
                )

    def construct_typed_scalar(self, node: ScalarNode) -> Any:
        """Build an int, float, bool, timestamp or binary; Python's error becomes a ConfigError."""
        try:
            value = SafeConstructor.yaml_constructors[node.tag](self, node)
            limit = _max_int_digits()
            if limit and isinstance(value, int) and value.bit_length() > 3 * limit:
                # 0x... and 1:2:3 are read without the digit limit, but the value could
                # never be printed or hashed (under 3 bits a digit, printing cannot fail).
                str(value)
        except (ValueError, ArithmeticError, LookupError, AttributeError, TypeError) as exc:
            # What PyYAML's constructors let out of int(), datetime(), a regex that did not
            # match (an explicit `!!timestamp ""`), a dict lookup (`!!bool maybe`).
            raise self._unreadable_scalar(node, exc) from None
        return value

    def _unreadable_scalar(self, node: ScalarNode, exc: Exception) -> ConfigError:
        path = key_path(self._root, node) if self._root is not None else ""
        where = f"{path!r} in " if path else ""
        where += f"{self.shown}:{node.start_mark.line + 1}"
        if node.tag == _INT_TAG and "integer string conversion" in str(exc):
            # Python refuses to convert more decimal digits than sys.get_int_max_str_digits()
            # (a guard against quadratic-time conversions); no parameter needs that many.
            return ConfigError(
                f"The integer at {where} is longer than the {_max_int_digits():,} digits "
                "Python allows",
                hint="quote it to keep it as text, or shorten it",
            )
        # The value itself is not shown: it may be a secret (credentials.yml is parsed here).
        return ConfigError(
            f"The value at {where} is not a valid {node.tag.rsplit(':', 1)[-1]}",
            hint="correct it, or quote it to keep it as text",
        )


def _max_int_digits() -> int:
    """Python's limit on the digits of an int read or printed in base 10 (0: none, as before
    Python 3.10.7 and 3.11)."""
    return int(getattr(sys, "get_int_max_str_digits", lambda: 0)())


for _tag in _TYPED_SCALAR_TAGS:
    StrictYamlLoader.add_constructor(_tag, StrictYamlLoader.construct_typed_scalar)


def key_path(root: Node, target: Node) -> str:
    """The dotted keys from ``root`` to ``target`` (``a.b[2]``), the first way written; "" if
    ``target`` is the root or a key."""
    stack: list[tuple[Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path.lstrip(".")
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            children = [(value, f"{path}.{_key_text(key)}") for key, value in node.value]
        elif isinstance(node, SequenceNode):
            children = [(item, f"{path}[{index}]") for index, item in enumerate(node.value)]
        else:
            children = []
        stack.extend(reversed(children))  # depth first, in the order written
    return ""


def _key_text(key: Node) -> str:
    return key.value if isinstance(key, ScalarNode) else "?"


# Where PyYAML notices a mistake is often the line after it (a key missing its ':' is found
# when the next line starts). Its context names where the broken token began: the line to
# show, unless that context is a whole block, which begins far above the mistake.
_CONTEXTS_THAT_START_AT_THE_MISTAKE = (
    "while scanning a simple key",
    "while scanning a quoted scalar",
    "while parsing a flow",
)


def _malformed(exc: yaml.MarkedYAMLError, shown: str, text: str) -> ConfigError:
    problem = exc.problem or exc.context or "invalid YAML"
    noticed, started = exc.problem_mark, exc.context_mark
    mark = noticed or started
    if started is not None and (exc.context or "").startswith(_CONTEXTS_THAT_START_AT_THE_MISTAKE):
        mark = started
        if noticed is not None and noticed.line != started.line:
            at = (
                "at the end of the text"
                if noticed.line >= len(text.splitlines())
                else f"at line {noticed.line + 1}"
            )
            problem += f" ({exc.context} that starts here; noticed {at})"
    where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
    return ConfigError(
        f"Malformed YAML in {where}: {problem}",
        hint="fix the syntax at or just before that line (indentation, a missing ':', "
        "quote or closing bracket)",
    )


def parse_strict_yaml(text: str, shown: str) -> Any:
    """Parse ``text`` (named ``shown`` in errors); YAML errors become ConfigErrors.

    Raises ConfigError for malformed YAML, duplicate keys, alias expansion past
    :data:`ALIAS_EXPANSION_BUDGET`, recursive aliases and nesting past
    :data:`MAX_NESTING_DEPTH`.
    """
    loader = StrictYamlLoader(text)
    loader.shown = shown
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise _malformed(exc, shown, text) from None
    except yaml.reader.ReaderError as exc:  # a control character: its text spans two lines
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigError(
            f"Malformed YAML in {shown}:{line}: control character #x{exc.character:04x} "
            "is not allowed",
            hint="remove it (a NUL byte or other control character, e.g. from a binary file)",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"Malformed YAML in {shown}: {exc}", hint="fix the syntax of that file"
        ) from None
    finally:
        loader.dispose()


def check_expansion(root: Node, shown: str) -> None:
    """Refuse a node graph that aliases blow up, that refers to itself, or nests too deep.

    One iterative walk (no recursion limit to hit) over the distinct mappings and sequences,
    computing for each the number of values it stands for once aliases are expanded, and its
    depth. Scalars are counted where they appear, not walked: they are most of a document.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    visiting: set[int] = set()
    distinct = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if isinstance(node, ScalarNode) or (not children_done and id(node) in size):
            continue
        children = _children(node)
        if children_done:
            visiting.discard(id(node))
            distinct += 1 + sum(isinstance(child, ScalarNode) for child in children)
            _measure(node, children, size, depth, distinct, shown)
            continue
        if id(node) in visiting:
            raise ConfigError(
                f"Recursive alias in {shown}:{node.start_mark.line + 1}: the value contains itself",
                hint="replace the alias (*name) by the value it should hold",
            )
        visiting.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if not isinstance(child, ScalarNode))


def _measure(
    node: Node,
    children: list[Node],
    size: dict[int, int],
    depth: dict[int, int],
    distinct: int,
    shown: str,
) -> None:
    total, deepest = 1, 0
    for child in children:
        if isinstance(child, ScalarNode):
            total += 1
        else:
            total += size[id(child)]
            deepest = max(deepest, depth[id(child)])
    size[id(node)] = total
    depth[id(node)] = deepest + 1
    line = node.start_mark.line + 1
    # `total - distinct` never exceeds the whole document's alias expansion, and is 0
    # without aliases: a document without aliases is never refused here.
    if total - distinct > ALIAS_EXPANSION_BUDGET:
        raise ConfigError(
            f"YAML aliases in {shown}:{line} expand to more than {ALIAS_EXPANSION_BUDGET:,} values",
            hint="write the values out or use fewer nested aliases (*name)",
        )
    if deepest + 1 > MAX_NESTING_DEPTH:
        raise ConfigError(
            f"YAML in {shown}:{line} nests deeper than {MAX_NESTING_DEPTH} levels",
            hint="flatten the structure",
        )


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    return []
