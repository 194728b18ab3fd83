"""Check the runtime's built distributions before they are published (the release workflow).

    python scripts/check_dist.py dist 1.4.2

Exactly one sdist and one wheel; both named ``aether-data`` with the version the tag gives; the
project template bundled in both (``aether new`` renders it offline). Prints what is wrong and
exits 1; ``twine check`` covers the rest of the metadata.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

NAME = "aether-data"
PROJECT = "template/{{cookiecutter.project_slug}}/"
WHEEL_TEMPLATE = "aether/_template/"
SDIST_TEMPLATE = "_bundled_template/"


def metadata_problems(text: str, version: str, where: str) -> list[str]:
    headers = HeaderParser().parsestr(text)
    problems = []
    if headers["Name"] != NAME:
        problems.append(f"{where}: Name is {headers['Name']!r}, expected {NAME!r}")
    if headers["Version"] != version:
        problems.append(f"{where}: Version is {headers['Version']!r}, expected {version!r}")
    return problems


def template_problems(names: list[str], prefix: str, where: str) -> list[str]:
    bundled = [name.split(prefix, 1)[1] for name in names if prefix in name]
    problems = []
    if "copier.yml" not in bundled:
        problems.append(f"{where}: no {prefix}copier.yml (the bundled template)")
    if not any(name.startswith(PROJECT) for name in bundled):
        problems.append(f"{where}: no {prefix}{PROJECT} (the bundled template)")
    return problems


def check_wheel(wheel: Path, version: str) -> list[str]:
    if not zipfile.is_zipfile(wheel):
        return [f"{wheel.name}: not a zip archive (a truncated or failed build?); build it again"]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        if metadata is None:
            return [f"{wheel.name}: no METADATA"]
        text = archive.read(metadata).decode()
    return metadata_problems(text, version, wheel.name) + template_problems(
        names, WHEEL_TEMPLATE, wheel.name
    )


def check_sdist(sdist: Path, version: str) -> list[str]:
    if not tarfile.is_tarfile(sdist):
        return [f"{sdist.name}: not a tar archive (a truncated or failed build?); build it again"]
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        info = next((n for n in names if n.count("/") == 1 and n.endswith("/PKG-INFO")), None)
        if info is None:
            return [f"{sdist.name}: no PKG-INFO"]
        member = archive.extractfile(info)
        text = member.read().decode() if member else ""
    return metadata_problems(text, version, sdist.name) + template_problems(
        names, SDIST_TEMPLATE, sdist.name
    )


def check(dist: Path, version: str) -> list[str]:
    """Every problem with the distributions in ``dist`` for release ``version`` (v prefix ok)."""
    version = version.removeprefix("v")
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        found = [p.name for p in wheels + sdists]
        return [f"{dist}: expected one wheel and one sdist, found {found}"]
    return check_wheel(wheels[0], version) + check_sdist(sdists[0], version)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_dist.py DIST_FOLDER VERSION", file=sys.stderr)
        return 2
    problems = check(Path(argv[0]), argv[1])
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(f"{argv[0]}: {NAME} {argv[1].removeprefix('v')}, sdist and wheel with the template")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
