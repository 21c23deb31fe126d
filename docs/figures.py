"""Make the guides' figures at docs build time: run the quickstart, copy its figures to _generated/.

The run is skipped when ``_generated/stamp.txt`` already matches the quickstart config and the
installed embedlab version, so rebuilding the docs is quick.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

HERE = Path(__file__).parent
QUICKSTART = HERE.parent / "examples" / "quickstart.yaml"
OUT = HERE / "_generated"


def generate() -> Path:
    """Run the quickstart (once per config and version) and return the folder of figures."""
    import embedlab

    stamp = hashlib.sha256(QUICKSTART.read_bytes() + embedlab.__version__.encode()).hexdigest()
    stamp_file = OUT / "stamp.txt"
    if stamp_file.is_file() and stamp_file.read_text() == stamp:
        return OUT
    shutil.rmtree(OUT, ignore_errors=True)
    result = embedlab.run(QUICKSTART, OUT / "runs")
    for files in result.figures.values():
        for relative in files:
            shutil.copyfile(result.path / relative, OUT / Path(relative).name)
    shutil.copyfile(result.path / "report.md", OUT / "quickstart-report.md")
    stamp_file.write_text(stamp)
    return OUT


if __name__ == "__main__":
    print(generate())
