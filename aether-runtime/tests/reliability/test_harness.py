"""The catalogue's own assertions fail when they should (a check that cannot fail is no check)."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import assert_no_secret, assert_refused, assert_unchanged, snapshot


def _result(code: int, stderr: str, stdout: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["aether"], code, stdout, stderr)


def test_a_changed_file_is_noticed(tmp_path):
    (tmp_path / "data.csv").write_text("a\n1\n")
    before = snapshot(tmp_path)
    (tmp_path / "data.csv").write_text("a\n2\n")
    with pytest.raises(AssertionError, match="changed"):
        assert_unchanged(before, snapshot(tmp_path))


def test_caches_are_ignored_but_state_is_not(tmp_path):
    before = snapshot(tmp_path)
    (tmp_path / ".aether" / "cache").mkdir(parents=True)
    (tmp_path / ".aether" / "cache" / "yaml-x.json").write_text("{}")
    assert_unchanged(before, snapshot(tmp_path))
    (tmp_path / ".aether" / "state.db").write_text("x")
    with pytest.raises(AssertionError, match="added"):
        assert_unchanged(before, snapshot(tmp_path))


def test_refusal_needs_exit_2_one_line_and_a_hint(tmp_path):
    before = snapshot(tmp_path)
    assert_refused(_result(2, "error: bad thing in x.yml — fix it\n"), tmp_path, before, "x.yml")
    with pytest.raises(AssertionError):
        assert_refused(_result(1, "error: bad — fix\n"), tmp_path, before)
    with pytest.raises(AssertionError):
        assert_refused(_result(2, "error: bad, no hint\n"), tmp_path, before)
    with pytest.raises(AssertionError):
        assert_refused(
            _result(2, "Traceback (most recent call last):\nerror: a — b\n"), tmp_path, before
        )


def test_a_secret_in_output_or_state_is_caught(tmp_path):
    with pytest.raises(AssertionError):
        assert_no_secret("hunter2-secret", tmp_path, _result(1, "", "pw=hunter2-secret"))
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "state.db").write_bytes(b"...hunter2-secret...")
    with pytest.raises(AssertionError):
        assert_no_secret("hunter2-secret", tmp_path)
