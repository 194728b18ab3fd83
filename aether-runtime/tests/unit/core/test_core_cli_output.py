"""How the CLI prints an error: one line, and a failed node's traceback only under --debug."""

from __future__ import annotations

import pytest

from aether.cli.output import print_error
from aether.errors import ConfigError, NodeFailedError

TRACEBACK = "Traceback (most recent call last):\n  File \"nodes.py\", line 3\nKeyError: 'id'"


@pytest.fixture(autouse=True)
def _plain_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("AETHER_DEBUG", raising=False)


def test_an_error_is_one_line_with_its_hint(capsys: pytest.CaptureFixture[str]) -> None:
    print_error(ConfigError("Bad value in conf/base/catalog.yml:3", hint="fix it"))

    assert capsys.readouterr().err == "error: Bad value in conf/base/catalog.yml:3 — fix it\n"


def test_a_failed_nodes_traceback_is_shown_only_under_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    error = NodeFailedError("Node 'clean' failed: KeyError: 'id'", details=TRACEBACK)

    print_error(error)
    quiet = capsys.readouterr().err
    monkeypatch.setenv("AETHER_DEBUG", "1")
    print_error(error)
    debug = capsys.readouterr().err

    assert quiet == "error: Node 'clean' failed: KeyError: 'id'\n"
    assert debug == f"error: Node 'clean' failed: KeyError: 'id'\n{TRACEBACK}\n"
