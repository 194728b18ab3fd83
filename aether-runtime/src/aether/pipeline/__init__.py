"""Nodes, pipelines, and reading them from `pipeline.yml`.

A pipeline is a set of nodes; the DAG comes from matching node outputs to node inputs. This
module is pure graph logic: it imports no user code and knows nothing of the catalog.
"""

from __future__ import annotations

from aether.pipeline.graph import Pipeline
from aether.pipeline.nodes import ALL_PARAMS, PARAMS_PREFIX, Input, Node, node
from aether.pipeline.parsing import parse_pipelines

__all__ = ["ALL_PARAMS", "PARAMS_PREFIX", "Input", "Node", "Pipeline", "node", "parse_pipelines"]
