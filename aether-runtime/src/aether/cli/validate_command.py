"""``aether validate``: every configuration check, no node run, every problem listed."""

from __future__ import annotations

from pathlib import Path

from aether.cli.output import console, print_error, print_json, print_warning
from aether.errors import AetherError

URL_SECRET_HINT = "move it to conf/local/credentials.yml or use ${env:NAME}"


def validate_command(project: Path | None, env: str | None, as_json: bool = False) -> int:
    from aether.engine.problems import problem_from_error, problem_from_warning, problems_json
    from aether.engine.validation import find_url_secrets, validate_project
    from aether.project.context import load_context, project_root

    try:
        context = load_context(project, env=env)
    except AetherError as error:
        if not as_json:
            raise
        # An editor asks on every save: a file that does not parse is a problem at its
        # line, not a failure of the command. Even no project at all is said in JSON (a
        # problem with no file): a tool reading stdout always gets the same shape.
        try:
            conf = project_root(project) / "conf"
        except AetherError:
            conf = Path.cwd() / "conf"
        print_json(problems_json([problem_from_error(error, conf)]))
        return 2
    warnings: list[AetherError] = []
    problems = validate_project(context, warnings)
    from aether.catalog.codeowners import codeowners_problems
    from aether.cli.catalog_command import base_catalog

    problems += codeowners_problems(context.paths.root, lambda: base_catalog(context))
    url_secrets = find_url_secrets(context.paths.conf_base)
    if as_json:
        conf = context.paths.conf
        records = [problem_from_error(p, conf) for p in problems] + [
            problem_from_warning(w, URL_SECRET_HINT, "url-secret", conf) for w in url_secrets
        ]
        records += [
            problem_from_warning(w.message, w.hint or "", "governance", conf) for w in warnings
        ]
        print_json(problems_json(records))
        return 2 if problems else 0
    for warning in url_secrets:
        print_warning(warning, URL_SECRET_HINT)
    for governance_warning in warnings:
        print_warning(governance_warning.message, governance_warning.hint or "")
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
