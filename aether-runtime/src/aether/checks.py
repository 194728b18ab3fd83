"""Data-quality checks declared in catalog entries, parsed early and run on DataFrames.

A catalog entry's ``checks:`` list holds ``{check: NAME, ...arguments, severity: error|warn}``.
Built-ins: ``not_null``, ``unique``, ``accepted_values``, ``range``, ``row_count``, ``schema``;
any other name containing a dot is a custom check, a callable ``fn(data, **arguments)``
returning ``bool`` or ``(bool, message)``, imported only when it runs.

Example::

    specs = parse_checks("clean_orders", [{"check": "not_null", "columns": ["amount"]}],
                         "conf/base/catalog.yml")
    results = run_checks("clean_orders", df, specs)   # [CheckResult(passed=False,
                                                      #   message="3 null values in amount")]

Null values are ignored by ``unique``, ``accepted_values`` and ``range``: ``not_null`` is the
check for them. ``schema`` compares pandas dtype names, treating ``string``/``str`` as any
string dtype, ``object`` as object or string, and ``datetime64[ns]`` as any datetime64 unit
(pandas 3 infers ``str`` and ``datetime64[us]`` where pandas 2 inferred ``object`` and ``[ns]``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aether.errors import ConfigError
from aether.state.base import CheckResult
from aether.support.suggestions import did_you_mean

SEVERITIES = ("error", "warn")

# name -> (required arguments, optional arguments with defaults)
BUILTIN_CHECKS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "not_null": (("columns",), {}),
    "unique": (("columns",), {"combination": False}),
    "accepted_values": (("column", "values"), {}),
    "range": (("column",), {"min": None, "max": None, "inclusive": True}),
    "row_count": ((), {"min": None, "max": None}),
    "schema": (("columns",), {}),
}


@dataclass(frozen=True)
class CheckSpec:
    """One configured check of one asset."""

    asset: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"

    @property
    def spec_hash(self) -> str:
        """Stable hash of what the check does: a changed spec must be run again."""
        text = json.dumps([self.name, self.args, self.severity], sort_keys=True, default=repr)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    @property
    def label(self) -> str:
        """Short display name, e.g. ``not_null(order_id, amount)`` or ``row_count``."""
        target = self.args.get("columns", self.args.get("column"))
        if isinstance(target, list) and self.name != "schema":
            return f"{self.name}({', '.join(target)})"
        if isinstance(target, str):
            return f"{self.name}({target})"
        return self.name


def parse_checks(
    asset: str, raw: Any, source_hint: str = "conf/base/catalog.yml"
) -> list[CheckSpec]:
    """Validate a catalog entry's ``checks:`` list; raise ConfigError on the first mistake."""
    if raw is None:
        return []
    where = f"Catalog entry '{asset}' ({source_hint})"
    if not isinstance(raw, list):
        raise ConfigError(
            f"{where}: 'checks' must be a list",
            hint="write one '- {check: NAME, ...}' item per check",
        )
    return [_parse_one(where, asset, item) for item in raw]


def _parse_one(where: str, asset: str, item: Any) -> CheckSpec:
    if not isinstance(item, Mapping) or not isinstance(item.get("check"), str):
        raise ConfigError(
            f"{where}: each check needs a 'check' name, got {item!r}",
            hint="write e.g. '- {check: not_null, columns: [order_id]}'",
        )
    args = {k: v for k, v in item.items() if k not in ("check", "severity")}
    name, severity = item["check"], item.get("severity", "error")
    if severity not in SEVERITIES:
        raise ConfigError(
            f"{where}: check '{name}' has severity {severity!r}",
            hint="use 'severity: error' (blocks publishing) or 'severity: warn'",
        )
    if "." in name:  # custom check by dotted path: arguments are the function's business
        return CheckSpec(asset, name, args, severity)
    if name not in BUILTIN_CHECKS:
        hint = did_you_mean(name, BUILTIN_CHECKS)
        raise ConfigError(
            f"{where}: unknown check '{name}'",
            hint=f"{hint} Built-in checks: {', '.join(BUILTIN_CHECKS)}; custom checks are "
            "dotted paths to a function (my_pkg.checks.fn)".lstrip(),
        )
    return CheckSpec(asset, name, _check_args(where, name, args), severity)


def _check_args(where: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    required, optional = BUILTIN_CHECKS[name]
    usage = ", ".join([*required, *(f"{k} (optional)" for k in optional)]) or "none"
    unknown = sorted(set(args) - set(required) - set(optional))
    missing = [k for k in required if k not in args]
    if unknown or missing:
        what = f"unknown argument '{unknown[0]}'" if unknown else f"missing '{missing[0]}'"
        raise ConfigError(f"{where}: check '{name}' has {what}", hint=f"{name} takes: {usage}")
    full = {**optional, **args}
    problem = _argument_problem(name, full)
    if problem:
        raise ConfigError(f"{where}: check '{name}' {problem}", hint=f"{name} takes: {usage}")
    if isinstance(full.get("columns"), str) and name != "schema":
        full["columns"] = [full["columns"]]
    return full


def _argument_problem(name: str, args: dict[str, Any]) -> str | None:
    columns = args.get("columns")
    if name in ("not_null", "unique") and not _names(columns):
        return "needs 'columns' as a column name or a list of them"
    if name == "schema" and not (
        isinstance(columns, Mapping)
        and columns
        and all(isinstance(v, str) for v in columns.values())
    ):
        return "needs 'columns' as a mapping of column name to dtype, e.g. {amount: float64}"
    if name in ("accepted_values", "range") and not isinstance(args.get("column"), str):
        return "needs 'column' as one column name"
    if name == "accepted_values" and not isinstance(args.get("values"), list):
        return "needs 'values' as a list"
    if name in ("range", "row_count") and args["min"] is None and args["max"] is None:
        return "needs 'min', 'max' or both"
    if name == "row_count" and not all(
        v is None or (isinstance(v, int) and not isinstance(v, bool))
        for v in (args["min"], args["max"])
    ):
        return "needs whole numbers for 'min' and 'max'"
    return None


def _names(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


# --------------------------------------------------------------------------- running


def run_checks(asset: str, data: Any, specs: Sequence[CheckSpec]) -> list[CheckResult]:
    """Run ``specs`` on ``data``; a check that raises becomes a failed result, never an error."""
    return [_run_one(asset, data, spec) for spec in specs]


def failed_errors(results: Sequence[CheckResult]) -> list[CheckResult]:
    """The failed error-level results: those that block publishing."""
    return [r for r in results if not r.passed and r.severity == "error"]


def _run_one(asset: str, data: Any, spec: CheckSpec) -> CheckResult:
    try:
        if "." in spec.name:
            passed, message = _run_custom(data, spec)
        elif not _is_dataframe(data):
            passed = False
            message = f"{spec.name} needs a pandas DataFrame, got {type(data).__name__}"
        else:
            passed, message = _BUILTINS[spec.name](data, **spec.args)
    except Exception as exc:
        passed, message = False, f"check raised {type(exc).__name__}: {exc}"
    return CheckResult(
        asset, spec.label, spec.severity, passed, message, time.time(), spec.spec_hash
    )


def _is_dataframe(data: Any) -> bool:
    if "pandas" not in sys.modules:  # cannot be a DataFrame, and keeps pandas unimported
        return False
    import pandas as pd

    return isinstance(data, pd.DataFrame)


def _run_custom(data: Any, spec: CheckSpec) -> tuple[bool, str]:
    module_name, _, attr = spec.name.rpartition(".")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        return False, f"cannot import custom check {spec.name}: {type(exc).__name__}: {exc}"
    outcome = fn(data, **spec.args)
    passed, message = outcome if isinstance(outcome, tuple) else (outcome, None)
    if not isinstance(passed, bool) and type(passed).__name__ != "bool_":  # numpy.bool_
        return False, f"{spec.name} returned {outcome!r}; expected a bool or (bool, message)"
    passed = bool(passed)
    return passed, message or ("passed" if passed else "failed")


def _missing(df: Any, columns: Sequence[str]) -> str | None:
    absent = [c for c in columns if c not in df.columns]
    if not absent:
        return None
    return f"column {', '.join(absent)} not found (columns: {', '.join(map(str, df.columns))})"


def _example(values: Any) -> str:
    shown = [repr(v) if isinstance(v, str) else str(v) for v in list(values)[:3]]
    return ", ".join(shown)


def _not_null(df: Any, columns: list[str]) -> tuple[bool, str]:
    if problem := _missing(df, columns):
        return False, problem
    counts = {c: int(df[c].isna().sum()) for c in columns}
    bad = [f"{n} null values in {c}" for c, n in counts.items() if n]
    return (not bad), "; ".join(bad) or f"no null values in {', '.join(columns)}"


def _unique(df: Any, columns: list[str], combination: bool) -> tuple[bool, str]:
    if problem := _missing(df, columns):
        return False, problem
    groups = [columns] if combination or len(columns) == 1 else [[c] for c in columns]
    bad = []
    for group in groups:
        frame = df[group].dropna()
        dupes = frame[frame.duplicated()]
        if len(dupes):
            shown = dupes.iloc[:, 0] if len(group) == 1 else dupes.apply(tuple, axis=1)
            what = group[0] if len(group) == 1 else f"({', '.join(group)}) combination"
            bad.append(f"{len(dupes)} duplicate {what} values (e.g. {_example(shown.unique())})")
    return (not bad), "; ".join(bad) or f"{', '.join(columns)} unique"


def _accepted_values(df: Any, column: str, values: list[Any]) -> tuple[bool, str]:
    if problem := _missing(df, [column]):
        return False, problem
    series = df[column].dropna()
    wrong = series[~series.isin(values)]
    if len(wrong):
        return False, (
            f"{len(wrong)} values in {column} outside the accepted values "
            f"(e.g. {_example(wrong.unique())})"
        )
    return True, f"all values in {column} accepted"


def _range(df: Any, column: str, min: Any, max: Any, inclusive: bool) -> tuple[bool, str]:
    if problem := _missing(df, [column]):
        return False, problem
    series = df[column].dropna()
    bad = []
    if min is not None:
        below = series[series < min] if inclusive else series[series <= min]
        if len(below):
            bad.append(f"{len(below)} values in {column} below {min} (e.g. {_example(below)})")
    if max is not None:
        above = series[series > max] if inclusive else series[series >= max]
        if len(above):
            bad.append(f"{len(above)} values in {column} above {max} (e.g. {_example(above)})")
    return (not bad), "; ".join(bad) or f"all values in {column} within range"


def _row_count(df: Any, min: int | None, max: int | None) -> tuple[bool, str]:
    rows = len(df)
    if min is not None and rows < min:
        return False, f"{rows} rows, expected at least {min}"
    if max is not None and rows > max:
        return False, f"{rows} rows, expected at most {max}"
    return True, f"{rows} rows"


def _schema(df: Any, columns: dict[str, str]) -> tuple[bool, str]:
    bad = []
    for column, expected in columns.items():
        if column not in df.columns:
            bad.append(f"column {column} missing")
        elif not _dtype_matches(df[column].dtype, expected):
            bad.append(f"column {column} is {df[column].dtype}, expected {expected}")
    return (not bad), "; ".join(bad) or "schema matches"


def _dtype_matches(actual: Any, expected: str) -> bool:
    import pandas as pd

    name = str(actual)
    is_string = isinstance(actual, pd.StringDtype)
    if name == expected:
        return True
    if expected in ("string", "str"):
        return is_string
    if expected == "object":
        return is_string
    if expected.startswith("datetime64"):
        _, _, rest = expected.partition(",")
        expected_tz = rest.strip(" ]") or None
        actual_tz = getattr(actual, "tz", None)
        return actual.kind == "M" and str(actual_tz) == str(expected_tz)
    try:
        return bool(actual == pd.api.types.pandas_dtype(expected))
    except TypeError:
        return False


_BUILTINS: dict[str, Callable[..., tuple[bool, str]]] = {
    "not_null": _not_null,
    "unique": _unique,
    "accepted_values": _accepted_values,
    "range": _range,
    "row_count": _row_count,
    "schema": _schema,
}
