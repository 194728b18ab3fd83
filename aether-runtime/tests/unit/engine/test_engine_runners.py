"""Runners by name (their worker processes: integration/engine/test_parallel_runner_workers.py)."""

from __future__ import annotations

import pytest

from aether.engine.runners import ParallelRunner, SequentialRunner, create_runner
from aether.errors import PipelineError


def test_runner_names() -> None:
    assert isinstance(create_runner("sequential"), SequentialRunner)
    assert isinstance(create_runner("parallel", 3), ParallelRunner)
    with pytest.raises(PipelineError, match="Unknown runner 'paralel'"):
        create_runner("paralel")
