"""Secrets masked by value: the registry, URL passwords, token parameters, logs, caches."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aether.catalog import DataCatalog
from aether.configuration.conf_folder import load_yaml
from aether.run import RedactingFilter
from aether.support import redaction
from aether.support.redaction import (
    redact,
    redact_value,
    register,
    register_credentials,
    url_secret_lines,
)

SECRET = "s3cr3t-Hunter2-XYZ"


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry of its own for each test (a process otherwise keeps its secrets to the end)."""
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


def test_a_registered_credential_is_masked_but_public_keys_and_short_values_are_not() -> None:
    register_credentials(
        {"db": {"host": "db.example.com", "user": "analyst", "password": SECRET, "pin": "1234"}}
    )

    text = redact(f"login analyst@db.example.com with {SECRET} or 1234 failed")

    assert text == "login analyst@db.example.com with *** or 1234 failed"


def test_nested_values_lists_and_numbers_are_registered() -> None:
    register_credentials({"api": {"keys": ["first-key-123", {"deep": 98765432}]}})

    assert redact("first-key-123 and 98765432") == "*** and ***"
    assert redact_value({"pin": 98765432, "note": ["first-key-123"]}) == {
        "pin": "***",
        "note": ["***"],
    }


def test_the_password_of_a_url_credential_is_masked_on_its_own() -> None:
    register_credentials({"warehouse": {"con": f"postgresql://bob:{SECRET}@db:5432/sales"}})

    assert (
        redact(f"driver said: password {SECRET} rejected") == "driver said: password *** rejected"
    )


def test_longer_secrets_are_masked_before_their_prefixes() -> None:
    register("abcdef-1")
    register("abcdef-1-longer")

    assert redact("abcdef-1-longer") == "***"


def test_url_passwords_and_token_parameters_are_masked_without_being_registered() -> None:
    text = (
        "ftp://ana:pa55word-9@example.org/x.csv and "
        "https://h.example/hook?token=tok-123456&x=1 and "
        "X-Amz-Signature=abcdef0123 api_key=zzzzzzzz"
    )

    masked = redact(text)

    assert masked == (
        "ftp://ana:***@example.org/x.csv and "
        "https://h.example/hook?token=***&x=1 and "
        "X-Amz-Signature=*** api_key=***"
    )


def test_ordinary_text_is_left_alone() -> None:
    text = "parameter factor changed from 2 to 3; primary_key=id; see https://example.org/docs"

    assert redact(text) == text


def test_key_and_sig_are_secrets_only_in_a_query_string() -> None:
    assert redact("processing key=customer_id, sig=none") == "processing key=customer_id, sig=none"
    assert redact("https://maps.example/api?key=AIzaSy123&sig=abc999") == (
        "https://maps.example/api?key=***&sig=***"
    )


def test_url_secret_lines_name_literal_secrets_but_not_references() -> None:
    text = (
        "a:\n"
        "  filepath: sftp://bob:hunter22@host/x.csv\n"
        "  url: https://bob:${env:PASSWORD}@host/x\n"
        "  hook: https://h.example/x?token=${env:TOKEN}\n"
        "  other: https://h.example/x?sig=abcdef123\n"
    )

    assert url_secret_lines(text) == [2, 5]


@given(
    secret=st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=6, max_size=30),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_a_registered_secret_never_survives_redaction(secret: str, before: str, after: str) -> None:
    register(secret)

    assert secret not in redact(before + secret + after)


def test_a_catalog_registers_its_credentials_when_built() -> None:
    DataCatalog.from_config({}, credentials={"s3": {"region": "eu-west-1", "secret": SECRET}})

    assert redact(f"{SECRET} in eu-west-1") == "*** in eu-west-1"


def test_the_logging_filter_masks_messages_arguments_and_tracebacks() -> None:
    register(SECRET)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("aether.test_redaction")
    logger.addHandler(handler)
    try:
        logger.warning("connecting with %s", SECRET)
        try:
            raise ValueError(f"refused {SECRET}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)

    logged = stream.getvalue()
    assert SECRET not in logged
    assert "connecting with ***" in logged and "ValueError: refused ***" in logged


def test_the_yaml_cache_never_holds_a_url_with_a_password(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    leaky = tmp_path / "catalog.yml"
    leaky.write_text("a: {filepath: 'sftp://bob:hunter22@host/x.csv'}\n")
    plain = tmp_path / "parameters.yml"
    plain.write_text("factor: 2\n")

    load_yaml(leaky, cache_dir=cache)
    load_yaml(plain, cache_dir=cache)

    cached = [path.read_text() for path in cache.glob("*.json")]
    assert cached == ['{"factor":2}']


def test_the_yaml_cache_never_holds_a_secret_written_under_its_name(tmp_path: Path) -> None:
    """``password: ...`` written in clear in catalog.yml stays in conf/, not in a copy
    under .aether/cache/; a reference (``${env:...}``, ``credentials: <name>``) is no
    secret, so such a file is still cached."""
    cache = tmp_path / "cache"
    leaky = tmp_path / "catalog.yml"
    leaky.write_text("a:\n  filepath: a.csv\n  fs_args: {password: Hunter2-in-clear}\n")
    referenced = tmp_path / "parameters.yml"
    referenced.write_text("b: {credentials: warehouse, fs_args: {token: '${env:TOKEN}'}}\n")

    load_yaml(leaky, cache_dir=cache)
    load_yaml(referenced, cache_dir=cache)

    cached = [path.read_text() for path in cache.glob("*.json")]
    assert cached == ['{"b":{"credentials":"warehouse","fs_args":{"token":"${env:TOKEN}"}}}']
