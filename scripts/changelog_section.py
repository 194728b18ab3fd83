"""Print the CHANGELOG.md section of one version: the release notes of its GitHub release.

    python scripts/changelog_section.py 1.4.2            # or v1.4.2, as the tag names it
    python scripts/changelog_section.py 1.4.2 --changelog path/to/CHANGELOG.md

The section starts at a heading ``## 1.4.2`` (a date may follow: ``## 1.4.2 — 2026-03-01``;
``## v1.4.2`` and ``## [1.4.2]`` are accepted too) and ends at the next ``## `` heading. Exits 1
with a message when the changelog has no such section, or an empty one: a release is not cut
without its notes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


class MissingSectionError(LookupError):
    """The changelog has no section, or an empty one, for the version."""


def section(text: str, version: str) -> str:
    """The body of the ``## <version>`` section of ``text``, without its heading."""
    version = version.removeprefix("v")
    # After the version: nothing, or a date after a dash (em, en or hyphen) or in brackets.
    dash = "\u2014|\u2013|-|\\("
    version_heading = r"^##[ \t]+\[?v?" + re.escape(version) + r"\]?"
    heading = re.compile(version_heading + rf"([ \t]+({dash}).*)?[ \t]*$", re.MULTILINE)
    found = heading.search(text)
    if found is None:
        raise MissingSectionError(f"CHANGELOG.md has no '## {version}' section")
    rest = text[found.end() :]
    following = re.search(r"^## ", rest, re.MULTILINE)
    body = (rest[: following.start()] if following else rest).strip()
    if not body:
        raise MissingSectionError(f"CHANGELOG.md's '## {version}' section is empty")
    return body + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the version or its tag: 1.4.2 or v1.4.2")
    parser.add_argument("--changelog", type=Path, default=CHANGELOG)
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(section(args.changelog.read_text(encoding="utf-8"), args.version))
    except MissingSectionError as exc:
        print(
            f"error: {exc}; add it (## {args.version.removeprefix('v')} — date) and tag again",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
