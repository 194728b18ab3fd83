"""Cookiecutter pre-generation hook: validate the answers before any file is written.

Copier checks the same rules with the `validator:` entries in copier.yml; keep them in step
(tests/test_render.py feeds the same bad answers to both engines).
Cookiecutter renders this file with Jinja before running it, hence the Jinja expressions below.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

# tojson escapes every quote, so the raw string cannot end early whatever the answers hold.
ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
CLAUSE = r"\s*(~=|==|!=|<=|>=|<|>)\s*[0-9][0-9A-Za-z.*+!-]*"
SPECIFIER = re.compile(rf"^{CLAUSE}(\s*,{CLAUSE})*\s*$")
RESERVED = {"aether", "src", "test", "tests"}
# Folder and distribution names: long enough for any real name, far below filesystem limits.
MAX_NAME = 64


def problems(answers: dict[str, str]) -> list[str]:
    """Every invalid answer, each as one line that says what to use instead."""
    found = []
    if not answers["project_name"].strip():
        found.append("project_name must not be empty")
    elif "\n" in answers["project_name"] or "\r" in answers["project_name"]:
        found.append("project_name must be a single line")
    slug = answers["project_slug"]
    if not SLUG.match(slug):
        found.append(
            f"project_slug '{slug}' is not valid: use lowercase letters, digits and single "
            "hyphens, starting with a letter (for example: my-data-project)"
        )
    elif len(slug) > MAX_NAME:
        found.append(f"project_slug is too long ({len(slug)} characters): {MAX_NAME} at most")
    package = answers["package_name"]
    if not PACKAGE.match(package):
        found.append(
            f"package_name '{package}' is not valid: use lowercase letters, digits and "
            "underscores, starting with a letter (for example: my_data_project)"
        )
    elif len(package) > MAX_NAME:
        found.append(f"package_name is too long ({len(package)} characters): {MAX_NAME} at most")
    elif keyword.iskeyword(package) or package in RESERVED:
        found.append(
            f"package_name '{package}' is reserved (a Python keyword or a name Aether or "
            f"pytest uses): choose another, for example: {package}_pipelines"
        )
    version = answers["aether_runtime_version"]
    if not SPECIFIER.match(version):
        found.append(
            f"aether_runtime_version '{version}' is not a version specifier "
            "(for example: >=0.1 or ==0.3.2)"
        )
    return found


if __name__ == "__main__":
    errors = problems(ANSWERS)
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    sys.exit(1 if errors else 0)
