"""``aether validate``: every configuration check, no node run, every problem listed."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

from aether.cli.output import console, print_error, print_warning
from aether.errors import AetherError, ConfigError
from aether.redaction import url_secret_lines

_SECRET_KEY = re.compile(r"(password|passwd|secret|token|api[_-]?key|access[_-]?key)", re.I)
# Unquoted YAML scalars that cannot be secrets (max_tokens: 512, use_token: true).
_NOT_SECRET = re.compile(r"-?[\d_.]+|true|false|yes|no|on|off|null|~", re.I)


def validate_command(project: Path | None, env: str | None) -> int:
    from aether.checks import parse_checks
    from aether.durations import parse_duration
    from aether.engine.validation import check_locations, validate_pipeline
    from aether.project import check_parameters, load_context
    from aether.run import read_webhook

    context = load_context(project, env=env)
    problems: list[AetherError] = []
    # Inputs and cycles are checked on all pipelines together (a pipeline may read what
    # another one produces); parameters per pipeline, so the message names it.
    union = context.project_pipeline()
    checks: list[tuple[str, Callable[[], None]]] = [
        (f"pipeline {name}", functools.partial(check_parameters, pipeline, context.params))
        for name, pipeline in context.pipelines.items()
    ]
    label = f"pipeline {union.name}" if len(context.pipelines) == 1 else "all pipelines"
    checks.append((label, functools.partial(validate_pipeline, union, context.catalog)))
    for where, check in checks:
        try:
            check()
        except AetherError as error:
            error.message = f"[{where}] {error.message}"
            problems.append(error)
    for name, entry in context.catalog.entries.items():
        try:
            context.catalog.get(name)
            parse_checks(name, list(entry.checks), entry.where)
            if entry.freshness:
                for key in ("warn_after", "error_after"):
                    parse_duration(entry.freshness.get(key), name, entry.where)
        except AetherError as error:
            # validate_pipeline already reported it, prefixed with the pipeline: once is enough.
            if not any(p.message.endswith(error.message) for p in problems):
                problems.append(error)
    try:
        read_webhook(context)
    except AetherError as error:
        problems.append(error)
    try:  # project-wide: an entry written by a node of any pipeline
        check_locations(context.catalog, context.pipelines.values())
    except AetherError as error:
        problems.append(error)
    problems.extend(find_committed_secrets(context.project_path / "conf" / "base"))
    for warning in find_url_secrets(context.project_path / "conf" / "base"):
        print_warning(warning, "move it to conf/local/credentials.yml or use ${env:NAME}")
    unique = {p.message: p for p in problems}
    for problem in unique.values():
        print_error(problem)
    if unique:
        return 2
    nodes = sum(len(p) for p in context.pipelines.values())
    console().print(
        f"Configuration is valid: {len(context.pipelines)} pipeline(s), {nodes} node(s), "
        f"{len(context.catalog.entries)} catalog entries (env {context.env}).",
        markup=False,
    )
    return 0


def find_committed_secrets(base: Path) -> list[ConfigError]:
    """Literal secret-looking values in conf/base, which is committed to git."""
    found = []
    for path in sorted(base.glob("*.y*ml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = re.match(r"^\s*([\w\-]+)\s*:\s*(\S.*?)\s*$", line)
            if not match or line.lstrip().startswith("#"):
                continue
            key, value = match.groups()
            if _SECRET_KEY.search(key) and _literal_value(value):
                found.append(
                    ConfigError(
                        f"conf/base/{path.name}:{number}: '{key}' holds a literal secret in "
                        "conf/base, which is committed",
                        hint="move it to conf/local/credentials.yml or use ${env:NAME}",
                    )
                )
        if path.name == "credentials.yml":
            found.append(
                ConfigError(
                    "conf/base/credentials.yml exists: credentials in conf/base are committed",
                    hint="move it to conf/local/credentials.yml (gitignored)",
                )
            )
    return found


def find_url_secrets(base: Path) -> list[str]:
    """Lines of conf/base holding a URL password or token parameter in clear (a warning:
    the value is masked in every output, but it is still committed)."""
    return [
        f"conf/base/{path.name}:{number}: a URL holds a password or token in clear, "
        "and conf/base is committed"
        for path in sorted(base.glob("*.y*ml"))
        for number in url_secret_lines(path.read_text(encoding="utf-8"))
    ]


def _literal_value(value: str) -> bool:
    """Whether a YAML value is a literal string, not a reference, a nested block or a number."""
    unquoted = value.strip("'\"")
    if not unquoted or unquoted.startswith(("${", "{", "[", "#")):
        return False
    return unquoted != value or not _NOT_SECRET.fullmatch(value)
