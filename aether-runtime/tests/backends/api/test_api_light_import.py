"""The API dataset costs nothing to import: the standard library only, pandas on demand."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_api_dataset_pulls_in_no_pandas() -> None:
    script = (
        "import json, sys\nfrom aether import APIDataSet\n"
        "APIDataSet(url='https://api.example.com/x', credentials={'token': 'tok-123456'})\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout

    assert set(json.loads(out)).isdisjoint({"pandas", "numpy", "pyarrow", "fsspec", "requests"})
