"""``${secret:file:/run/secrets/db}``: a secret kept in a file (Docker and Kubernetes
secrets are mounted that way). One trailing newline is dropped, since editors and
``echo`` add one that is not part of the secret."""

from __future__ import annotations

from pathlib import Path

from aether.secrets.providers import SecretNotFound


class FileSecrets:
    """Reads a file's text; a relative path is relative to the project root.

    Args:
        project_path: The project root (None: the current directory).
    """

    def __init__(self, project_path: Path | None = None) -> None:
        self.project_path = project_path or Path.cwd()

    def __call__(self, name: str) -> str:
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = self.project_path / path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SecretNotFound(f"create {path} or correct the path") from None
        except IsADirectoryError:
            raise SecretNotFound(f"{path} is a folder: name the file inside it") from None
        for ending in ("\r\n", "\n"):
            if text.endswith(ending):
                return text[: -len(ending)]
        return text
