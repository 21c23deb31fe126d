"""Open an HTML page in headless Chromium (Debian's package) and count the images that loaded."""

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
PROBE = (
    "<script>window.addEventListener('load', () => {"
    "const ok = [...document.images].map(i => i.complete && i.naturalWidth > 0);"
    "document.body.setAttribute('data-images', ok.length + ':' + ok.filter(Boolean).length);});</script>"
)


def images_loaded(html_path: Path, profile: Path) -> tuple[int, int]:
    """Open a copy of the page with a probe script; return (images, images that loaded)."""
    probe = html_path.with_name("probe.html")
    probe.write_text(html_path.read_text().replace("</body>", PROBE + "</body>"))
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    total, loaded = re.search(r'data-images="(\d+):(\d+)"', dom).groups()
    return int(total), int(loaded)
