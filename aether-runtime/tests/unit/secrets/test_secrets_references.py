"""``${secret:<provider>:<name>}``: how references are read, checked and replaced."""

from __future__ import annotations

import pytest

from aether.errors import CredentialsError
from aether.secrets.references import (
    SecretReference,
    all_references,
    find_references,
    has_reference,
    resolve_references,
    without_references,
)
from aether.support import redaction
from aether.support.redaction import MASK

WHERE = "credentials 'db' in conf/local/credentials.yml"


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry of its own for each test (a process otherwise keeps its secrets)."""
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${secret:env:DB_PASSWORD}", [("env", "DB_PASSWORD")]),
        ("${secret:file:/run/secrets/db}", [("file", "/run/secrets/db")]),
        ("${secret:aws:prod/db#password}", [("aws", "prod/db#password")]),
        (
            "${secret:aws:arn:aws:secretsmanager:eu-west-1:123:secret:db}",
            [("aws", "arn:aws:secretsmanager:eu-west-1:123:secret:db")],
        ),
        (
            "postgresql://${secret:env:USER}:${secret:databricks:shop/pw}@db/x",
            [("env", "USER"), ("databricks", "shop/pw")],
        ),
    ],
)
def test_references_are_found_with_names_that_hold_colons_slashes_and_hashes(
    text: str, expected: list[tuple[str, str]]
) -> None:
    found = find_references(text, WHERE)

    assert [(r.provider, r.name) for r in found] == expected


@pytest.mark.parametrize(
    "text",
    ["${secret:env}", "${secret:env:}", "${secret:env:DB_PASSWORD", "${secret::X}", "${secret:}"],
)
def test_a_malformed_reference_is_refused_with_its_place_and_the_form(text: str) -> None:
    with pytest.raises(CredentialsError) as caught:
        find_references(f"x {text}", WHERE)

    assert "Malformed secret reference" in caught.value.message
    assert WHERE in caught.value.message
    assert "${secret:<provider>:<name>}" in (caught.value.hint or "")


def test_all_references_walks_nested_sets_and_ignores_other_values() -> None:
    value = {"host": "db", "port": 5432, "auth": [{"pw": "${secret:env:PW}"}], "tls": True}

    assert all_references(value, WHERE) == [SecretReference("env", "PW")]
    assert has_reference(value) and not has_reference({"host": "db", "port": 5432})


def test_a_whole_reference_becomes_the_secret_and_a_partial_one_is_substituted() -> None:
    secrets = {"PW": "pa55-Word-77", "USER": "app"}
    value = {
        "password": "${secret:env:PW}",
        "con": "postgresql://${secret:env:USER}:${secret:env:PW}@db:5432/shop",
        "port": 5432,
    }

    resolved = resolve_references(value, lambda ref: secrets[ref.name], WHERE)

    assert resolved == {
        "password": "pa55-Word-77",
        "con": "postgresql://app:pa55-Word-77@db:5432/shop",
        "port": 5432,
    }
    assert value["password"] == "${secret:env:PW}"  # the written form is left alone


def test_every_secret_read_is_masked_by_the_time_it_is_returned() -> None:
    resolved = resolve_references(
        {"password": "${secret:env:PW}"}, lambda reference: "s3cr3t-Hunter2-XYZ", WHERE
    )

    assert redaction.redact(f"login with {resolved['password']}") == "login with ***"


def test_a_malformed_reference_stops_before_any_secret_of_the_value_is_read() -> None:
    asked: list[SecretReference] = []

    with pytest.raises(CredentialsError, match="Malformed"):
        resolve_references("${secret:env:A}/${secret:env}", lambda r: asked.append(r) or "", WHERE)

    assert asked == []


def test_without_references_keeps_only_literals_for_early_masking() -> None:
    value = {"user": "app", "password": "${secret:env:PW}", "urls": ["x://${secret:env:U}@h"]}

    assert without_references(value) == {"user": "app", "password": None, "urls": [None]}


URL_SPECIAL = "S3cr:t@p/w%41?#x"  # what RDS and friends generate: every URL delimiter


def test_a_secret_in_a_url_user_info_is_percent_encoded_so_the_url_parses_back_to_it() -> None:
    from sqlalchemy.engine import make_url

    value = {"con": "postgresql+psycopg://${secret:env:USER}:${secret:env:PW}@db:5432/shop"}
    secrets = {"USER": "app@corp", "PW": URL_SPECIAL}

    resolved = resolve_references(value, lambda ref: secrets[ref.name], WHERE)

    url = make_url(resolved["con"])
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "app@corp",
        URL_SPECIAL,
        "db",
        5432,
        "shop",
    )
    assert redaction.redact(resolved["con"]).count(MASK) >= 1
    assert "S3cr" not in redaction.redact(resolved["con"])


def test_a_secret_in_a_url_query_value_is_percent_encoded() -> None:
    from sqlalchemy.engine import make_url

    value = {"con": "snowflake://app@acct/db?password=${secret:env:PW}&role=etl"}

    resolved = resolve_references(value, lambda ref: URL_SPECIAL, WHERE)

    assert make_url(resolved["con"]).query == {"password": URL_SPECIAL, "role": "etl"}


@pytest.mark.parametrize(
    "written",
    [
        "${secret:env:PW}",  # a whole value: taken as is
        "postgresql://app@${secret:env:PW}:5432/shop",  # a host: not encoded
        "Bearer ${secret:env:PW}",  # no URL at all
    ],
)
def test_a_secret_outside_a_url_user_info_or_query_is_put_in_as_is(written: str) -> None:
    resolved = resolve_references({"v": written}, lambda ref: URL_SPECIAL, WHERE)

    assert resolved["v"] == written.replace("${secret:env:PW}", URL_SPECIAL)
