"""scripts/check_conflict_markers.py, run by `make lint`: merge-conflict markers left in a
tracked file fail the build (docs/how-to/sql.md was once published with a conflict in it)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_conflict_markers.py"
# Built here, never written out: this file must not hold the markers it tests for.
OURS, THEIRS, SPLIT = "<" * 7, ">" * 7, "=" * 7
CONFLICT = f"intro\n{OURS} HEAD\nmine\n{SPLIT}\ntheirs\n{THEIRS} b-feature\nend\n"


def load_script():
    spec = importlib.util.spec_from_file_location("check_conflict_markers", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = load_script()


def repository(
    tmp_path: Path, files: dict[str, str], untracked: dict[str, str] | None = None
) -> Path:
    """A git repository at ``tmp_path`` tracking ``files``, with ``untracked`` beside them."""
    for name, text in {**files, **(untracked or {})}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", *files], cwd=tmp_path, check=True)
    return tmp_path


def run_script(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


def test_a_conflict_in_a_tracked_file_fails_naming_file_and_lines(tmp_path: Path) -> None:
    root = repository(tmp_path, {"docs/how-to/sql.md": CONFLICT, "ok.md": "fine\n"})

    result = run_script(root)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert [line.split(" — ")[0] for line in lines] == [
        f"error: docs/how-to/sql.md:2: merge-conflict marker {OURS}",
        f"error: docs/how-to/sql.md:6: merge-conflict marker {THEIRS}",
    ]


def test_underlines_and_marker_like_text_inside_a_line_pass(tmp_path: Path) -> None:
    """Seven '=' alone is a reStructuredText/Markdown underline; markers count only at the
    start of a line followed by a space or its end (`git grep '^<<<<<<<'` in a page is fine)."""
    root = repository(
        tmp_path,
        {
            "index.rst": f"Title\n{SPLIT}\n\nText\n",
            "upgrade.md": f"git grep -n -e '^{OURS}' -e '^{THEIRS}'\n{OURS}{OURS}\n",
        },
    )

    result = run_script(root)

    assert (result.returncode, result.stderr) == (0, "")


def test_untracked_files_and_intentional_ones_are_not_checked(tmp_path: Path) -> None:
    root = repository(tmp_path, {"fixture.txt": CONFLICT}, untracked={"scratch.md": CONFLICT})

    assert check.problems(root, intentional=frozenset({"fixture.txt"})) == []
    assert len(check.problems(root)) == 2  # the same file, not listed as intentional


def test_the_repository_has_no_conflict_markers() -> None:
    assert check.problems(ROOT) == []
