"""A project: finding it, its paths, its sources, its DAG, and the context built from its ``conf/``.

``from aether.project import load_context`` (and ``AetherContext``, ``find_project_root``) is the
documented spelling; those names are looked up lazily so that the low-level modules in this
package (``paths``, ``sources``) can be imported without building the whole context machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aether.project.context import AetherContext, find_project_root, load_context

__all__ = ["AetherContext", "find_project_root", "load_context"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from aether.project import context

        return getattr(context, name)
    raise AttributeError(f"module 'aether.project' has no attribute {name!r}")
