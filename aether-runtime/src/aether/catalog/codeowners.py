"""`.github/CODEOWNERS` kept in step with the catalog's `metadata.owner`.

Aether owns one block of the file, between two marker lines; lines outside it are the user's
and are never touched. The block maps, for every catalog entry with an owner:

- the conf file that defines the entry (e.g. `/conf/base/catalog.yml`) to the owners of every
  entry it defines, so changing a dataset's definition needs its owners' review;
- the entry's `filepath` (relative to the project root, which is taken to be the repository
  root) to the entry's owners; remote paths (`s3://...`) and absolute ones have no line.

Entries are grouped under a `# domain: <name>` comment when `metadata.domain` is set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aether.errors import AetherError, CatalogError, ConfigError

CODEOWNERS_FILE = ".github/CODEOWNERS"
BEGIN = "# BEGIN aether-managed (from the catalog's metadata.owner; do not edit inside)"
END = "# END aether-managed"
REGENERATE = "regenerate it: aether catalog codeowners --write"

# GitHub accepts @user, @org/team and e-mail addresses as owners.
_OWNER = re.compile(
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?"
    r"|[^@\s]+@[^@\s]+\.[^@\s]+"
)


def entry_owners(name: str, metadata: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The owners of one entry (`owner:` a string or a list), checked to look like GitHub's."""
    raw = metadata.get("owner")
    if raw is None:
        return ()
    owners = raw if isinstance(raw, list) else [raw]
    for owner in owners:
        if not isinstance(owner, str) or not _OWNER.fullmatch(owner):
            raise CatalogError(
                f"Dataset '{name}' ({where}): metadata.owner {owner!r} is not a GitHub owner",
                hint="write @user, @org/team or an e-mail address (CODEOWNERS uses it)",
            )
    return tuple(owners)


def render_block(catalog: Any) -> str:
    """The managed block for ``catalog`` (a DataCatalog), markers included."""
    conf_owners: dict[str, set[str]] = {}
    # One line per path: entries sharing a file (pandas and Spark reading one CSV) share
    # its line, since a later CODEOWNERS line for a path replaces an earlier one.
    data_owners: dict[str, set[str]] = {}
    data_domain: dict[str, str] = {}
    for name in sorted(catalog.entries):
        entry = catalog.entries[name]
        owners = entry_owners(name, entry.metadata, entry.where)
        if not owners:
            continue
        conf_file = entry.where.split(":", 1)[0]
        conf_owners.setdefault(conf_file, set()).update(owners)
        filepath = entry.arguments.get("filepath")
        if isinstance(filepath, str) and _local_relative(filepath):
            path = _pattern(filepath)
            data_owners.setdefault(path, set()).update(owners)
            data_domain.setdefault(path, str(entry.metadata.get("domain") or ""))
    lines = [BEGIN]
    lines += [f"{_pattern(f)} {' '.join(sorted(o))}" for f, o in sorted(conf_owners.items())]
    current: str | None = None
    for domain, path in sorted((data_domain[path], path) for path in data_owners):
        if domain and domain != current:
            lines.append(f"# domain: {domain}")
        current = domain
        lines.append(f"{path} {' '.join(sorted(data_owners[path]))}")
    lines.append(END)
    return "\n".join(lines) + "\n"


def managed_block(text: str) -> str | None:
    """The block found in a CODEOWNERS text (markers included), or None when it has none."""
    start, end = _bounds(text)
    if start is None or end is None:
        return None
    return "".join(text.splitlines(keepends=True)[start : end + 1])


def with_block(text: str, block: str) -> str:
    """``text`` with its managed block replaced by ``block`` (appended when it has none)."""
    start, end = _bounds(text)
    lines = text.splitlines(keepends=True)
    if start is None or end is None:
        separator = "\n" if text and not text.endswith("\n") else ""
        return text + separator + ("\n" if text else "") + block
    return "".join(lines[:start]) + block + "".join(lines[end + 1 :])


def codeowners_problems(root: Path, catalog_of: Callable[[], Any]) -> list[AetherError]:
    """Validate's check: owners look like GitHub's and the managed block matches the catalog
    (``catalog_of()``, called only when there is a block to compare).

    Projects without `.github/CODEOWNERS`, or whose file has no managed block, are not checked:
    `metadata.owner` stays free text for them.
    """
    path = root / CODEOWNERS_FILE
    if not path.is_file():
        return []
    found = managed_block(path.read_text(encoding="utf-8"))
    if found is None:
        return []
    try:
        expected = render_block(catalog_of())
    except CatalogError as error:
        return [error]
    if found.strip() == expected.strip():
        return []
    return [
        ConfigError(
            f"{CODEOWNERS_FILE}: the Aether-managed block is out of step with the catalog "
            f"({_first_difference(found, expected)})",
            hint=REGENERATE,
        )
    ]


def _first_difference(found: str, expected: str) -> str:
    have, want = set(found.splitlines()), set(expected.splitlines())
    missing = [line for line in expected.splitlines() if line not in have]
    extra = [line for line in found.splitlines() if line not in want]
    if missing:
        return f"missing: '{missing[0]}'"
    if extra:
        return f"no longer in the catalog: '{extra[0]}'"
    return "lines out of order"


def _bounds(text: str) -> tuple[int | None, int | None]:
    start = end = None
    for number, line in enumerate(text.splitlines()):
        if line.startswith("# BEGIN aether-managed") and start is None:
            start = number
        elif line.strip() == END and start is not None:
            end = number
            break
    return start, end


def _local_relative(filepath: str) -> bool:
    return "://" not in filepath and not filepath.startswith("/") and ":" not in filepath[:3]


def _pattern(path: str) -> str:
    # CODEOWNERS patterns follow .gitignore: a leading slash anchors at the root; spaces escaped.
    return "/" + path.strip("/").replace(" ", "\\ ")
