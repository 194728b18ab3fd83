"""Secrets masked in every spelling a server or a node writes them in, and masked before
any cut (an excerpt cut inside a secret would no longer show the whole secret to mask)."""

from __future__ import annotations

import base64
import urllib.parse

import pytest

from aether.support import redaction
from aether.support.redaction import MASK, redact, redact_then_cut, register, register_credentials

SECRET = "s3cr3t-Hunter2-XYZ"
SPACED = "correct  horse\tbattery staple"
PAIR = b"analyst:" + SPACED.encode()


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_pattern", None)


@pytest.mark.parametrize(
    "spelling",
    [
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(SECRET.encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(SECRET.encode()).decode(),
        base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
        urllib.parse.quote("p@ss/wörd&more", safe=""),
        urllib.parse.quote("p@ss/wörd&more"),  # "/" kept, as in a URL's path
        urllib.parse.quote_plus("p@ss wörd&more"),
    ],
)
def test_the_encoded_spellings_of_a_secret_are_masked(spelling: str) -> None:
    register(SECRET)
    register("p@ss/wörd&more")
    register("p@ss wörd&more")

    assert redact(f"server said: {spelling}.") == "server said: ***."


@pytest.mark.parametrize(
    "spelling",
    ["correct horse battery staple", "correcthorsebatterystaple", "correct  horse\tbattery staple"],
)
def test_a_secret_with_its_whitespace_collapsed_or_removed_is_masked(spelling: str) -> None:
    register(f"  {SPACED} ")

    assert redact(f"[{spelling}]") == "[***]"


@pytest.mark.parametrize(
    "encode",
    [
        base64.b64encode,
        base64.urlsafe_b64encode,
        lambda data: base64.b64encode(data).rstrip(b"="),
        lambda data: base64.urlsafe_b64encode(data).rstrip(b"="),
    ],
)
def test_basic_credentials_of_a_known_user_are_masked_in_every_base64(encode) -> None:
    register_credentials({"api": {"username": "analyst", "password": SPACED}})

    echoed = encode(PAIR).decode()
    assert redact(f"Authorization: Basic {echoed}") == f"Authorization: Basic {MASK}"


def test_the_pair_of_a_url_user_and_password_is_masked_in_base64() -> None:
    register("https://analyst:Hunter2-pass@api.example.com/v1")

    echoed = base64.urlsafe_b64encode(b"analyst:Hunter2-pass").decode().rstrip("=")
    assert redact(f"got {echoed}") == "got ***"


def test_derived_spellings_of_a_short_secret_are_not_masked() -> None:
    # "a b" would collapse to itself and base64 to "YSBi": masking them would garble text.
    register("ab cd")
    register("  xy  z  ")  # long enough, but collapsed "xy z" is not

    assert redact("ab cd, xy z, YWIgY2Q") == "ab cd, xy z, YWIgY2Q"


def test_a_secret_straddling_the_cut_leaves_no_characters_behind() -> None:
    register(SECRET)
    text = "x" * 190 + " " + SECRET + " trailing"

    cut = redact_then_cut(text, 200)

    assert cut == "x" * 190 + " " + MASK + " trail"
    assert "s3cr" not in cut


def test_a_body_read_up_to_a_bound_masks_a_secret_cut_off_at_its_end() -> None:
    register(SECRET)

    assert redact_then_cut("denied: " + SECRET[:9], 200, whole=False) == "denied: ***"
    assert redact_then_cut("denied: " + SECRET[:9], 200) == "denied: " + SECRET[:9]
    assert redact_then_cut("denied: ab", 200, whole=False) == "denied: ab"  # too short to tell


def test_collapsing_whitespace_before_the_cut_masks_what_collapsing_reveals() -> None:
    register(SPACED)

    assert redact_then_cut("[correct \n horse battery   staple]", 200) == "[***]"


def test_basic_auth_built_from_credentials_masks_the_other_base64_forms() -> None:
    from aether.datasets.api_auth import auth_from_credentials

    auth_from_credentials({"username": "analyst", "password": SPACED})

    echoed = base64.urlsafe_b64encode(PAIR).decode().rstrip("=")
    assert redact(echoed) == MASK


def test_a_credential_with_a_control_character_is_refused_without_its_value() -> None:
    from aether.datasets.api_auth import auth_from_credentials

    with pytest.raises(ValueError, match="credentials 'token' holds a control character") as err:
        auth_from_credentials({"token": SECRET + "\n"})
    assert SECRET not in str(err.value)


def test_a_catalog_header_with_a_line_break_is_refused_by_name_not_value() -> None:
    from aether.datasets.api_auth import register_secret_headers

    with pytest.raises(ValueError, match="header 'X-Api-Key' holds a control character") as err:
        register_secret_headers({"Accept": "", "X-Api-Key": SECRET + "\r\n"})
    assert SECRET not in str(err.value)
    assert register_secret_headers({"Accept": "", "X-Note": "a\tb"}) == frozenset()
