"""What `aether validate` reports of governance: metadata shapes, glossary terms, rules.

Errors fail validation; a rule of severity `warn` gives a warning, printed only.
"""

from __future__ import annotations

from collections.abc import Mapping

from aether.catalog.entries import CatalogEntry
from aether.catalog.metadata import asset_metadata
from aether.configuration.conf_folder import ConfigLoader
from aether.errors import AetherError
from aether.governance.glossary import read_glossary, term_problems
from aether.governance.policies import Described, Finding, check_rules, read_rules
from aether.pipeline import Pipeline


def review_governance(
    config: ConfigLoader, entries: Mapping[str, CatalogEntry], pipeline: Pipeline, env: str
) -> list[Finding]:
    """Every governance finding of a project: bad metadata, unknown terms, broken rules.

    A glossary or governance.yml that cannot be read is one error: the terms or rules it
    would hold are not checked until it is fixed.
    """
    findings: list[Finding] = []
    assets: dict[str, Described] = {}
    for name, entry in entries.items():
        try:
            assets[name] = Described(entry, asset_metadata(entry))
        except AetherError as error:
            findings.append(Finding("error", error))
    described = [(d.entry, d.meta) for d in assets.values()]
    try:
        glossary = read_glossary(config)
    except AetherError as error:
        findings.append(Finding("error", error))
    else:
        findings += [Finding("error", p) for p in term_problems(glossary, described)]
    try:
        rules = read_rules(config)
    except AetherError as error:
        findings.append(Finding("error", error))
    else:
        findings += check_rules(rules, assets, pipeline, env)
    return findings
