"""Write throwaway plugin distributions for tests: real dist-info folders or real pip installs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

GOOD_MODULE = '''
from pydantic import Field

import embedlab


class ScaleParams(embedlab.Params):
    """Parameters of the scale metric."""

    factor: float = Field(2.0, gt=0, description="Multiplier.")


class Scale:
    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, y_true, y_score) -> float:
        return self.factor * len(y_true)


@embedlab.hookimpl
def embedlab_register_metrics(register):
    register("{name}", Scale, params=ScaleParams, summary="a test metric")
'''


def write_dist(site: Path, dist: str, module: str, source: str, version: str = "1.0") -> None:
    """Create ``<site>/<module>.py`` and a ``<dist>-<version>.dist-info`` naming it in group ``embedlab``."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[embedlab]\n{module} = {module}\n")


def pip_install_package(root: Path, target: Path, dist: str, module: str, source: str) -> None:
    """Write a real plugin package under ``root`` and ``pip install`` it into ``target``."""
    pkg = root / dist
    (pkg / "src").mkdir(parents=True)
    (pkg / "src" / f"{module}.py").write_text(textwrap.dedent(source))
    (pkg / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [build-system]
            requires = ["setuptools>=69"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{dist}"
            version = "0.3.0"

            [project.entry-points.embedlab]
            {module} = "{module}"

            [tool.setuptools]
            package-dir = {{"" = "src"}}
            py-modules = ["{module}"]
            """
        )
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(pkg),
        ],
        check=True,
    )
