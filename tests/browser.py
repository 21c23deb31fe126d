"""Open an HTML page in headless Chromium (Debian's package) and read what a probe script recorded."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=5000", "--dump-dom",
]  # fmt: skip
IMAGES_PROBE = (
    "const ok = [...document.images].map(i => i.complete && i.naturalWidth > 0);"
    "document.body.setAttribute('data-images', ok.length + ':' + ok.filter(Boolean).length);"
)


def probe_dom(html_path: Path, profile: Path, script: str, window: tuple[int, int] = (1280, 800)) -> str:
    """Open a copy of the page in a ``window``-sized headless Chromium; run ``script`` once it loaded.

    The script records what it finds as attributes of ``document.body``; returns the DOM after it ran.
    """
    probe = html_path.with_name("probe.html")
    listener = f"<script>window.addEventListener('load', () => {{{script}}});</script>"
    probe.write_text(html_path.read_text().replace("</body>", listener + "</body>"))
    return subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--window-size={window[0]},{window[1]}",
            f"--user-data-dir={profile}",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def images_loaded(html_path: Path, profile: Path) -> tuple[int, int]:
    """Open a copy of the page with a probe script; return (images, images that loaded)."""
    dom = probe_dom(html_path, profile, IMAGES_PROBE)
    total, loaded = re.search(r'data-images="(\d+):(\d+)"', dom).groups()
    return int(total), int(loaded)
