"""Every ```python block of README.md runs as written (as OML tests its README code).

Each block runs in a fresh interpreter whose working directory is a temporary folder laid out
as a clone's root (``examples/`` beside it), so paths in the snippets resolve as they do for a
reader and anything a snippet writes (``runs/``) lands in the temporary folder. Shell blocks
are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: A fenced block: its language and its body.
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[tuple[str, str]]:
    """``(title, code)`` of each ```python block, titled by the bold line or heading before it."""
    blocks = []
    for match in _FENCE.finditer(text):
        if match.group(1) != "python":
            continue
        before = text[: match.start()].rstrip().splitlines()
        title = next((line for line in reversed(before) if line.startswith(("**", "#"))), "block")
        blocks.append((re.sub(r"\W+", "-", title.split("(")[0]).strip("-").lower(), match.group(2)))
    return blocks


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_blocks_and_the_extraction_sees_each():
    text = "intro\n**1. A**\n```python\nx = 1\n```\n```console\nls\n```\n## B\n```python\ny = 2\n```\n"
    assert python_blocks(text) == [("1-a", "x = 1\n"), ("b", "y = 2\n")]
    assert len(BLOCKS) >= 4


def _marks(code: str) -> list[pytest.MarkDecorator]:
    """The markers a block's test carries: ``ray`` and ``slow`` for a search."""
    return [pytest.mark.ray, pytest.mark.slow] if "embedlab.tune(" in code else [pytest.mark.slow]


@pytest.mark.parametrize("code", [pytest.param(code, id=title, marks=_marks(code)) for title, code in BLOCKS])
def test_readme_python_block_runs_as_written(code, tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "MPLBACKEND": "Agg", "EMBEDLAB_QUIET": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"README block failed:\n{code}\n--- stderr ---\n{result.stderr[-4000:]}"
