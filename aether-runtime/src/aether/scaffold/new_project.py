"""``aether new``: a new project from the Aether template (copier underneath).

Where the template comes from, first match wins:

1. ``--template SRC`` (or ``AETHER_TEMPLATE``): a company's fork, any source copier takes (a
   git URL, ``gh:org/repo``, a local folder), rendered at its newest tag and recorded as is.
2. An editable install inside the monorepo checkout: the checkout's working tree (``HEAD``),
   and the project installs the runtime from that checkout (``aether_runtime_path``), since
   the checkout may be ahead of any release.
3. The copy of the template inside the installed wheel: offline, no git needed. Its answers
   file records the public repository (:data:`PUBLIC_TEMPLATE`, or a mirror of it named by
   ``AETHER_TEMPLATE_MIRROR``) and the release tag this runtime was built from, so a later
   ``copier update`` upgrades from the real repository exactly as if the project had been
   copied from there. The project installs the runtime from where this one came
   (:mod:`aether.scaffold.runtime_origin`): the same wheel file or folder, else the package index.

An ``aether_runtime_path`` or ``aether_runtime_version`` given with ``--data`` always wins.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aether.errors import AetherError, ConfigError
from aether.scaffold.checks import (
    check_destination,
    check_questions,
    check_template_folder,
    publish,
    staging_folder,
)
from aether.scaffold.runtime_origin import runtime_origin
from aether.support.redaction import redact_url

# The project's canonical repository: what generated projects record for `copier update`.
PUBLIC_TEMPLATE = "https://github.com/aether-data/aether.git"
MIRROR_ENV = "AETHER_TEMPLATE_MIRROR"
ANSWERS_FILE = ".copier-answers.yml"
BUNDLED_TEMPLATE = Path(__file__).resolve().parent.parent / "_template"
# The answers that say where a project installs the runtime from.
RUNTIME_QUESTIONS = frozenset({"aether_runtime_path", "aether_runtime_version"})


@dataclass(frozen=True)
class TemplateSource:
    """What ``aether new`` renders, and what the answers file then records for updates."""

    render: str
    vcs_ref: str | None = None  # None: copier's default (the newest tag of a git source)
    runtime_path: str | None = None  # answer for aether_runtime_path, unless one is given
    recorded_source: str | None = None  # None: keep what copier records
    recorded_commit: str | None = None
    bundled: bool = False  # the installed runtime's own copy: install the runtime it came from


def local_monorepo() -> Path | None:
    """The monorepo checkout holding this runtime, if it is one (has copier.yml)."""
    package = Path(__file__).resolve().parent.parent  # .../aether-runtime/src/aether
    root = package.parents[2]
    if (root / "copier.yml").is_file() and (root / "template").is_dir():
        return root
    return None


def release_ref(version: str) -> str | None:
    """The git ref a runtime version was built from: ``v1.4.2`` for a release.

    A development build (``1.4.3.dev2+g1a2b3c4``) names its commit; an unknown build, nothing.
    """
    if re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?", version):
        return None if set(version) <= {"0", "."} else f"v{version}"
    commit = re.search(r"\+g([0-9a-f]{7,40})\b", version)
    return commit.group(1) if commit else None


def runtime_version() -> str:
    try:
        from aether._version import __version__
    except ImportError:  # a bare source tree, never built
        return "0.0.0+unknown"
    return __version__


def choose_template(template: str | None) -> TemplateSource:
    """Where to render from (see the module docstring for the order)."""
    if template:
        check_template_folder(template)
        return TemplateSource(render=template)
    monorepo = local_monorepo()
    if monorepo is not None:
        runtime = str(monorepo / "aether-runtime")
        return TemplateSource(render=str(monorepo), vcs_ref="HEAD", runtime_path=runtime)
    if not (BUNDLED_TEMPLATE / "copier.yml").is_file():
        raise AetherError(
            f"This installation of aether-data has no project template ({BUNDLED_TEMPLATE})",
            hint=f"reinstall aether-data from PyPI, or pass --template {PUBLIC_TEMPLATE}",
        )
    return TemplateSource(
        render=str(BUNDLED_TEMPLATE),
        recorded_source=os.environ.get(MIRROR_ENV) or PUBLIC_TEMPLATE,
        recorded_commit=release_ref(runtime_version()),
        bundled=True,
    )


def parse_data(items: list[str]) -> dict[str, str]:
    """``--data key=value`` items into answers, kept as text.

    Copier converts each answer to its question's type (``include_docker=true`` or ``yes``
    becomes a boolean); reading them as YAML first turned ``Sales: daily`` or ``{{ x }}`` into
    mappings and ``yes`` into ``True``.
    """
    answers: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"Malformed --data item {item!r}: expected name=value",
                hint="e.g. aether new my-project --data project_name='Sales data'",
            )
        answers[key.strip()] = value
    return answers


def new_project(
    destination: Path,
    *,
    template: str | None = None,
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
) -> Path:
    """Render the template into ``destination``; returns the project folder.

    The project is rendered into a hidden folder next to ``destination`` and moved there
    only when complete, so an interrupted or failed run never leaves a half project under
    the name asked for, and of two runs into the same folder, the second is refused.
    """
    copier = _import_copier()
    check_destination(destination)
    source = choose_template(template)
    answers = dict(data or {})
    check_questions(source.render, answers)
    answers.update(runtime_answers(source, answers))
    answers.setdefault("project_name", _title(destination.name))
    with staging_folder(destination) as staged:
        _render(copier, source, staged, answers, defaults)
        if source.recorded_source is not None:
            record_origin(staged / ANSWERS_FILE, source.recorded_source, source.recorded_commit)
        publish(staged, destination)
    return destination


def runtime_answers(source: TemplateSource, given: Mapping[str, Any]) -> dict[str, str]:
    """Where the project installs the runtime from, unless the user said so."""
    if RUNTIME_QUESTIONS & given.keys():
        return {}
    if source.runtime_path:
        return {"aether_runtime_path": source.runtime_path}
    if source.bundled:
        # Read only now: a runtime whose wheel is gone is refused unless the user names one.
        return runtime_origin().answers()
    return {}


def _import_copier() -> Any:
    try:
        import copier
    except ImportError:
        raise AetherError(
            "aether new needs copier, which is not installed",
            hint="install the runtime with its `new` extra: pip install 'aether-data[new]' "
            "(or 'PATH/TO/aether_data-*.whl[new]' for a wheel you built), or run "
            "uvx --from 'aether-data[new]' aether new DEST (the same with a wheel's path)",
        ) from None
    return copier


def _render(
    copier: Any, source: TemplateSource, staged: Path, answers: dict[str, Any], defaults: bool
) -> None:
    from plumbum import ProcessExecutionError

    try:
        with warnings.catch_warnings():
            # A local checkout is usually untagged and dirty: copier says so; that is fine.
            warnings.simplefilter("ignore")
            copier.run_copy(
                source.render,
                # Absolute: the template writes `aether_runtime_path` relative to it. The
                # staging folder sits next to the destination, so that path is the same.
                str(staged),
                data=answers,
                defaults=defaults,
                unsafe=False,
                quiet=True,
                vcs_ref=source.vcs_ref,
            )
    except (copier.errors.UserMessageError, ValueError) as exc:
        question = re.search(r"question '(\w+)'", str(exc))
        name = question.group(1) if question else "NAME"
        raise ConfigError(
            f"The template rejected an answer: {redact_url(str(exc))}",
            hint=f"give a valid one with --data {name}=VALUE (project_slug and package_name "
            "are derived from project_name unless given)",
        ) from None
    except ProcessExecutionError as exc:
        raise ConfigError(
            f"Could not fetch the template {redact_url(source.render)}: {_last_line(exc.stderr)}",
            hint="check the address, your network and your access to it",
        ) from None


def record_origin(answers_file: Path, source: str, commit: str | None) -> None:
    """Point the answers file at the template's repository and release, for ``copier update``.

    Copier rendered a folder without git history, so it recorded that folder and no commit;
    only those two lines change, the rest stays as copier wrote it.
    """
    import yaml

    lines = answers_file.read_text().splitlines(keepends=True)
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith(("#", "_commit:", "_src_path:"))]
    origin = {"_src_path": source} if commit is None else {"_commit": commit, "_src_path": source}
    answers_file.write_text("".join(header) + yaml.safe_dump(origin) + "".join(body))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return redact_url(lines[-1]) if lines else "no output"


def _title(folder: str) -> str:
    return folder.replace("-", " ").replace("_", " ").strip().title() or "My Data Project"
