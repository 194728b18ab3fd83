"""Fingerprints: what a node's output depends on, hashed so equality means "nothing changed".

A node's fingerprint covers its code hash, options, the parameter keys it reads and the
versions of its inputs (:func:`node_parts`, :func:`node_fingerprint`); :func:`explain_changes`
turns two fingerprints' parts into reasons (:class:`~aether.verdicts.Reason`: a kind and
details, rendered in words by ``str()``). Output versions come from
:func:`hash_file` (while writing, up to a size) or :func:`hash_object` (in-memory data).

Code hashes live in :mod:`aether.assets.codehash` and are re-exported here.

Example::

    parts = node_parts(code_hash(clean_orders, root), {"drop_test": True},
                       {"cleaning.min_amount": 10}, {"raw_orders": "sha256:..."})
    fingerprint = node_fingerprint(parts)
    [str(r) for r in explain_changes(old_parts, parts)]
    # ["parameter cleaning.min_amount changed from 10 to 20"]
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aether.assets.codehash import (
    canonical_json,
    code_hash,
    code_hash_from_dotted,
    code_hash_from_source,
    sha256_digest,
)
from aether.errors import ConfigError
from aether.support.redaction import redact
from aether.verdicts import Reason, ReasonKind

__all__ = [
    "ALL_PARAMETERS",
    "bounded_params",
    "code_hash",
    "code_hash_from_dotted",
    "code_hash_from_source",
    "explain_changes",
    "fingerprint_of",
    "hash_file",
    "hash_object",
    "node_fingerprint",
    "node_parts",
    "params_for",
    "params_read",
]

ALL_PARAMETERS = "*"
# Parameter values up to this many characters of JSON are stored as they are (enough for
# "changed from 10 to 20"); a larger one is stored as its fingerprint, so the state
# database does not grow with the parameters.
MAX_STORED_PARAM_CHARS = 200
LARGE_VALUE_KEY = "$fingerprint"
TOO_LARGE_TO_SHOW = "value too large to show"
_CHUNK = 1 << 20
_EMPTY_OPTIONS_HASH = sha256_digest(canonical_json({}))


# --------------------------------------------------------------------------- node fingerprints


def params_read(node_inputs: Mapping[str, str] | Iterable[str] | str) -> list[str]:
    """The parameter keys a node reads, sorted: ``params:a.b`` gives ``"a.b"``; the bare
    ``params`` input means every parameter and gives ``["*"]``."""
    if isinstance(node_inputs, str):
        values: Iterable[str] = [node_inputs]
    elif isinstance(node_inputs, Mapping):
        values = node_inputs.values()
    else:
        values = node_inputs
    keys = set()
    for value in values:
        if value == "params":
            return [ALL_PARAMETERS]
        if isinstance(value, str) and value.startswith("params:"):
            keys.add(value[len("params:") :])
    return sorted(keys)


def params_for(keys: Iterable[str], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``keys`` (dotted paths) in ``parameters``; ``"*"`` takes them all."""
    selected: dict[str, Any] = {}
    for key in keys:
        if key == ALL_PARAMETERS:
            selected[key] = dict(parameters)
            continue
        value: Any = parameters
        for part in key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                raise ConfigError(
                    f"Parameter '{key}' is not defined",
                    hint="add it to conf/base/parameters.yml or pass --params",
                )
            value = value[part]
        selected[key] = value
    return selected


def node_parts(
    code_hash: str,
    options: Mapping[str, Any],
    params: Mapping[str, Any],
    input_versions: Mapping[str, str],
) -> dict[str, Any]:
    """What a node's fingerprint is made of, as stored with each materialization."""
    # Most nodes have no options and read few parameters: skip encoding what is empty
    # (status on 10,000 nodes computes this 10,000 times).
    return {
        "code_hash": code_hash,
        "options_hash": sha256_digest(canonical_json(dict(options)))
        if options
        else _EMPTY_OPTIONS_HASH,
        "params": bounded_params(json.loads(canonical_json(dict(params)))) if params else {},
        "inputs": dict(sorted(input_versions.items())),
    }


def bounded_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every value larger than :data:`MAX_STORED_PARAM_CHARS` replaced by
    ``{"$fingerprint": "sha256:..."}``; a large mapping is bounded key by key, so a reason
    still names the key that changed."""
    bounded: dict[str, Any] = {}
    for key, value in params.items():
        encoded = canonical_json(value)
        if len(encoded) <= MAX_STORED_PARAM_CHARS:
            bounded[key] = value
        elif isinstance(value, Mapping) and value:
            bounded[key] = bounded_params(value)
        else:
            bounded[key] = {LARGE_VALUE_KEY: sha256_digest(encoded)}
    return bounded


def node_fingerprint(
    code_hash: str,
    options: Mapping[str, Any],
    params: Mapping[str, Any],
    input_versions: Mapping[str, str],
) -> str:
    """Stable hash (sha256 of canonical JSON) of everything a node's output depends on."""
    return fingerprint_of(node_parts(code_hash, options, params, input_versions))


def fingerprint_of(parts: Mapping[str, Any]) -> str:
    """The fingerprint of stored ``parts`` (see :func:`node_parts`)."""
    return sha256_digest(canonical_json(dict(parts)))


def explain_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], *, node: str | None = None
) -> list[Reason]:
    """Why ``new`` parts differ from ``old`` (of ``node``, named in a code change); empty
    when they are equal."""
    reasons = []
    if old.get("code_hash") != new.get("code_hash"):
        reasons.append(Reason(ReasonKind.CODE_CHANGED, {"node": node}))
    if old.get("options_hash") != new.get("options_hash"):
        reasons.append(Reason(ReasonKind.OPTIONS_CHANGED))
    reasons += _param_reasons(_flatten(old.get("params", {})), _flatten(new.get("params", {})))
    old_inputs, new_inputs = old.get("inputs", {}), new.get("inputs", {})
    for name in sorted(set(old_inputs) | set(new_inputs)):
        if name not in old_inputs:
            reasons.append(Reason(ReasonKind.INPUT_ADDED, {"input": name}))
        elif name not in new_inputs:
            reasons.append(Reason(ReasonKind.INPUT_REMOVED, {"input": name}))
        elif old_inputs[name] != new_inputs[name]:
            reasons.append(Reason(ReasonKind.INPUT_NEW_VERSION, {"input": name}))
    return reasons


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = key if key == ALL_PARAMETERS and not prefix else f"{prefix}{key}"
        if key == ALL_PARAMETERS and not prefix and isinstance(value, Mapping):
            flat.update(_flatten(value))
        elif isinstance(value, Mapping) and value and not _is_large(value):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _param_reasons(old: dict[str, Any], new: dict[str, Any]) -> list[Reason]:
    reasons = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            reasons.append(
                Reason(ReasonKind.PARAM_NOW_READ, {"key": key, "value": _show(new[key])})
            )
        elif key not in new:
            reasons.append(Reason(ReasonKind.PARAM_NO_LONGER_READ, {"key": key}))
        elif old[key] == new[key]:
            continue
        elif _is_large(old[key]) or _is_large(new[key]):
            reasons.append(Reason(ReasonKind.PARAM_CHANGED, {"key": key}))  # too large to show
        else:
            shown = {"old": _show(old[key]), "new": _show(new[key])}
            reasons.append(Reason(ReasonKind.PARAM_CHANGED, {"key": key, **shown}))
    return reasons


def _is_large(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and LARGE_VALUE_KEY in value


def _show(value: Any) -> str:
    if _is_large(value):
        return TOO_LARGE_TO_SHOW
    text = json.dumps(value, default=repr) if not isinstance(value, str) else value
    text = redact(text)  # before the cut, which would leave a secret's start unrecognised
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------- data versions


def hash_file(path: Path | str, max_bytes: int | None) -> str | None:
    """``"sha256:<hex>"`` of the file's content, read in chunks; None when it is larger
    than ``max_bytes`` (None: no limit). OSError propagates (for example, no such file)."""
    digest = hashlib.sha256()
    read = 0
    with open(path, "rb") as handle:
        if max_bytes is not None and os.fstat(handle.fileno()).st_size > max_bytes:
            return None
        while chunk := handle.read(_CHUNK):
            read += len(chunk)
            if max_bytes is not None and read > max_bytes:
                return None  # it grew while we read
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def hash_object(value: Any) -> str:
    """``"sha256:<hex>"`` of in-memory data: pandas objects by their values, index, column
    names and dtypes; JSON-like values as canonical JSON; anything else as pickle bytes."""
    if "pandas" in sys.modules and type(value).__module__.startswith("pandas"):
        hashed = _hash_pandas(value)
        if hashed is not None:
            return hashed
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=True)
        return sha256_digest(b"json:" + text.encode())
    except (TypeError, ValueError):
        pass
    return sha256_digest(b"pickle:" + pickle.dumps(value, protocol=5))


def _hash_pandas(value: Any) -> str | None:
    import pandas as pd  # lazily: `import aether` stays light

    if not isinstance(value, (pd.DataFrame, pd.Series)):
        return None
    try:
        rows = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
    except TypeError:  # unhashable cells (lists, dicts): pickle instead
        return None
    if isinstance(value, pd.DataFrame):
        layout = [[repr(c), str(t)] for c, t in value.dtypes.items()]
    else:
        layout = [[repr(value.name), str(value.dtype)]]
    return sha256_digest(b"pandas:" + canonical_json(layout) + rows)
