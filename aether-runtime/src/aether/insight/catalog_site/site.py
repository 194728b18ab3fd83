"""``build_site``: the catalog's pages written into one folder, with a manifest of what was
written so that a later build removes the pages of assets that are gone, and nothing else."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aether.errors import ConfigError
from aether.insight.catalog_site import asset_page, glossary_page, health_page, index_page
from aether.insight.catalog_site.facts import SiteFacts, gather
from aether.project.context import AetherContext
from aether.support.redaction import redact

MANIFEST = ".aether-catalog.json"
DEFAULT_OUTPUT = Path("docs") / "catalog"


@dataclass(frozen=True)
class SiteResult:
    output: Path
    written: tuple[str, ...]
    removed: tuple[str, ...]


def render_pages(site: SiteFacts) -> dict[str, str]:
    """Every page by its path inside the output folder (always with ``/``)."""
    pages = {
        "index.md": index_page.render(site),
        "glossary.md": glossary_page.render(site),
        "health.md": health_page.render(site),
    }
    for asset in site.assets.values():
        pages[asset_page.page_name(asset.name)] = asset_page.render(asset, site)
    # Secrets never reach a page, whatever a description or a location holds.
    return {path: redact(body).rstrip("\n") + "\n" for path, body in sorted(pages.items())}


def build_site(ctx: AetherContext, output: Path | None = None) -> SiteResult:
    """Write the catalog's pages into ``output`` (default: ``docs/catalog/`` of the project)."""
    folder = output if output is not None else ctx.project_path / DEFAULT_OUTPUT
    _check_folder(folder)
    pages = render_pages(gather(ctx))
    return write_pages(folder, pages)


def write_pages(folder: Path, pages: Mapping[str, str]) -> SiteResult:
    _check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    before = _manifest(folder)
    for relative, body in pages.items():
        target = _inside(root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = body.encode("utf-8")
        if target.is_file() and target.read_bytes() == data:
            continue  # unchanged: its mtime kept, so mkdocs serve does not rebuild for it
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)
    removed = []
    for relative in sorted(set(before) - set(pages)):
        try:
            target = _inside(root, relative)
        except ConfigError:
            continue  # a hand-edited manifest never makes it delete outside the folder
        if target.is_file():
            target.unlink()
            removed.append(relative)
    manifest = {"written_by": "aether catalog docs", "pages": sorted(pages)}
    text = json.dumps(manifest, indent=2) + "\n"
    if before != sorted(pages) or not (folder / MANIFEST).is_file():
        (folder / MANIFEST).write_text(text, encoding="utf-8")
    return SiteResult(folder, tuple(sorted(pages)), tuple(removed))


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"--output {folder} is a file, not a folder",
            hint="name a folder (created if missing), e.g. --output docs/catalog",
        )


def _inside(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if root not in target.parents:
        raise ConfigError(f"The catalog page {relative} would be written outside {root}")
    return target


def _manifest(folder: Path) -> list[str]:
    path = folder / MANIFEST
    try:
        pages = json.loads(path.read_text(encoding="utf-8")).get("pages", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [p for p in pages if isinstance(p, str)]
