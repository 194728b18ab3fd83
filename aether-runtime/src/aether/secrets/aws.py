"""``${secret:aws:NAME}`` and ``${secret:aws:NAME#key}``: AWS Secrets Manager, through boto3
(``aether-data[aws]``).

The region, endpoint and AWS credentials come from the standard AWS environment
(``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``, an instance role...), as for any AWS
tool. ``NAME#key`` reads one key of a secret stored as a JSON object, the form the console
uses for database credentials.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aether.errors import CredentialsError
from aether.secrets.providers import SecretNotFound


class AwsSecretsManager:
    """Asks AWS Secrets Manager; one boto3 client per project, made on first use.

    Args:
        project_path: Unused; every provider factory takes it.
    """

    def __init__(self, project_path: Path | None = None) -> None:
        del project_path
        self._client: Any = None

    def __call__(self, name: str) -> str:
        secret_id, _, key = name.partition("#")
        text = self._secret_string(secret_id)
        return text if not key else _json_key(text, secret_id, key)

    def _secret_string(self, secret_id: str) -> str:
        client = self._get_client()
        try:
            response = client.get_secret_value(SecretId=secret_id)
        except client.exceptions.ResourceNotFoundException:
            raise SecretNotFound(
                f"create '{secret_id}' in AWS Secrets Manager (region "
                f"{client.meta.region_name}) or correct the name"
            ) from None
        if "SecretString" in response:
            return str(response["SecretString"])
        return bytes(response["SecretBinary"]).decode("utf-8")

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                # Typed only where boto3-stubs is installed: both ways must pass.
                import boto3  # type: ignore[import-untyped,unused-ignore]
            except ImportError:
                raise CredentialsError(
                    "${secret:aws:...} needs the 'boto3' package, which is not installed",
                    hint="install it with: uv add 'aether-data[aws]' (or pip install "
                    "'aether-data[aws]')",
                ) from None
            self._client = boto3.client("secretsmanager")
        return self._client


def _json_key(text: str, secret_id: str, key: str) -> str:
    """One key of a secret stored as a JSON object; a number comes back as its text."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None  # the parser's message could quote the secret: never shown
    if not isinstance(data, dict):
        raise CredentialsError(
            f"AWS secret '{secret_id}' is not a JSON object, so it has no key '{key}'",
            hint=f"use ${{secret:aws:{secret_id}}} for the whole secret",
        )
    if key not in data:
        keys = ", ".join(sorted(str(k) for k in data)) or "none"
        raise SecretNotFound(f"AWS secret '{secret_id}' has no key '{key}' (its keys: {keys})")
    value = data[key]
    return value if isinstance(value, str) else json.dumps(value)
