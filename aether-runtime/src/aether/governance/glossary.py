"""`conf/base/glossary.yml`: the business terms assets and columns refer to.

```yaml
terms:
  revenue: {definition: Money received from orders, owner: finance, synonyms: [sales]}
```

The file is read strictly and its shape checked; a `term:` in the catalog's metadata that
names no term is a problem of `aether validate`, answered with the closest term, a synonym
counting as a spelling of the term it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.catalog.entries import CatalogEntry
from aether.catalog.metadata import AssetMetadata
from aether.configuration.conf_folder import ConfigLoader
from aether.errors import AetherError, CatalogError, ConfigError
from aether.support.suggestions import closest, did_you_mean, suggestion

GLOSSARY_FILE = "glossary.yml"
TERM_KEYS = ("definition", "owner", "synonyms")


@dataclass(frozen=True)
class Term:
    """One glossary term.

    Attributes:
        name: The term, as referenced by `term:`.
        definition: What it means.
        owner: Who decides what it means, or None.
        synonyms: Other words people use for it.
    """

    name: str
    definition: str
    owner: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Glossary:
    """The project's terms by name, and the file(s) they were read from.

    Attributes:
        terms: Term name -> `Term`, in the order written.
        where: The file shown in messages (`conf/base/glossary.yml`).
    """

    terms: Mapping[str, Term] = field(default_factory=dict)
    where: str = f"conf/base/{GLOSSARY_FILE}"

    def suggest(self, word: str) -> str:
        """``did you mean '<term>'?`` for a word that names no term (synonyms count)."""
        spellings = {t.name: t.name for t in self.terms.values()}
        for term in self.terms.values():
            for synonym in term.synonyms:
                spellings.setdefault(synonym, term.name)
        match = closest(word, spellings)
        return suggestion(spellings[match]) if match is not None else ""


def read_glossary(config: ConfigLoader) -> Glossary | None:
    """The glossary of the project (base and environment layers merged), or None if absent."""
    files = config.layer_files(GLOSSARY_FILE)
    if not files:
        return None
    layer = config.get(GLOSSARY_FILE, deep=True)
    # An empty file leaves no key to place: name the file itself.
    where = (
        layer.where("terms", config.conf_path.parent)
        if "terms" in layer.origins
        else files[-1].relative_to(config.conf_path.parent).as_posix()
    )
    shown = where.split(":", 1)[0]
    unknown = [k for k in layer.data if k != "terms"]
    if unknown:
        raise ConfigError(
            f"{shown}: unknown top-level key '{unknown[0]}'",
            hint=did_you_mean(str(unknown[0]), ["terms"]) or "the file holds one key, `terms:`",
        )
    raw = layer.data.get("terms") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{where}: `terms:` must map each term to its definition",
            hint="e.g. terms: {revenue: {definition: Money received from orders}}",
        )
    terms = {str(name): _term(str(name), spec, where) for name, spec in raw.items()}
    _check_synonyms(terms, where)
    return Glossary(terms=terms, where=shown)


def _check_synonyms(terms: Mapping[str, Term], where: str) -> None:
    """One word, one meaning: a synonym that is a term itself, or that two terms both
    claim, makes a reader (and the did-you-mean of a wrong `term:`) pick one at random."""
    owner_of: dict[str, str] = {}
    for term in terms.values():
        for synonym in term.synonyms:
            if synonym in terms and synonym != term.name:
                raise ConfigError(
                    f"{where}: term '{term.name}': synonym '{synonym}' is a term of its own",
                    hint=f"remove it from the synonyms of '{term.name}', or merge the two terms",
                )
            if owner_of.get(synonym, term.name) != term.name:
                raise ConfigError(
                    f"{where}: synonym '{synonym}' belongs to both '{owner_of[synonym]}' and "
                    f"'{term.name}'",
                    hint="keep it under the term it means",
                )
            owner_of[synonym] = term.name


def _term(name: str, spec: Any, where: str) -> Term:
    if isinstance(spec, str):
        return Term(name=name, definition=spec)
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{where}: term '{name}' must be a mapping with a `definition:`",
            hint=f"e.g. {name}: {{definition: ..., owner: ..., synonyms: [...]}}",
        )
    unknown = [k for k in spec if k not in TERM_KEYS]
    if unknown:
        raise ConfigError(
            f"{where}: term '{name}' has an unknown key '{unknown[0]}'",
            hint=did_you_mean(str(unknown[0]), TERM_KEYS) or f"a term takes {', '.join(TERM_KEYS)}",
        )
    definition = spec.get("definition")
    if not isinstance(definition, str) or not definition.strip():
        raise ConfigError(
            f"{where}: term '{name}' has no `definition:`",
            hint="write what the term means in one sentence: definition: ...",
        )
    owner = spec.get("owner")
    if owner is not None and not isinstance(owner, str):
        raise ConfigError(
            f"{where}: term '{name}': `owner:` must be a name", hint="e.g. owner: finance"
        )
    synonyms = spec.get("synonyms") or []
    if isinstance(synonyms, str):
        synonyms = [synonyms]
    if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
        raise ConfigError(
            f"{where}: term '{name}': `synonyms:` must be a list of words",
            hint="e.g. synonyms: [sales, turnover]",
        )
    return Term(name=name, definition=definition, owner=owner, synonyms=tuple(synonyms))


def term_problems(
    glossary: Glossary | None, described: Iterable[tuple[CatalogEntry, AssetMetadata]]
) -> list[AetherError]:
    """A problem per `term:` (of an asset or a column) that names no term of the glossary."""
    problems: list[AetherError] = []
    for entry, meta in described:
        for key, term in meta.terms():
            if glossary is not None and term in glossary.terms:
                continue
            prefix = f"Dataset '{entry.name}' ({entry.where}): {key} '{term}'"
            if glossary is None:
                problems.append(
                    CatalogError(
                        f"{prefix} names a term, but the project has no glossary",
                        hint=f"define it in conf/base/{GLOSSARY_FILE}: "
                        f"terms: {{{term}: {{definition: ...}}}}",
                    )
                )
                continue
            problems.append(
                CatalogError(
                    f"{prefix} is not a term of {glossary.where}",
                    hint=glossary.suggest(term) or "define it there, under `terms:`",
                )
            )
    return problems
