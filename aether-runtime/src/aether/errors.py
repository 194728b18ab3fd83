"""The errors Aether raises, each with a message, a hint and an exit code.

The library never prints or exits; it raises one of these and the CLI turns it into one
line (`error: <message> — <hint>`) and the exit code on the class.

```text
AetherError                      exit 2: bad input unless said otherwise
├── ConfigError                  conf/ files, parameters, --params, environments
│   └── CredentialsError         a missing credentials file, key or secret
├── CatalogError                 catalog entries, dataset types
├── DataSetError                 loading, saving or probing one dataset (exit 1)
├── PipelineError                pipeline.yml, nodes, selection, transformations, and
│                                a node returning outputs that do not match pipeline.yml
│   └── CycleError               the DAG has a cycle
├── NodeFailedError              a transformation raised (exit 1)
├── CheckFailedError             an error-level data-quality check failed (exit 1)
├── StateError                   the state store (.aether/state.db)
└── LockError                    another run holds the project lock (exit 1)

RunInterrupted (a BaseException) SIGINT / SIGTERM stopped a run (exit 130 / 143)
```
"""

from __future__ import annotations

from typing import Any


class AetherError(Exception):
    """Base of every error Aether raises on purpose.

    `str(error)` is the message followed by the hint in parentheses; the CLI prints them as
    `error: <message> — <hint>` and exits with `exit_code`.

    Args:
        message: What failed, and which object and where (a dataset, a file and line).
        hint: What to do about it, if there is something to say.

    Attributes:
        message: What failed, and which object and where.
        hint: What to do about it, or None.
        exit_code: The CLI's exit code for this error: 2 (bad input) unless the class
            says otherwise.

    Example:
        ```python
        try:
            run_pipeline("path/to/project")
        except AetherError as error:
            print(error.message, error.hint, error.exit_code)
        ```
    """

    exit_code: int = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[type[AetherError], tuple[str, str | None], dict[str, Any]]:
        # Errors cross process boundaries (parallel runner): keep the hint and any details
        # (such as a worker's traceback text) when pickled.
        return (type(self), (self.message, self.hint), dict(self.__dict__))

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class ConfigError(AetherError):
    """A configuration file or override is wrong."""


class CredentialsError(ConfigError):
    """A dataset names credentials that cannot be found, or a secret they reference cannot
    be read (malformed reference, unknown provider, not found, unreachable)."""


class CatalogError(AetherError):
    """A catalog entry is wrong: unknown type, bad arguments."""


class DataSetError(AetherError):
    """Loading, saving or probing a dataset failed.

    Attributes:
        exit_code: 1: a run failure, not bad input.
    """

    exit_code = 1


class PipelineError(AetherError):
    """pipeline.yml, a node, a node selection or a transformation is wrong."""


class CycleError(PipelineError):
    """The pipeline's nodes depend on each other in a cycle."""


class NodeFailedError(AetherError):
    """A node's transformation raised.

    Attributes:
        exit_code: 1: a run failure, not bad input.
        details: The transformation's traceback as text (secrets masked), when it raised;
            shown with `--debug`.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, *, details: str | None = None):
        super().__init__(message, hint)
        self.details = details


class CheckFailedError(AetherError):
    """An error-level data-quality check failed, so the output was not published.

    Attributes:
        exit_code: 1: a run failure, not bad input.
        check_results: Every check run on the node's outputs (`CheckResult`s), failed or not.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        # `CheckResult`s: that class sits layers above this module, which imports nothing.
        check_results: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(message, hint)
        self.check_results = tuple(check_results)


class StateError(AetherError):
    """The state store cannot be read or written."""


class StateNotWritableError(StateError):
    """The state store is sound but this user may not write it (another user's project, a
    read-only mount): a look can still answer, a run cannot."""


class LockError(AetherError):
    """Another run holds the project lock.

    Attributes:
        exit_code: 1: a run failure, not bad input.
    """

    exit_code = 1


class RunInterrupted(BaseException):
    """A signal (SIGINT, SIGTERM) stopped a run.

    Not an AetherError, and not even an Exception: nothing on the way up may mistake it for
    a node failure and carry on. The orchestrator marks the nodes it stops ``aborted`` (in
    ``aborted``) and lets it through; the CLI exits ``128 + signal number`` (Unix custom).
    Catch it around `run_pipeline()` to clean up, then re-raise.

    Args:
        signum: The signal's number.

    Attributes:
        signum: The signal's number (`signal.SIGINT`...).
        signal_name: Its name (`SIGINT`).
        exit_code: `128 + signum`, what the CLI exits with.
        aborted: The nodes that were running, marked aborted in the state store.
    """

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + signum
        self.aborted: list[str] = []
        super().__init__(f"stopped by {self.signal_name}")
