"""``aether validate``: every configuration check, no node run, every problem listed."""

from __future__ import annotations

from pathlib import Path

from aether.cli.output import console, print_error, print_warning


def validate_command(project: Path | None, env: str | None) -> int:
    from aether.engine.validation import find_url_secrets, validate_project
    from aether.project.context import load_context

    context = load_context(project, env=env)
    problems = validate_project(context)
    from aether.catalog.codeowners import codeowners_problems
    from aether.cli.catalog_command import base_catalog

    problems += codeowners_problems(context.paths.root, lambda: base_catalog(context))
    for warning in find_url_secrets(context.paths.conf_base):
        print_warning(warning, "move it to conf/local/credentials.yml or use ${env:NAME}")
    for problem in problems:
        print_error(problem)
    if problems:
        return 2
    nodes = sum(len(p) for p in context.pipelines.values())
    console().print(
        f"Configuration is valid: {len(context.pipelines)} pipeline(s), {nodes} node(s), "
        f"{len(context.catalog.entries)} catalog entries (env {context.env}).",
        markup=False,
    )
    return 0
