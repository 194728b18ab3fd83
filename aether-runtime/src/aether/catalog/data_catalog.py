"""`DataCatalog`: datasets by name, built on first use from parsed catalog entries, with the
credentials they name (their `${secret:...}` references resolved then); a name it does not
declare is an in-memory dataset."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aether.catalog.entries import CatalogEntry, parse_entry
from aether.catalog.factory import DataSetFactory
from aether.datasets.base import AbstractDataSet
from aether.datasets.versions import pin
from aether.errors import CatalogError, ConfigError, CredentialsError
from aether.secrets.providers import SecretProviders
from aether.secrets.references import (
    SecretReference,
    all_references,
    resolve_references,
    without_references,
)
from aether.support.redaction import redact_mapping, register, register_credentials
from aether.support.suggestions import did_you_mean


class DataCatalog:
    """Datasets by name, built from catalog.yml (`from_config()`) or from objects.

    A name the catalog does not declare is an in-memory dataset (it lives for one run).
    Datasets of entries are built on first use, so a broken entry only fails what uses it
    (`validate()` builds them all up front).

    Args:
        datasets: Ready-made datasets by name (each gets that name).
        entries: Parsed catalog entries by name, built on first use.
        credentials: The content of credentials.yml; its values are masked in every log
            line and message from then on. A `${secret:<provider>:<name>}` in it is
            resolved when a dataset naming its set is built, and masked from then on.
        credentials_file: Where credentials come from, for messages.
        factory: Builds datasets from entries (default: a new `DataSetFactory`).
        secret_values: Secrets another process already resolved, to mask here too.

    Attributes:
        entries: The parsed catalog entries by name.
        factory: The `DataSetFactory` that builds datasets from entries.
        pinned_versions: Versioned datasets this run reads at an older version, name ->
            version id (`pin_versions()`).

    Example:
        ```python
        catalog = DataCatalog({"orders": PandasCsvDataSet(filepath="data/01_raw/orders.csv")})
        orders = catalog.load("orders")
        ```
    """

    def __init__(
        self,
        datasets: Mapping[str, AbstractDataSet] | None = None,
        *,
        entries: Mapping[str, CatalogEntry] | None = None,
        credentials: Mapping[str, Any] | None = None,
        credentials_file: str = "conf/local/credentials.yml",
        factory: DataSetFactory | None = None,
        secret_values: Iterable[str] = (),
    ) -> None:
        self._datasets: dict[str, AbstractDataSet] = {}
        for name, dataset in (datasets or {}).items():
            dataset.name = name
            self._datasets[name] = dataset
        self.entries: dict[str, CatalogEntry] = dict(entries or {})
        # Versioned datasets read at a version other than the newest in this run
        # (`aether run --load-version NAME=ID`): applied as each dataset is built.
        self.pinned_versions: dict[str, str] = {}
        # Registered here, where every process (a parallel worker too) gets its credentials,
        # so any text this process sends anywhere is masked.
        # A `${secret:...}` reference is a name, not a secret: only literals are masked now,
        # each secret once it is read.
        register_credentials(without_references(credentials))
        for secret in secret_values:
            register(secret)
        self._credentials = credentials
        self._credentials_file = credentials_file
        self.factory = factory or DataSetFactory()
        self._resolved: dict[str, Mapping[str, Any]] = {}
        self._secret_values: list[str] = list(secret_values)
        self._secret_providers: SecretProviders | None = None

    @classmethod
    def from_config(
        cls,
        catalog: Mapping[str, Any],
        *,
        credentials: Mapping[str, Any] | None = None,
        credentials_file: str = "conf/local/credentials.yml",
        project_path: Path | None = None,
        where: Mapping[str, str] | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> DataCatalog:
        """A catalog from the merged content of catalog.yml (entries are built lazily).

        Args:
            catalog: Dataset entries by name; keys starting with `_` (YAML anchors) are skipped.
            credentials: The content of credentials.yml, or None when there is none.
            credentials_file: Where credentials come from, for messages.
            project_path: The project root, against which relative paths are resolved.
            where: The file (and line) defining each entry, for messages.
            parameters: The run's parameters, for datasets that bind them (SQL).

        Raises:
            CatalogError: An entry is malformed (no `type:`, `checks:` not a list...).
        """
        locations = where or {}
        entries = {
            str(name): parse_entry(str(name), raw, locations.get(str(name), "catalog.yml"))
            for name, raw in catalog.items()
            if not str(name).startswith("_")  # `_anchors:` hold YAML anchors, not datasets
        }
        return cls(
            entries=entries,
            credentials=credentials,
            credentials_file=credentials_file,
            factory=DataSetFactory(project_path, parameters),
        )

    def __contains__(self, name: object) -> bool:
        return name in self._datasets or name in self.entries

    def list(self) -> list[str]:
        """The names of every dataset the catalog knows, sorted."""
        return sorted(set(self._datasets) | set(self.entries))

    def is_declared(self, name: str) -> bool:
        """Whether the dataset is stored (an asset), not held in memory for one run.

        A catalog entry of `type: MemoryDataSet` is in memory too: it only documents it.

        Args:
            name: The dataset's name.
        """
        entry = self.entries.get(name)
        if entry is not None:
            return entry.type_name.rsplit(".", 1)[-1] != "MemoryDataSet"
        return name in self._datasets and type(self._datasets[name]).__name__ != "MemoryDataSet"

    def get(self, name: str) -> AbstractDataSet:
        """The dataset called `name`; undeclared names become in-memory datasets.

        Args:
            name: The dataset's name.

        Raises:
            CatalogError: Its entry cannot be built.
            CredentialsError: The credentials it names cannot be found.
        """
        dataset = self._datasets.get(name)
        if dataset is None:
            entry = self.entries.get(name)
            if entry is None:
                from aether.datasets.memory import MemoryDataSet

                dataset = MemoryDataSet()
                dataset.name = name
            else:
                dataset = self.factory.create(entry, self._resolve_credentials(entry))
                if name in self.pinned_versions:
                    pin(dataset, self.pinned_versions[name])
            self._datasets[name] = dataset
        return dataset

    def add(self, name: str, dataset: AbstractDataSet, *, replace: bool = False) -> None:
        """Add a ready-made dataset under `name`.

        Args:
            name: The name to give it.
            dataset: The dataset.
            replace: Replace a dataset already built under that name instead of refusing.

        Raises:
            CatalogError: A dataset is already there and `replace` is False.
        """
        if name in self._datasets and not replace:
            raise CatalogError(f"Dataset '{name}' is already in the catalog")
        dataset.name = name
        self._datasets[name] = dataset

    def load(self, name: str, version: str | None = None) -> Any:
        """Load the dataset called `name` (see `get()`).

        Args:
            name: The dataset's name.
            version: For a `versioned:` dataset, the version to read (the id of the run
                that saved it: `aether catalog versions NAME`); default the newest.

        Raises:
            CatalogError: `version` is given for a dataset that is not versioned.
            DataSetError: That version is not kept (the nearest are named).
        """
        if version is None:
            return self.get(name).load()
        entry = self.entries.get(name)
        if entry is None or entry.versioned is None:
            raise CatalogError(
                f"Dataset '{name}' is not versioned: it has only its newest version",
                hint="add `versioned: true` to its catalog entry to keep every version",
            )
        dataset = self.factory.create(entry, self._resolve_credentials(entry))
        dataset.name = name
        pin(dataset, version)
        return dataset.load()

    def pin_versions(self, wanted: Mapping[str, str]) -> None:
        """Read each versioned dataset of ``wanted`` at the version it names in this run
        (`--load-version NAME=ID`), each checked first: the name is a versioned entry and
        the version is kept.

        Args:
            wanted: Dataset name -> version id (the run that saved it).

        Raises:
            CatalogError: A name is not in the catalog, or not versioned.
            ConfigError: A version is not kept (the nearest kept ones are named).
        """
        from aether.datasets.versions import Versions, versions_hint

        for name, version in wanted.items():
            entry = self.entries.get(name)
            if entry is None:
                raise CatalogError(
                    f"--load-version {name}={version}: the catalog has no dataset '{name}'",
                    hint=did_you_mean(name, self.list()) or "list them: aether catalog list",
                )
            if entry.versioned is None:
                raise CatalogError(
                    f"--load-version {name}={version}: dataset '{name}' ({entry.where}) is "
                    "not versioned",
                    hint="add `versioned: true` to its entry; only later saves are kept",
                )
            kept = Versions(self.get(name)).ids()  # type: ignore[arg-type]
            if version not in kept:
                raise ConfigError(
                    f"--load-version {name}={version}: '{name}' keeps no version '{version}'",
                    hint=versions_hint(version, kept),
                )
        self.pinned_versions.update(wanted)
        for name, version in wanted.items():
            pin(self.get(name), version)

    def save(self, name: str, data: Any) -> None:
        """Save `data` to the dataset called `name` (see `get()`).

        Args:
            name: The dataset's name.
            data: What to store.
        """
        self.get(name).save(data)

    def exists(self, name: str) -> bool:
        """Whether the dataset called `name` has data.

        Args:
            name: The dataset's name.
        """
        return self.get(name).exists()

    def validate(self, names: Iterable[str] | None = None) -> None:
        """Build every (or the named) declared dataset, surfacing config errors early.

        Args:
            names: The datasets to build; None builds every declared one.

        Raises:
            CatalogError: An entry cannot be built.
        """
        for name in sorted(names if names is not None else self.entries):
            if name in self.entries:
                self.get(name)

    def describe(self, name: str) -> dict[str, Any]:
        """Type, location, metadata, checks and freshness of a dataset; never its secrets.

        Redacted here rather than trusted to each `_describe()`: a custom dataset may
        return its connection string.

        Args:
            name: The dataset's name.
        """
        return redact_mapping(self._describe(name))

    def _describe(self, name: str) -> dict[str, Any]:
        entry = self.entries.get(name)
        dataset = self.get(name)
        described = dataset.describe()
        if entry is None:
            return {"name": name, **described}
        return {
            "name": name,
            **described,
            "type": entry.type_name,
            "outside_changes": change_detection(dataset) if self.is_declared(name) else None,
            "metadata": dict(entry.metadata),
            "checks": list(entry.checks),
            "freshness": dict(entry.freshness) if entry.freshness else None,
            "credentials": entry.credentials_ref and f"<{entry.credentials_ref}: hidden>",
            "defined_in": entry.where,
        }

    def connection_text(self, entry: object) -> str | None:
        """The ``con:`` of the credentials ``entry`` names, as written in credentials.yml
        (``${...}`` references unresolved): for checks that must not read a secret or
        connect.

        Args:
            entry: A catalog entry (its ``credentials_ref`` is read).

        Returns:
            The ``con:`` text, or None when there is none to read.
        """
        ref = getattr(entry, "credentials_ref", None)
        found = (self._credentials or {}).get(ref) if isinstance(ref, str) else None
        con = found.get("con") if isinstance(found, Mapping) else None
        return con if isinstance(con, str) else None

    def _resolve_credentials(self, entry: CatalogEntry) -> Mapping[str, Any] | None:
        ref = entry.credentials_ref
        if ref is None:
            return None
        return self.credential_set(ref, f"Dataset '{entry.name}'")

    def credential_set(self, ref: str, user: str) -> Mapping[str, Any]:
        """The credentials set ``ref`` of credentials.yml, its secrets read (once per
        process and set) and masked from then on.

        Args:
            ref: The set's name (`credentials: <ref>`).
            user: Who names it, for messages (`Dataset 'orders'`, `conf/local/lineage.yml`).

        Raises:
            CredentialsError: There is no credentials.yml, no such set, or a secret it
                references cannot be read.
        """
        if self._credentials is None:
            raise CredentialsError(
                f"{user} uses credentials '{ref}', but {self._credentials_file} does not exist",
                hint=f"create {self._credentials_file} with a '{ref}:' entry "
                "(copy credentials.example.yml if the project has one)",
            )
        found = self._credentials.get(ref)
        if not isinstance(found, Mapping):
            known = ", ".join(sorted(self._credentials)) or "none"
            raise CredentialsError(
                f"{user} uses credentials '{ref}', which {self._credentials_file} does not define",
                hint=f"add a '{ref}:' mapping to that file (defined there: {known})",
            )
        if ref not in self._resolved:
            where = f"credentials '{ref}' in {self._credentials_file}"
            self._resolved[ref] = self._resolve_secrets(found, where)
        return self._resolved[ref]

    def _resolve_secrets(self, found: Mapping[str, Any], where: str) -> Mapping[str, Any]:
        """The set with its secrets read: asked for once per process and set, kept in memory
        only, never written anywhere."""

        def read(reference: SecretReference) -> str:
            secret = self._providers().read(reference, where)
            self._secret_values.append(secret)
            return secret

        resolved = {key: resolve_references(item, read, where) for key, item in found.items()}
        register_credentials(resolved)  # a URL around a secret, say, is masked whole too
        return resolved

    def _providers(self) -> SecretProviders:
        if self._secret_providers is None:
            self._secret_providers = SecretProviders(self.factory.project_path)
        return self._secret_providers

    def check_secret_references(self) -> tuple[CredentialsError, ...]:
        """Every `${secret:...}` of credentials.yml well formed and naming a known provider;
        no secret is read. One problem per credential set at most."""
        problems = []
        for ref, found in (self._credentials or {}).items():
            where = f"credentials '{ref}' in {self._credentials_file}"
            try:
                for reference in all_references(found, where):
                    self._providers().check(reference, where)
            except CredentialsError as problem:
                problems.append(problem)
        return tuple(problems)

    @property
    def credentials_file(self) -> str:
        """Where credentials come from, as errors name it (a worker's catalog names it too)."""
        return self._credentials_file

    def credentials_for_worker(self) -> tuple[Mapping[str, Any] | None, tuple[str, ...]]:
        """credentials.yml's content, each set this process resolved in its resolved form,
        and the secrets read: a worker process's catalog takes them (`credentials=`,
        `secret_values=`), so it masks the same values and asks no secret manager again
        (an injected `dbutils` exists only in this process)."""
        if self._credentials is None:
            return None, tuple(self._secret_values)
        shared = {**self._credentials, **self._resolved}
        return shared, tuple(self._secret_values)


def change_detection(dataset: AbstractDataSet) -> str:
    """How the staleness engine notices a change made to the data outside Aether."""
    cls = type(dataset)
    hooks = [
        label
        for label, method in (("signature()", "signature"), ("content_hash()", "content_hash"))
        if getattr(cls, method) is not getattr(AbstractDataSet, method)
    ]
    if not hooks:
        return "not detected: implement signature() (Aether trusts its own record)"
    return "detected by " + " and ".join(hooks)
