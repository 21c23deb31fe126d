"""Sphinx configuration for embedlab's documentation."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import embedlab

project = "embedlab"
author = "embedlab developers"
release = embedlab.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinxcontrib.autodoc_pydantic",
    "sphinx_click",
]
autosummary_generate = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
autodoc_pydantic_model_show_json = False
autodoc_pydantic_model_show_config_summary = False
autodoc_pydantic_field_list_validators = False
autodoc_pydantic_model_show_validator_summary = False
autodoc_pydantic_model_show_validator_members = False
nitpicky = False
exclude_patterns = ["_build", "_generated"]
html_theme = "alabaster"
intersphinx_mapping: dict[str, tuple[str, None]] = {}


def _make_figures(app: object) -> None:
    """Generate the guides' figures (the quickstart's) before reading any page."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from figures import generate

    generate()


def setup(app: object) -> None:
    """Sphinx extension hook: figures first."""
    app.connect("builder-inited", _make_figures)  # type: ignore[attr-defined]
