"""`${params:a.b}` inside SQL text (`sql:`, a `.sql` file, `version_query:`) as bound
parameters: each reference becomes a placeholder and its value travels beside the text, so a
parameter can never change what the statement does (`x'; drop table t; --` stays a value)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether.errors import CatalogError
from aether.support.dotted_keys import get_dotted, is_missing

_REFERENCE = re.compile(r"\$\{params:([^}\s]+)\}")


@dataclass(frozen=True)
class BoundQuery:
    """SQL text with SQLAlchemy placeholders (`:aether_p0`) and their values.

    Attributes:
        sql: The text, each `${params:...}` replaced by a placeholder.
        values: The value of each placeholder, by its name.
    """

    sql: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def wrapped(self, template: str) -> BoundQuery:
        """This query inside another statement: `template` with `{query}` in it."""
        return BoundQuery(template.format(query=self.sql), self.values)


def bind_parameters(sql: str, parameters: Mapping[str, Any] | None, where: str) -> BoundQuery:
    """Turn every `${params:a.b}` of `sql` into a placeholder bound to the parameter's value.

    Args:
        sql: The SQL text as written.
        parameters: The run's parameters (parameters.yml with `--params` applied).
        where: What holds the text, for messages (`"SQLQueryDataSet sql:"`).

    Raises:
        CatalogError: A referenced parameter is not defined.
    """
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def placeholder(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in names:
            value = get_dotted(parameters or {}, key)
            if is_missing(value):
                raise CatalogError(
                    f"{where}: parameter '{key}' is not defined",
                    hint="add it to conf/base/parameters.yml (--params can then override it)",
                )
            names[key] = f"aether_p{len(names)}"
            values[names[key]] = value
        return f":{names[key]}"

    return BoundQuery(_REFERENCE.sub(placeholder, sql), values)
