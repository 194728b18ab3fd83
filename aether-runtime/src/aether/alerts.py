"""Alerts: a log line for every asset that goes down, and an optional webhook.

Configured in ``conf/<env>/alerts.yml`` (or ``conf/base``)::

    webhook:
      url: ${env:AETHER_ALERT_WEBHOOK}   # keep the URL out of git: it often holds a token
      on: [failed, missing, overdue]     # the default; add `stale` or `recovered` if wanted

The webhook receives one JSON POST per run with the transitions that match. A webhook that
fails is logged (without its URL) and never fails the run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aether.configuration.conf_folder import ConfigLoader
from aether.errors import ConfigError
from aether.state.base import Transition
from aether.support.redaction import redact, register
from aether.verdicts import ReasonKind, Status

logger = logging.getLogger("aether.alerts")
DEFAULT_EVENTS = ("failed", "missing", "overdue")
KNOWN_EVENTS = ("failed", "missing", "overdue", "stale", "recovered")


def event_of(transition: Transition) -> str:
    """The alert event a transition is: its status, ``overdue`` or ``recovered``."""
    if transition.status == Status.FRESH:
        return "recovered"
    if transition.status == Status.STALE and transition.reason_kind is ReasonKind.OVERDUE:
        return "overdue"
    return str(transition.status)


def parse_webhook(config: Mapping[str, Any], where: str) -> tuple[str, tuple[str, ...]] | None:
    """``(url, events)`` from the content of alerts.yml, or None when no webhook is set."""
    webhook = config.get("webhook")
    if webhook is None:
        return None
    if not isinstance(webhook, Mapping) or not isinstance(webhook.get("url"), str):
        raise ConfigError(
            f"{where}: `webhook:` needs a `url:`",
            hint="e.g. webhook: {url: ${env:AETHER_ALERT_WEBHOOK}}",
        )
    # YAML 1.1 reads an unquoted `on:` key as the boolean True.
    url = webhook["url"]
    if not url.lower().startswith(("http://", "https://")):
        raise ConfigError(
            f"{where}: the webhook `url:` must start with http:// or https://",
            hint="check the value (it is not shown here: webhook URLs often hold a token)",
        )
    register(url)  # a webhook URL is a credential: whoever has it can post
    # YAML reads a bare `on` key as the boolean true.
    events_raw = webhook.get("on", webhook.get(True)) or DEFAULT_EVENTS
    events = (events_raw,) if isinstance(events_raw, str) else tuple(events_raw)
    unknown = [e for e in events if e not in KNOWN_EVENTS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown alert event(s) {unknown}",
            hint=f"use any of: {', '.join(KNOWN_EVENTS)}",
        )
    return url, events


def send_alerts(
    transitions: Sequence[Transition],
    webhook: tuple[str, tuple[str, ...]] | None,
    project: str,
    *,
    timeout: float = 5.0,
) -> bool:
    """Log the transitions that went down; POST the matching ones. True if a POST succeeded."""
    for transition in transitions:
        if event_of(transition) in ("failed", "missing", "overdue"):
            why = transition.reason and redact(transition.reason)
            logger.warning("asset %s is %s: %s", transition.asset, transition.status, why)
    if webhook is None:
        return False
    url, events = webhook
    matching = [t for t in transitions if event_of(t) in events]
    if not matching:
        return False
    body = json.dumps(
        {
            "project": project,
            "alerts": [
                {
                    "asset": t.asset,
                    "event": event_of(t),
                    "status": str(t.status),
                    "reason": t.reason and redact(t.reason),
                    "at": t.at,
                }
                for t in matching
            ],
        }
    ).encode()
    return _post(url, body, timeout)


def _post(url: str, body: bytes, timeout: float) -> bool:
    """POST ``body`` as JSON; True on a 2xx answer. Failures are logged without the URL."""
    import urllib.error  # imported here: most runs send no alert, and it costs ~10 ms
    import urllib.request

    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status  # urlopen's answer is untyped in the stubs
            return 200 <= status < 300
    except urllib.error.HTTPError as exc:
        logger.warning("alert webhook answered HTTP %s; alerts not delivered", exc.code)
    except ValueError:  # a malformed URL: its text may hold the token, so never echo it
        logger.warning("alert webhook URL is malformed; alerts not delivered")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        kind = type(reason).__name__
        logger.warning("alert webhook unreachable (%s); alerts not delivered", kind)
    return False


def read_webhook(config: ConfigLoader) -> tuple[str, tuple[str, ...]] | None:
    """The alert webhook of ``conf/<env>/alerts.yml`` (or base), if any."""
    layer = config.get("alerts.yml")
    return parse_webhook(layer.data, "alerts.yml") if layer.files else None
