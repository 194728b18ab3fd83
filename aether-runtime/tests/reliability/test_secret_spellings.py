"""Secrets in every spelling: an API that echoes the credentials it was sent back in an error
body, cut, whitespace-collapsed or base64-encoded, and a secret file ending in line breaks.

A real HTTP server (pytest-httpserver) answers 401 with the echo; each case then looks for the
secret, in the spelling the server used, in the run's output, ``status --json``, ``viz``, the
log file and ``.aether/state.db``.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from .conftest import assert_no_secret, assert_no_traceback, error_line

Aether = Callable[..., subprocess.CompletedProcess[str]]
MakeProject = Callable[..., Path]

TOKEN = "ghp-Zq8Lw3Xv9Kp2Rt7Yb4Nm6Hc1Jd5"
USER = "bob"
PASSWORD = "pa>>ss?~word-99  and   more"  # runs of spaces, a `+` and `/` in its base64

LOGGING = """\
version: 1
disable_existing_loggers: false
handlers:
  file: {class: logging.FileHandler, filename: logs/aether.log, level: INFO}
root: {level: INFO, handlers: [file]}
"""


def api_project(make_project: MakeProject, url: str, credentials: str, **files: str) -> Path:
    """The fixture project with ``numbers`` read from the API at ``url`` as ``api``."""
    source = (
        f"numbers:\n  type: APIDataSet\n  url: {url}\n  credentials: api\n"
        "  load_args: {records: data}\n"
    )
    return make_project(
        catalog=lambda catalog: source + "doubled:" + catalog.split("doubled:")[1],
        local={"credentials.yml": credentials, "logging.yml": LOGGING},
        files={"logs/.keep": "", **files},
    )


def echo(httpserver: HTTPServer, body: str) -> str:
    """The API exists (HEAD answers) but refuses the read with ``body``."""
    httpserver.expect_request("/numbers", method="HEAD").respond_with_data("", status=200)
    httpserver.expect_request("/numbers", method="GET").respond_with_data(body, status=401)
    return httpserver.url_for("/numbers")


def run_everything(aether: Aether, project: Path) -> list[subprocess.CompletedProcess[str]]:
    """run (failing on the 401), then status --json and viz, which show the failure."""
    run = aether(project, "run")
    assert run.returncode != 0, run.stdout + run.stderr
    assert "401" in run.stdout + run.stderr, run.stderr
    assert_no_traceback(run)
    status = aether(project, "status", "--json")
    viz = aether(project, "viz")
    for result in (status, viz):
        assert_no_traceback(result)
    return [run, status, viz]


def test_an_error_excerpt_cut_inside_a_token_shows_no_part_of_it(
    make_project: MakeProject, aether: Aether, httpserver: HTTPServer
) -> None:
    # The token straddles the 200th character of the excerpt: cut first, then masked, its
    # first dozen characters were no longer the registered token and went out in clear.
    body = "denied: " + "x" * 180 + " " + TOKEN + " is not valid here"
    url = echo(httpserver, body)
    project = api_project(make_project, url, f"api:\n  token: {TOKEN}\n")
    results = run_everything(aether, project)
    assert "x" * 100 in results[0].stdout + results[0].stderr  # the excerpt is shown
    assert_no_secret(TOKEN[:12], project, *results)
    assert_no_secret(TOKEN[:7], project, *results)


def test_a_password_echoed_with_its_spaces_collapsed_is_masked(
    make_project: MakeProject, aether: Aether, httpserver: HTTPServer
) -> None:
    collapsed = " ".join(PASSWORD.split())
    url = echo(httpserver, f"no user {USER} with password [{collapsed}] or [{PASSWORD}]")
    project = api_project(
        make_project, url, f"api:\n  username: {USER}\n  password: '{PASSWORD}'\n"
    )
    results = run_everything(aether, project)
    assert_no_secret(collapsed, project, *results)
    assert_no_secret("ss?~word-99 and more", project, *results)


@pytest.mark.parametrize(
    "spelling",
    ["urlsafe", "urlsafe-unpadded", "standard-unpadded"],
)
def test_basic_credentials_echoed_in_another_base64_are_masked(
    make_project: MakeProject, aether: Aether, httpserver: HTTPServer, spelling: str
) -> None:
    pair = f"{USER}:{PASSWORD}".encode()
    encoded = {
        "urlsafe": base64.urlsafe_b64encode(pair).decode(),
        "urlsafe-unpadded": base64.urlsafe_b64encode(pair).decode().rstrip("="),
        "standard-unpadded": base64.b64encode(pair).decode().rstrip("="),
    }[spelling]
    assert encoded != base64.b64encode(pair).decode()  # a spelling masked before this fix
    url = echo(httpserver, f"bad basic credentials {encoded}; try again")
    project = api_project(
        make_project, url, f"api:\n  username: {USER}\n  password: '{PASSWORD}'\n"
    )
    results = run_everything(aether, project)
    assert_no_secret(encoded.rstrip("="), project, *results)


def test_a_secret_file_ending_in_a_newline_authenticates(
    make_project: MakeProject, aether: Aether, httpserver: HTTPServer
) -> None:
    # Every editor ends a file with a newline: it is not part of the token (as for Docker and
    # Kubernetes secrets), so the header carries the token alone.
    httpserver.expect_request(
        "/numbers", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"data": [{"n": 1}, {"n": 2}]})
    project = api_project(
        make_project,
        httpserver.url_for("/numbers"),
        "api:\n  token: ${secret:file:secrets/api_token}\n",
        **{"secrets/api_token": TOKEN + "\r\n"},
    )
    result = aether(project, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "data/03_primary/total.csv").read_text().splitlines()[1] == "6"


def test_a_secret_with_a_line_break_left_in_a_header_is_one_line_naming_the_key(
    make_project: MakeProject, aether: Aether, httpserver: HTTPServer
) -> None:
    # Only one trailing newline is dropped: a second one (or one inside) cannot go in a header,
    # where it would split the request. One line naming the credential, never its value.
    httpserver.expect_request("/numbers").respond_with_json({"data": [{"n": 1}]})
    project = api_project(
        make_project,
        httpserver.url_for("/numbers"),
        "api:\n  token: ${secret:file:secrets/api_token}\n",
        **{"secrets/api_token": TOKEN + "\n\n"},
    )
    results = [aether(project, "run"), aether(project, "status"), aether(project, "viz")]
    line = error_line(results[0])
    assert "'numbers'" in line and "credentials 'token'" in line, line
    assert "control character" in line, line
    for result in results:
        assert_no_traceback(result)
    assert len(httpserver.log) == 0  # refused before anything was sent
    assert_no_secret(TOKEN, project, *results)
