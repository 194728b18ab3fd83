"""scripts/check_dist.py on distributions built wrong: one `error:` line each, exit 1.

The archives are made here, small and by hand; tests/test_bundled_template.py checks a real build.
"""

from __future__ import annotations

import importlib.util
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_dist.py"
TEMPLATE_FILES = ("copier.yml", "template/{{cookiecutter.project_slug}}/Makefile")


def load_script():
    spec = importlib.util.spec_from_file_location("check_dist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_dist = load_script()


def metadata(version: str) -> str:
    return f"Metadata-Version: 2.4\nName: aether-data\nVersion: {version}\n"


def make_wheel(dist: Path, version: str, template: bool = True) -> None:
    with zipfile.ZipFile(dist / f"aether_data-{version}-py3-none-any.whl", "w") as archive:
        archive.writestr(f"aether_data-{version}.dist-info/METADATA", metadata(version))
        for name in TEMPLATE_FILES if template else ():
            archive.writestr(f"aether/_template/{name}", "x")


def make_sdist(dist: Path, version: str) -> None:
    root = f"aether_data-{version}"
    files = {f"{root}/PKG-INFO": metadata(version)}
    files |= {f"{root}/_bundled_template/{name}": "x" for name in TEMPLATE_FILES}
    with tarfile.open(dist / f"{root}.tar.gz", "w:gz") as archive:
        for name, text in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))


def run(dist: Path, version: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = check_dist.main([str(dist), version])
    return code, capsys.readouterr().err


def test_good_distributions_pass(tmp_path, capsys):
    make_wheel(tmp_path, "1.4.2")
    make_sdist(tmp_path, "1.4.2")

    assert run(tmp_path, "v1.4.2", capsys) == (0, "")


def test_a_wheel_without_the_template_fails(tmp_path, capsys):
    make_wheel(tmp_path, "1.4.2", template=False)
    make_sdist(tmp_path, "1.4.2")

    code, err = run(tmp_path, "v1.4.2", capsys)

    assert code == 1
    assert "no aether/_template/copier.yml (the bundled template)" in err


def test_a_wrong_version_fails(tmp_path, capsys):
    make_wheel(tmp_path, "1.4.2")
    make_sdist(tmp_path, "1.4.2")

    code, err = run(tmp_path, "v1.5.0", capsys)

    assert code == 1
    assert "Version is '1.4.2', expected '1.5.0'" in err


def test_a_corrupt_wheel_is_one_error_line_not_a_traceback(tmp_path, capsys):
    (tmp_path / "aether_data-1.4.2-py3-none-any.whl").write_text("truncated")
    make_sdist(tmp_path, "1.4.2")

    code, err = run(tmp_path, "v1.4.2", capsys)

    assert code == 1
    assert err == (
        "error: aether_data-1.4.2-py3-none-any.whl: not a zip archive (a truncated or failed "
        "build?); build it again\n"
    )


def test_a_corrupt_sdist_is_one_error_line_not_a_traceback(tmp_path, capsys):
    make_wheel(tmp_path, "1.4.2")
    (tmp_path / "aether_data-1.4.2.tar.gz").write_text("truncated")

    code, err = run(tmp_path, "v1.4.2", capsys)

    assert code == 1
    assert "aether_data-1.4.2.tar.gz: not a tar archive" in err
