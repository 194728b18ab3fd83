"""What content hashing costs: a large source file touched (new mtime, same bytes).

Aether compares physical signatures first and hashes content only when a signature changed.
This times `aether status` on a project whose 200 MB source was just touched (so it must be
hashed once) against `aether status` with the signature unchanged (no hashing), and reports
the hashing throughput.
"""

from __future__ import annotations

import os
import time

from harness import Context, Result, Samples, aether_command, quiet_env, time_command
from projects import write_project

NAME = "hashing"
TITLE = "Content hashing of a large file (a `touch`ed 200 MB source)"
ORDER = 60
BAR = "no bar: cost reported"

NODE = """def size(raw):
    return {"bytes": len(raw)}
"""


def run(ctx: Context) -> list[Result]:
    megabytes = 50 if ctx.quick else 200
    project = write_project(
        ctx.work_dir / "big_source",
        package="bigsrc",
        modules={"nodes": NODE},
        nodes=[
            {
                "name": "measure",
                "transformation": "bigsrc.nodes.size",
                "inputs": {"raw": "raw_blob"},
                "outputs": "blob_size",
            }
        ],
        catalog={
            "raw_blob": {"type": "PickleDataSet", "filepath": "data/raw_blob.pkl"},
            "blob_size": {"type": "JsonDataSet", "filepath": "data/blob_size.json"},
        },
    )
    blob = project / "data" / "raw_blob.pkl"
    blob.parent.mkdir(parents=True, exist_ok=True)
    import pickle

    blob.write_bytes(pickle.dumps(os.urandom(megabytes * 1024 * 1024)))
    env = quiet_env()
    time_command([aether_command(), "run"], project, env)
    repeats = ctx.repeats(full=5, quick=3)
    touched, unchanged = Samples("status after touch", []), Samples("status, unchanged", [])
    for _ in range(repeats):
        time_command([aether_command(), "status"], project, env)  # settle: nothing racy left
        unchanged.seconds.append(time_command([aether_command(), "status"], project, env))
        later = time.time() + 5  # well clear of the racy window
        os.utime(blob, (later, later))
        touched.seconds.append(time_command([aether_command(), "status"], project, env))
    cost = touched.median - unchanged.median
    size = blob.stat().st_size
    return [
        Result(
            benchmark=NAME,
            title=TITLE.replace("200 MB", f"{size / 1e6:.0f} MB"),
            subject=touched,
            baseline=unchanged,
            figure=f"+{cost * 1e3:.0f} ms to hash ({size / 1e6 / max(cost, 1e-9):.0f} MB/s)",
            bar=BAR,
            met=None,
            method=(
                f"A {size / 1e6:.0f} MB source read by one node. `aether status` right after "
                "`touch` (signature changed: the content is hashed, found unchanged, nothing "
                f"becomes stale) vs `aether status` with nothing changed; {repeats} pairs."
            ),
            notes=[
                "Sources and outputs up to 256 MiB are hashed (SHA-256); larger ones are "
                "versioned by signature only."
            ],
            quick=ctx.quick,
        )
    ]
