"""The alert webhook never receives a secret, even one recorded in a transition's reason."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from aether.alerts import send_alerts
from aether.state.base import Transition
from aether.support import redaction

SECRET = "s3cr3t-Hunter2-XYZ"


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry of its own for each test (a process otherwise keeps its secrets to the end)."""
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


def test_a_registered_secret_in_a_reason_is_masked_in_the_posted_payload(
    httpserver: HTTPServer,
) -> None:
    redaction.register_credentials({"db": {"password": SECRET}})
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    reason = f"login refused with {SECRET} and https://bob:pa55-word@db/x?token=tok-123456"
    failed = Transition("orders", "failed", reason, 0.0)

    delivered = send_alerts([failed], (httpserver.url_for("/hook"), ("failed",)), "shop")

    assert delivered
    body = json.loads(httpserver.log[0][0].get_data(as_text=True))
    assert body["alerts"][0]["reason"] == (
        "login refused with *** and https://bob:***@db/x?token=***"
    )
