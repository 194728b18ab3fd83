"""A store that cannot be reached at run time fails what depends on it, not the whole run:
exit 1, the dataset and its host:port named, no password anywhere, the nodes reading it held
back, every other node run, and the last good outputs kept."""

from __future__ import annotations

import json
import socket
from pathlib import Path

PASSWORD = "Sup3rS3cretPw"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _project(make_project, port: int) -> Path:
    def catalog(text: str) -> str:
        text = text.replace(
            "numbers:\n  type: PandasCsvDataSet\n  filepath: data/01_raw/numbers.csv",
            "numbers:\n  type: SQLTableDataSet\n  table_name: numbers\n  credentials: wh",
        )
        return text + (
            "other:\n  type: PandasCsvDataSet\n  filepath: data/01_raw/other.csv\n"
            "other_out:\n  type: PandasCsvDataSet\n  filepath: data/04_feature/other_out.csv\n"
        )

    def pipeline(text: str) -> str:
        return text.replace(
            "default: main",
            "      - name: copy_other\n"
            "        transformation: mini.nodes.passthrough\n"
            "        inputs: {rows: other}\n"
            "        outputs: other_out\n"
            "default: main",
        )

    con = f"postgresql+psycopg://etl:{PASSWORD}@127.0.0.1:{port}/warehouse"
    return make_project(
        catalog=catalog,
        pipeline=pipeline,
        local={"credentials.yml": f"wh:\n  con: {con}\n"},
        files={"data/01_raw/other.csv": "a\n1\n"},
    )


def test_an_unreachable_source_holds_back_its_readers_and_the_rest_runs(
    make_project, aether
) -> None:
    port = _closed_port()
    project = _project(make_project, port)
    (project / "data/03_primary").mkdir(parents=True)
    (project / "data/03_primary/total.csv").write_text("n\n6\n")  # a last good output

    result = aether(project, "run")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "copy_other  succeeded" in result.stdout
    assert "double      skipped" in result.stdout and "total       skipped" in result.stdout
    assert f"127.0.0.1:{port}" in result.stdout
    assert "not run because a source they read failed: double, total" in result.stdout
    assert (project / "data/03_primary/total.csv").read_text() == "n\n6\n"

    shown = json.loads(aether(project, "status", "--json").stdout)
    numbers = next(a for a in shown["assets"] if a["name"] == "numbers")
    assert numbers["status"] == "failed"
    assert numbers["reason"].startswith("cannot be read: Dataset 'numbers'")

    everything = [result.stdout, result.stderr, json.dumps(shown)]
    everything += [
        p.read_bytes().decode("utf-8", "replace")
        for p in project.rglob("*")
        if p.is_file() and "credentials.yml" not in p.name
    ]
    assert not any(PASSWORD in text for text in everything)


def test_the_source_read_again_once_reachable(make_project, aether, postgres_server) -> None:
    port = _closed_port()
    project = _project(make_project, port)
    aether(project, "run")
    url = postgres_server.database()
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("create table numbers (n int)"))
        connection.execute(sa.text("insert into numbers values (1), (2), (3)"))
    engine.dispose()
    (project / "conf/local/credentials.yml").write_text(f"wh:\n  con: {url}\n")

    result = aether(project, "run")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "double succeeded" in result.stdout and "total succeeded" in result.stdout
    assert (project / "data/03_primary/total.csv").read_text().splitlines()[-1] == "12"
