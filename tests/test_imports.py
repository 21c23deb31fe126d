"""Importing embedlab and listing plugins stays light: no torch, ray, gensim or scikit-learn."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "ray", "gensim", "sklearn")


def test_import_and_listing_pull_in_no_heavy_library():
    code = (
        "import sys, embedlab, embedlab.cli\n"
        "embedlab.plugins()\n"
        "from click.testing import CliRunner\n"
        "assert CliRunner().invoke(embedlab.cli.main, ['plugins']).exit_code == 0\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported at import/listing time: {out.stdout.strip()}"
