"""Where the state lives: AETHER_STATE_URL over conf/<env>/aether.yml over conf/base's, the
default file otherwise; shared stores keyed by project, environment and namespace; bad
settings refused with what to write instead; a password never shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aether.errors import ConfigError
from aether.state.location import StateLocation
from aether.support.redaction import redact


def _project(root: Path, files: dict[str, str] | None = None) -> Path:
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "prod").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "orders"\n')
    for relative, text in (files or {}).items():
        (root / relative).write_text(text)
    return root


def test_the_default_is_the_projects_own_file(tmp_path: Path) -> None:
    root = _project(tmp_path)

    location = StateLocation.choose(root, "local", environ={})

    assert location.is_default and not location.shared
    assert location.sqlite_path == root / ".aether" / "state.db"
    assert location.lock_file == root / ".aether" / "run.lock"


def test_the_variable_wins_over_the_environments_file_which_wins_over_base(
    tmp_path: Path,
) -> None:
    root = _project(
        tmp_path,
        {
            "conf/base/aether.yml": "state:\n  url: sqlite:///base.db\n  namespace: main\n",
            "conf/prod/aether.yml": "state:\n  url: postgresql://db.internal/aether\n",
        },
    )

    local = StateLocation.choose(root, "local", environ={})
    prod = StateLocation.choose(root, "prod", environ={})
    forced = StateLocation.choose(
        root, "prod", environ={"AETHER_STATE_URL": "sqlite:////tmp/elsewhere.db"}
    )

    assert local.sqlite_path == root / "base.db" and local.lock_file == root / "base.db.run.lock"
    assert prod.shared and prod.namespace == "main"  # namespace from base, url from prod
    assert prod.chosen_by == "state.url in conf/prod/aether.yml"
    assert forced.sqlite_path == Path("/tmp/elsewhere.db")
    assert forced.chosen_by == "AETHER_STATE_URL"


def test_shared_stores_are_apart_per_project_environment_and_namespace(tmp_path: Path) -> None:
    root = _project(tmp_path)
    url = {"AETHER_STATE_URL": "postgresql://db/aether"}

    def schema(env: str, namespace: str | None = None) -> str:
        environ = {**url, **({"AETHER_STATE_NAMESPACE": namespace} if namespace else {})}
        return StateLocation.choose(root, env, environ=environ).schema

    names = {schema("local"), schema("prod"), schema("prod", "feature-x")}
    assert len(names) == 3
    assert all(name.startswith("aether_orders_") and len(name) <= 63 for name in names)
    # Every clone agrees: the name comes from pyproject.toml, not the folder.
    other = _project(tmp_path / "elsewhere")
    assert StateLocation.choose(other, "prod", environ=url).schema == schema("prod")


def test_long_names_fit_postgresqls_63_characters_and_still_differ(tmp_path: Path) -> None:
    root = _project(tmp_path)
    environ = {"AETHER_STATE_URL": "postgresql://db/aether"}
    first = StateLocation.choose(
        root, "prod", environ={**environ, "AETHER_STATE_NAMESPACE": "x" * 90 + "1"}
    )
    second = StateLocation.choose(
        root, "prod", environ={**environ, "AETHER_STATE_NAMESPACE": "x" * 90 + "2"}
    )

    assert len(first.schema) <= 63 and len(second.schema) <= 63
    assert first.schema != second.schema


def test_the_password_is_never_shown_and_is_masked_in_any_output(tmp_path: Path) -> None:
    root = _project(tmp_path)
    environ = {"AETHER_STATE_URL": "postgresql://aether:hunter2-pw@db:5432/aether"}

    location = StateLocation.choose(root, "prod", environ=environ)

    assert "hunter2-pw" not in location.shown
    assert location.shown.startswith("postgresql://aether:***@db:5432/aether")
    assert "hunter2-pw" not in redact("the driver said: password hunter2-pw was wrong")


@pytest.mark.parametrize(
    ("files", "environ", "message"),
    [
        ({"conf/base/aether.yml": "state:\n  ulr: x\n"}, {}, "unknown key 'ulr' under state:"),
        ({"conf/base/aether.yml": "stat: {}\n"}, {}, "unknown key 'stat' at the top level"),
        ({"conf/base/aether.yml": "state: [1]\n"}, {}, "must hold a mapping under state:"),
        ({"conf/base/aether.yml": "state:\n  url: 5\n"}, {}, "must be a URL"),
        ({}, {"AETHER_STATE_URL": "mysql://db/x"}, "not a state store URL Aether knows"),
        ({}, {"AETHER_STATE_URL": "sqlite://relative.db"}, "not a SQLite URL with a file"),
        ({}, {"AETHER_STATE_NAMESPACE": "feature/x"}, "is not a name"),
    ],
)
def test_bad_settings_are_refused_with_what_to_write(
    tmp_path: Path, files: dict[str, str], environ: dict[str, str], message: str
) -> None:
    root = _project(tmp_path, files)

    with pytest.raises(ConfigError, match=message) as raised:
        StateLocation.choose(root, "local", environ=environ)

    assert raised.value.exit_code == 2 and raised.value.hint


def test_an_unknown_key_suggests_the_known_one(tmp_path: Path) -> None:
    root = _project(tmp_path, {"conf/base/aether.yml": "state:\n  namespce: x\n"})

    with pytest.raises(ConfigError) as raised:
        StateLocation.choose(root, "local", environ={})

    assert "namespace" in (raised.value.hint or "")


def test_env_variables_in_the_url_are_read_at_run_time(tmp_path: Path) -> None:
    root = _project(
        tmp_path, {"conf/base/aether.yml": "state:\n  url: sqlite:///${env:STATE_FILE}\n"}
    )

    location = StateLocation.choose(root, "local", environ={})

    assert location.sqlite_path is not None and location.sqlite_path.name == "from-env.db"


@pytest.mark.parametrize(
    "password", ["S3cr:@/%xyzPW", "p@ss#w0rd9", "a/b-secret", "half?query", "100%sure"]
)
def test_a_password_that_is_not_percent_encoded_is_refused_without_showing_it(
    tmp_path: Path, password: str
) -> None:
    # libpq would end the user info or the host inside the password: a piece of it would
    # be named as the server in every error, and the rest sent to the wrong place.
    root = _project(tmp_path)
    environ = {"AETHER_STATE_URL": f"postgresql://aether:{password}@db:5432/aether"}

    with pytest.raises(ConfigError, match="must be percent-encoded") as raised:
        StateLocation.choose(root, "prod", environ=environ)

    said = f"{raised.value.message} {raised.value.hint}"
    assert raised.value.exit_code == 2 and "%40" in said
    pieces = [p for p in re.split(r"[@:/#?%]", password) if len(p) >= 3]
    assert pieces and not any(piece in said for piece in pieces)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://aether:Xy@Hidden7?a=b@db:5432/aether", "Hidden7"),  # '@' then '?k=v'
        ("postgresql://aether:a/b?x=1@db:5432/aether", "a/b"),
        ("pgsql://aether:a/b-Hidden7@db:5432/aether", "Hidden7"),  # a misspelt scheme
        ("postgress://aether:p@ss#Hidden7@db/aether", "Hidden7"),
        ("postgresql:/aether:Hidden7@db:5432/aether", "Hidden7"),  # a slash short
        ("postgresql//aether:Hidden7@db:5432/aether", "Hidden7"),
    ],
)
def test_a_mistyped_url_is_refused_without_any_piece_of_its_password(
    tmp_path: Path, url: str, secret: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        StateLocation.choose(_project(tmp_path), "prod", environ={"AETHER_STATE_URL": url})

    said = f"{raised.value.message} {raised.value.hint}"
    assert raised.value.exit_code == 2 and secret not in said and "aether:" not in said


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://aether:p%40ss%23word%2F%25@db:5432/aether",
        "postgresql://aether@db/aether?options=-c%20x&sslcert=/certs/a@b",
        "postgres://db.internal/aether",
    ],
)
def test_encoded_passwords_and_an_at_sign_in_the_query_are_accepted(
    tmp_path: Path, url: str
) -> None:
    location = StateLocation.choose(_project(tmp_path), "prod", environ={"AETHER_STATE_URL": url})

    assert location.shared and location.url == url


@pytest.mark.parametrize(
    ("files", "environ"),
    [
        ({"conf/prod/aether.yml": "state:\n  url: ${secret:env:STATE_URL}\n"}, {}),
        ({}, {"AETHER_STATE_URL": "postgresql://u:${secret:env:PW}@db/aether"}),
    ],
)
def test_a_secret_reference_in_the_state_url_is_refused(
    tmp_path: Path, files: dict[str, str], environ: dict[str, str]
) -> None:
    root = _project(tmp_path, files)

    with pytest.raises(ConfigError, match=r"only credentials\.yml may hold") as raised:
        StateLocation.choose(root, "prod", environ=environ)

    assert raised.value.exit_code == 2 and "PGPASSWORD" in (raised.value.hint or "")


@pytest.fixture(autouse=True)
def _state_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_FILE", "from-env.db")
