"""Who holds secrets: the built-in providers and those other packages register.

A provider is a callable ``(name: str) -> str``: it returns the secret called ``name``, raises
:class:`SecretNotFound` (any ``LookupError`` will do) when there is none, a ``ConfigError``
when the name or the setup is wrong (a missing extra), and anything else when it cannot ask
(unreachable, access denied). Other packages add providers under the entry-point group
``aether.secrets``: the entry point's name is the provider's name, its value the callable::

    [project.entry-points."aether.secrets"]
    vault = "my_package.secrets:read_vault_secret"
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from aether.errors import AetherError, ConfigError, CredentialsError
from aether.secrets.references import SecretReference
from aether.support.redaction import redact
from aether.support.suggestions import did_you_mean

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "aether.secrets"
# name -> factory(project_path) -> provider; imported on first use only (boto3 is heavy).
BUILTIN_PROVIDERS: dict[str, str] = {
    "aws": "aether.secrets.aws.AwsSecretsManager",
    "databricks": "aether.secrets.databricks.DatabricksSecrets",
    "env": "aether.secrets.env.EnvironmentSecrets",
    "file": "aether.secrets.file.FileSecrets",
}

SecretProvider = Callable[[str], str]


class SecretNotFound(LookupError):
    """The provider holds no secret of that name.

    Args:
        hint: What to do about it, for the user (never a secret value).
    """

    def __init__(self, hint: str | None = None) -> None:
        super().__init__(hint or "")
        self.hint = hint


class SecretProviders:
    """The providers one project may use, each built once, on first use.

    Args:
        project_path: The project root (the ``file`` provider reads paths relative to it).
    """

    def __init__(self, project_path: Path | None = None) -> None:
        self.project_path = project_path
        self._providers: dict[str, SecretProvider] = {}
        self._plugins: dict[str, EntryPoint] | None = None

    def known(self) -> list[str]:
        """Every provider name a reference may use: built in, then from entry points."""
        return sorted(set(BUILTIN_PROVIDERS) | set(self._plugin_entry_points()))

    def check(self, reference: SecretReference, where: str) -> None:
        """Raise a CredentialsError when no provider has the reference's name."""
        if reference.provider in BUILTIN_PROVIDERS:
            return
        if reference.provider not in self._plugin_entry_points():
            close = did_you_mean(reference.provider, self.known())
            maybe = f"{close} " if close else ""
            raise CredentialsError(
                f"Unknown secret provider '{reference.provider}' in {reference} ({where})",
                hint=f"{maybe}known providers: {', '.join(self.known())}; a package adds one "
                f"under the entry-point group '{ENTRY_POINT_GROUP}'",
            )

    def read(self, reference: SecretReference, where: str) -> str:
        """The secret ``reference`` names.

        Raises:
            CredentialsError: Unknown provider, no such secret, or the provider could not
                be asked; the message names the provider and the secret, never a value.
        """
        self.check(reference, where)
        provider = self._provider(reference.provider)
        try:
            secret = provider(reference.name)
        except AetherError as error:
            raise type(error)(f"{error.message} ({reference}, {where})", error.hint) from None
        except LookupError as missing:
            hint = getattr(missing, "hint", None) or "check the name and that the secret exists"
            raise CredentialsError(
                f"Secret '{reference.name}' not found by provider '{reference.provider}' ({where})",
                hint=hint,
            ) from None
        except Exception as failure:  # unreachable, denied, a plugin's own error
            raise _unreadable(reference, where, failure) from None
        if not isinstance(secret, str):
            raise CredentialsError(
                f"Provider '{reference.provider}' returned a {type(secret).__name__}, not a "
                f"string, for secret '{reference.name}' ({where})",
                hint="a provider must return the secret as text",
            )
        if not secret:
            # CI systems give an undefined secret as an empty variable: as good as missing,
            # and a driver would otherwise try an empty password (or none at all).
            raise CredentialsError(
                f"Secret '{reference.name}' from provider '{reference.provider}' is empty "
                f"({where})",
                hint="give the secret a value (an undefined CI secret arrives empty)",
            )
        return secret

    def _provider(self, name: str) -> SecretProvider:
        if name not in self._providers:
            if name in BUILTIN_PROVIDERS:
                module, _, attribute = BUILTIN_PROVIDERS[name].rpartition(".")
                factory = getattr(importlib.import_module(module), attribute)
                self._providers[name] = factory(self.project_path)
            else:
                self._providers[name] = _load_plugin(self._plugin_entry_points()[name])
        return self._providers[name]

    def _plugin_entry_points(self) -> dict[str, EntryPoint]:
        if self._plugins is None:
            from importlib.metadata import entry_points  # slow to import: only when needed

            self._plugins = {
                point.name: point
                for point in entry_points(group=ENTRY_POINT_GROUP)
                if point.name not in BUILTIN_PROVIDERS  # a plugin cannot shadow a built-in
            }
        return self._plugins


def _load_plugin(point: EntryPoint) -> SecretProvider:
    try:
        provider: object = point.load()
    except Exception as failure:  # a broken plugin is a setup problem, not a crash
        raise ConfigError(
            f"Secret provider '{point.name}' ({point.value}, entry-point group "
            f"'{ENTRY_POINT_GROUP}') cannot be loaded: {type(failure).__name__}: {failure}",
            hint="reinstall the package that provides it, or fix its entry point",
        ) from None
    if not callable(provider):
        raise ConfigError(
            f"Secret provider '{point.name}' ({point.value}) is not callable",
            hint="its entry point must name a callable (name: str) -> str",
        )
    # Its signature cannot be checked ahead: `read` checks what each call returns.
    return cast(SecretProvider, provider)


def _unreadable(reference: SecretReference, where: str, failure: Exception) -> ConfigError:
    detail = redact(str(failure).strip().splitlines()[0] if str(failure).strip() else "")
    reason = f"{type(failure).__name__}: {detail}" if detail else type(failure).__name__
    return CredentialsError(
        f"Provider '{reference.provider}' could not read secret '{reference.name}' "
        f"({where}): {reason}",
        hint="check that the secret manager is reachable and that you may read this secret",
    )
