"""`conf/base/governance.yml`: the project's rules, checked against the catalog and pipelines.

```yaml
rules:
  - {rule: required_metadata, tiers: [gold], keys: [owner, description], severity: error}
  - {rule: naming, pattern: "^[a-z][a-z0-9_]*$", severity: warn}
  - {rule: required_checks, tiers: [gold], severity: warn}
  - {rule: allowed_types, env: prod, types: [SQLTableDataSet, PandasParquetDataSet]}
  - {rule: pii_propagation, severity: error}
```

Each rule is read strictly (an unknown rule or key is answered with did-you-mean) and each
violation is a `Finding`: the entry, the rule and the fix in one line, and the rule's
severity (`error`, the default, fails `aether validate`; `warn` is printed only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aether.catalog.entries import CatalogEntry
from aether.catalog.metadata import KNOWN_KEYS, AssetMetadata
from aether.configuration.conf_folder import ConfigLoader
from aether.errors import AetherError, CatalogError, ConfigError
from aether.pipeline import Pipeline
from aether.support.suggestions import closest, did_you_mean, suggestion

GOVERNANCE_FILE = "governance.yml"
SEVERITIES = ("error", "warn")
_COMMON_KEYS = ("rule", "severity")
# How like a known dataset type a name of allowed_types must be to be taken for its typo
# (PandasParquetDataset, SQLTabelDataSet): a custom class of another name (MyDataSet) is not.
TYPE_TYPO_CUTOFF = 0.9
# Per rule: the keys it takes (besides rule and severity) and those it needs.
RULE_KEYS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "required_metadata": (("tiers", "layers", "keys"), ("keys",)),
    "naming": (("pattern", "tiers", "layers"), ("pattern",)),
    "required_checks": (("tiers", "layers"), ()),
    "allowed_types": (("env", "types"), ("env", "types")),
    "pii_propagation": ((), ()),
}


@dataclass(frozen=True)
class Rule:
    """One rule of governance.yml, its shape checked.

    Attributes:
        kind: The rule's name (`required_metadata`, `naming`...).
        severity: `error` (fails validate) or `warn`.
        options: The rule's other keys, as written.
        where: `conf/base/governance.yml rules[2]`, for messages.
    """

    kind: str
    severity: str
    options: Mapping[str, Any] = field(default_factory=dict)
    where: str = f"conf/base/{GOVERNANCE_FILE}"

    def names(self, key: str) -> tuple[str, ...]:
        """A list option (`tiers`, `layers`, `keys`, `types`, `env`) as a tuple of strings."""
        value = self.options.get(key)
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Finding:
    """One violation of a rule: its severity and the one-line problem (message and fix)."""

    severity: str
    problem: AetherError


def read_rules(config: ConfigLoader) -> tuple[Rule, ...]:
    """The rules of governance.yml (base, or the environment's file when it has one)."""
    files = config.layer_files(GOVERNANCE_FILE)
    if not files:
        return ()
    layer = config.get(GOVERNANCE_FILE)
    shown = (
        layer.where("rules", config.conf_path.parent).split(":", 1)[0]
        if "rules" in layer.origins
        else files[-1].relative_to(config.conf_path.parent).as_posix()
    )
    unknown = [k for k in layer.data if k != "rules"]
    if unknown:
        raise ConfigError(
            f"{shown}: unknown top-level key '{unknown[0]}'",
            hint=did_you_mean(str(unknown[0]), ["rules"]) or "the file holds one key, `rules:`",
        )
    raw = layer.data.get("rules") or []
    if not isinstance(raw, list):
        raise ConfigError(
            f"{shown}: `rules:` must be a list of rules",
            hint="e.g. rules: [{rule: pii_propagation, severity: error}]",
        )
    envs = sorted(p.name for p in config.conf_path.iterdir() if p.is_dir() and p.name != "base")
    return tuple(_rule(spec, f"{shown} rules[{i}]", envs) for i, spec in enumerate(raw))


def _rule(spec: Any, where: str, envs: Sequence[str] = ()) -> Rule:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("rule"), str):
        raise ConfigError(
            f"{where}: each rule must be a mapping with a `rule:`",
            hint=f"e.g. {{rule: naming, pattern: '^[a-z_]+$'}}; rules: {', '.join(RULE_KEYS)}",
        )
    kind = spec["rule"]
    if kind not in RULE_KEYS:
        raise ConfigError(
            f"{where}: unknown rule '{kind}'",
            hint=did_you_mean(kind, RULE_KEYS) or f"rules: {', '.join(RULE_KEYS)}",
        )
    allowed, needed = RULE_KEYS[kind]
    for key in spec:
        if key not in (*_COMMON_KEYS, *allowed):
            choices = (*_COMMON_KEYS, *allowed)
            raise ConfigError(
                f"{where}: rule {kind} has an unknown key '{key}'",
                hint=did_you_mean(str(key), choices) or f"it takes {', '.join(choices)}",
            )
    for key in needed:
        if key not in spec:
            raise ConfigError(f"{where}: rule {kind} needs `{key}:`", hint=_EXAMPLES[kind])
    severity = spec.get("severity", "error")
    if severity not in SEVERITIES:
        raise ConfigError(
            f"{where}: rule {kind}: severity {severity!r} is not error or warn",
            hint=did_you_mean(str(severity), SEVERITIES) or "write severity: error or warn",
        )
    for key in ("tiers", "layers", "keys", "types", "env"):
        value = spec.get(key)
        if value is not None and not _names(value):
            raise ConfigError(
                f"{where}: rule {kind}: `{key}:` must be a name or a list of names",
                hint=_EXAMPLES[kind],
            )
    if kind == "required_metadata":
        # A free-form key may be required too, but one a letter away from a known key is a typo.
        for key in _listed(spec["keys"]):
            near = closest(key, KNOWN_KEYS)
            if key not in KNOWN_KEYS and near is not None:
                raise ConfigError(
                    f"{where}: rule required_metadata: key '{key}' is not a metadata key Aether "
                    "reads",
                    hint=f"{suggestion(near)} (any other free-form key is allowed as written)",
                )
    if kind == "allowed_types":
        _check_allowed_types(spec, where, envs)
    if kind == "naming":
        pattern = spec["pattern"]
        if not isinstance(pattern, str) or not pattern:
            # `pattern: 5` would match any name holding a 5; a YAML list is no pattern at all.
            raise ConfigError(
                f"{where}: rule naming: `pattern:` must be a regular expression in quotes, "
                f"got {pattern!r}",
                hint=_EXAMPLES[kind],
            )
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise ConfigError(
                f"{where}: rule naming: pattern {pattern!r} is not a regular expression ({exc})",
                hint="fix the pattern, e.g. pattern: '^[a-z][a-z0-9_]*$' (quote it)",
            ) from None
    options = {k: v for k, v in spec.items() if k not in _COMMON_KEYS}
    return Rule(kind=kind, severity=severity, options=options, where=where)


def _check_allowed_types(spec: Mapping[str, Any], where: str, envs: Sequence[str]) -> None:
    """An environment a letter away from one of conf/ would never apply, and a type a
    letter away from a known one would never match: both silently disable the rule (or
    refuse every entry), so both are refused. Any other name may be a custom class (its
    dotted path's last part), so it is allowed as written."""
    from aether.catalog import DataSetFactory

    for env in _listed(spec["env"]):
        # An env without a folder yet may be one being prepared; a letter away from one
        # that has a folder, it is a typo.
        near = closest(env, envs)
        if env not in envs and near is not None:
            raise ConfigError(
                f"{where}: rule allowed_types: env '{env}' has no folder conf/{env}, so the "
                "rule would never apply",
                hint=suggestion(near),
            )
    known = DataSetFactory().known_types()
    for name in _listed(spec["types"]):
        near = closest(name, known, cutoff=TYPE_TYPO_CUTOFF)
        if "." not in name and name not in known and near is not None:
            raise ConfigError(
                f"{where}: rule allowed_types: '{name}' is not a dataset type",
                hint=f"{suggestion(near)} (the types: aether catalog types)",
            )


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _names(value: object) -> bool:
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


_EXAMPLES = {
    "required_metadata": "e.g. {rule: required_metadata, tiers: [gold], keys: [owner]}",
    "naming": "e.g. {rule: naming, pattern: '^[a-z][a-z0-9_]*$'}",
    "required_checks": "e.g. {rule: required_checks, tiers: [gold]}",
    "allowed_types": "e.g. {rule: allowed_types, env: prod, types: [SQLTableDataSet]}",
    "pii_propagation": "e.g. {rule: pii_propagation, severity: error}",
}


@dataclass(frozen=True)
class Described:
    """A catalog entry with its typed metadata: what the rules read."""

    entry: CatalogEntry
    meta: AssetMetadata


def check_rules(
    rules: Sequence[Rule],
    assets: Mapping[str, Described],
    pipeline: Pipeline,
    env: str,
) -> list[Finding]:
    """Every violation of ``rules`` by the catalog's ``assets`` and the project's ``pipeline``."""
    findings: list[Finding] = []
    for rule in rules:
        check = _CHECKS[rule.kind]
        for name, problem in check(rule, assets, pipeline, env):
            where = assets[name].entry.where if name in assets else "pipeline.yml"
            findings.append(
                Finding(
                    rule.severity,
                    CatalogError(
                        f"Dataset '{name}' ({where}): rule {rule.kind} ({rule.where}): "
                        f"{problem[0]}",
                        hint=problem[1],
                    ),
                )
            )
    return findings


Violation = tuple[str, tuple[str, str]]  # (dataset, (what is wrong, how to fix it))


def _applies(rule: Rule, meta: AssetMetadata) -> bool:
    """Whether a rule limited to `tiers:` / `layers:` applies to an asset (unlimited: all)."""
    tiers, layers = rule.names("tiers"), rule.names("layers")
    if not tiers and not layers:
        return True
    return (meta.tier is not None and meta.tier in tiers) or (
        meta.layer is not None and meta.layer in layers
    )


def _scope(meta: AssetMetadata) -> str:
    return f"tier {meta.tier}" if meta.tier else f"layer {meta.layer}"


def _required_metadata(
    rule: Rule, assets: Mapping[str, Described], pipeline: Pipeline, env: str
) -> Iterable[Violation]:
    for name, item in sorted(assets.items()):
        if not _applies(rule, item.meta):
            continue
        missing = [k for k in rule.names("keys") if not item.meta.present(k)]
        if missing:
            scope = f" ({_scope(item.meta)})" if rule.names("tiers") or rule.names("layers") else ""
            yield (
                name,
                (
                    f"metadata{scope} lacks {', '.join(missing)}",
                    f"add {', '.join(f'`{k}:`' for k in missing)} under its `metadata:`",
                ),
            )


def _naming(
    rule: Rule, assets: Mapping[str, Described], pipeline: Pipeline, env: str
) -> Iterable[Violation]:
    pattern = re.compile(str(rule.options["pattern"]))
    for name, item in sorted(assets.items()):
        if _applies(rule, item.meta) and not pattern.search(name):
            yield (
                name,
                (
                    f"the name does not match {pattern.pattern!r}",
                    "rename the entry (and the nodes' inputs and outputs that name it)",
                ),
            )


def _required_checks(
    rule: Rule, assets: Mapping[str, Described], pipeline: Pipeline, env: str
) -> Iterable[Violation]:
    for name, item in sorted(assets.items()):
        if _applies(rule, item.meta) and not item.entry.checks:
            scope = f" ({_scope(item.meta)})" if rule.names("tiers") or rule.names("layers") else ""
            yield (
                name,
                (
                    f"the asset{scope} has no checks",
                    "add `checks:` to the entry, e.g. checks: [{check: not_null, columns: [id]}]",
                ),
            )


def _allowed_types(
    rule: Rule, assets: Mapping[str, Described], pipeline: Pipeline, env: str
) -> Iterable[Violation]:
    if env not in rule.names("env"):
        return
    allowed = rule.names("types")
    for name, item in sorted(assets.items()):
        written = item.entry.type_name
        if written not in allowed and written.rsplit(".", 1)[-1] not in allowed:
            yield (
                name,
                (
                    f"type {written} is not allowed in env {env}",
                    f"use one of {', '.join(allowed)} in conf/{env}/catalog.yml",
                ),
            )


def _pii_propagation(
    rule: Rule, assets: Mapping[str, Described], pipeline: Pipeline, env: str
) -> Iterable[Violation]:
    # Personal data flows through datasets the catalog does not describe (memory datasets)
    # too: such a dataset carries whatever personal data its node read.
    carries: dict[str, str] = {}  # dataset -> the pii: true dataset it comes from
    for name, item in assets.items():
        if item.meta.pii:
            carries[name] = name
    for step in pipeline.toposorted():
        sources = [carries[d] for d in step.dataset_inputs if d in carries]
        if not sources or step.removes_pii:
            continue
        for output in step.outputs:
            described = assets.get(output)
            if described is None:
                carries.setdefault(output, sources[0])
                continue
            if not described.meta.pii:
                yield (
                    output,
                    (
                        f"node '{step.name}' derives it from '{sources[0]}' (pii: true), "
                        "but it is not marked pii",
                        f"add `pii: true` to its metadata, or `removes_pii: true` to node "
                        f"'{step.name}' in pipeline.yml if the node drops the personal data",
                    ),
                )


_CHECKS: Mapping[
    str, Callable[[Rule, Mapping[str, Described], Pipeline, str], Iterable[Violation]]
] = {
    "required_metadata": _required_metadata,
    "naming": _naming,
    "required_checks": _required_checks,
    "allowed_types": _allowed_types,
    "pii_propagation": _pii_propagation,
}
