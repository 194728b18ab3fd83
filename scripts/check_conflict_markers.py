"""Fail on merge-conflict markers left in tracked files (run by ``make lint``).

    python scripts/check_conflict_markers.py [ROOT]

A line that starts with seven ``<`` or seven ``>`` followed by a space or the end of the line
is what git writes around a conflict, and nothing else writes it: each one is reported as
``error: <file>:<line>: ...`` and the exit code is 1. A line of seven ``=`` alone is not
reported: it is also a reStructuredText or Markdown underline, and a real conflict always
has the other two markers around it.

A file that shows such lines on purpose (a test fixture, a page about resolving conflicts)
is listed in :data:`INTENTIONAL`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MARKER = re.compile(rb"^(<{7}|>{7})(?: |\r?$)", re.MULTILINE)
INTENTIONAL: frozenset[str] = frozenset()
"""Tracked files (paths from the root, with ``/``) whose conflict markers are meant to be there."""


def tracked_files(root: Path) -> list[Path]:
    """The files git tracks under ``root`` (what a commit would publish)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout
    return [root / name for name in listed.decode("utf-8", "surrogateescape").split("\0") if name]


def markers_in(content: bytes) -> list[tuple[int, str]]:
    """``(line number, marker)`` of each conflict marker in ``content``."""
    return [
        (content.count(b"\n", 0, match.start()) + 1, match.group(1).decode())
        for match in MARKER.finditer(content)
    ]


def problems(root: Path, intentional: frozenset[str] = INTENTIONAL) -> list[str]:
    """One ``error: <file>:<line>: ...`` line per marker in the tracked files under ``root``."""
    found = []
    for path in tracked_files(root):
        shown = path.relative_to(root).as_posix()
        if shown in intentional or not path.is_file():  # not a file: deleted, a submodule
            continue
        found.extend(
            f"error: {shown}:{line}: merge-conflict marker {marker} — resolve the conflict "
            "(or add the file to INTENTIONAL in scripts/check_conflict_markers.py)"
            for line, marker in markers_in(path.read_bytes())
        )
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else ".").resolve()
    try:
        found = problems(root)
    except (OSError, subprocess.CalledProcessError):
        print(
            f"error: cannot list the files git tracks in {root} — run it in a clone",
            file=sys.stderr,
        )
        return 2
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
