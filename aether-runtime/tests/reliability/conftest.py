"""The standing catalogue of hostile cases: shared assertions.

Every case in this folder drives the real CLI (``aether(project, ...)``) against a small
project from ``make_project`` and asserts, as a hostile tester would check by hand:

- the exit code, and for bad input exactly one ``error: <what> — <what to do>`` line;
- no traceback anywhere in the output;
- nothing written or lost: :func:`snapshot` hashes every file of the project before and after
  (``.aether/cache/`` aside, which only holds parsed-YAML caches);
- no secret in any output, log, cache or state file (:func:`assert_no_secret`).

Each test's docstring names the guarantee it holds; ``docs/guarantees.md`` lists them.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

CACHE_PARTS = (".aether", "cache")


def snapshot(project: Path, *, include_state: bool = True) -> dict[str, str]:
    """``{relative path: sha256}`` of every file below ``project`` except parsed-YAML caches.

    ``include_state=False`` also leaves out ``.aether/`` entirely, for cases where a run is
    expected to record something but must not touch the data.
    """
    found = {}
    for path in sorted(project.rglob("*")):
        if not path.is_file():
            continue
        parts = path.relative_to(project).parts
        if parts[:2] == CACHE_PARTS or "__pycache__" in parts:
            continue
        if not include_state and parts[0] == ".aether":
            continue
        found[path.relative_to(project).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def assert_unchanged(before: dict[str, str], after: dict[str, str]) -> None:
    """No file appeared, disappeared or changed (named in the failure)."""
    added = sorted(set(after) - set(before))
    lost = sorted(set(before) - set(after))
    changed = sorted(name for name in set(before) & set(after) if before[name] != after[name])
    assert not (added or lost or changed), f"added {added}, lost {lost}, changed {changed}"


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


def error_line(result: subprocess.CompletedProcess[str], exit_code: int = 2) -> str:
    """The single ``error: … — …`` line of a refused command, checked for shape."""
    output = result.stdout + result.stderr
    assert result.returncode == exit_code, f"exit {result.returncode}:\n{output}"
    assert_no_traceback(result)
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    assert " — " in lines[0], f"no hint in: {lines[0]}"
    return lines[0]


def assert_refused(
    result: subprocess.CompletedProcess[str],
    project: Path,
    before: dict[str, str],
    *culprits: str,
    exit_code: int = 2,
) -> str:
    """Refused with one error line naming every culprit; no file of the project touched."""
    line = error_line(result, exit_code)
    for culprit in culprits:
        assert culprit in line, f"{culprit!r} not in: {line}"
    assert_unchanged(before, snapshot(project))
    return line


def assert_no_secret(secret: str, project: Path, *results: subprocess.CompletedProcess[str]):
    """``secret`` is in no output and in no file Aether keeps (state, caches, logs)."""
    assert len(secret) >= 6, "use a realistic secret: short values are not masked"
    for result in results:
        assert secret not in result.stdout, result.stdout
        assert secret not in result.stderr, result.stderr
    needle = secret.encode()
    for path in sorted(project.rglob("*")):
        parts = path.relative_to(project).parts
        kept_by_aether = parts[0] == ".aether" or path.suffix in {".log", ".html", ".json"}
        if path.is_file() and kept_by_aether and "credentials" not in path.name:
            assert needle not in path.read_bytes(), f"secret found in {path}"
