"""Stand-ins: run a study written for real data on the data embedlab embeds (``--stand-in``).

The study configs in ``examples/studies/`` name the exercise's datasets (MNIST,
Fashion-MNIST, DermaMNIST, GloVe). Without their files a run refuses; with
``embedlab run CONFIG --stand-in`` every such component is replaced by its embedded stand-in
and everything else (training, study, search) is kept:

============================  ===================================================================
Real component                Stand-in
============================  ===================================================================
dataset ``mnist``             ``digits`` (8x8, 1,797 images), ``flatten``, ``seed`` and
                              ``val_size`` carried over
dataset ``fashion-mnist``     ``digits``, the same way
dataset ``dermamnist``        ``imbalanced-digits`` (digits at DermaMNIST's class proportions),
                              ``flatten`` carried over
backend ``gensim``            ``sbert`` (all-MiniLM-L6-v2 encoded word by word over wordfreq's
(a downloaded or file space)  30,000 most frequent words) when the plugin is installed, else
                              gensim's ``default`` space trained on gensim's shipped corpora
============================  ===================================================================

Each replacement is listed in the section's ``stand-in`` entry of ``metrics.json``, and a
stand-in dataset's own description says what it stands in for, so a report on stand-in data
always says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from embedlab.config import Component, ExperimentConfig
from embedlab.errors import ConfigError, InputError
from embedlab.registry import plugins

__all__ = ["STAND_IN_DATASETS", "require_files", "stand_in", "stand_in_notes"]

#: Real dataset → (its stand-in, the parameters carried over).
STAND_IN_DATASETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mnist": ("digits", ("flatten", "seed", "val_size")),
    "fashion-mnist": ("digits", ("flatten", "seed", "val_size")),
    "dermamnist": ("imbalanced-digits", ("flatten",)),
}

#: The ``sbert`` stand-in's vocabulary: as many words as the quickstart's Study 1 encodes.
_SBERT_VOCABULARY = 30_000


def _dataset(component: Component) -> tuple[Component, str] | None:
    if not isinstance(component.name, str) or component.name not in STAND_IN_DATASETS:
        return None
    name, carried = STAND_IN_DATASETS[component.name]
    params: dict[str, Any] = {k: v for k, v in component.params.items() if k in carried}
    if name == "digits":
        params["stand_in_for"] = component.name
    note = f"dataset {component.name} replaced by the embedded {name}"
    return Component(name=name, params=params), note


def _backend(component: Component) -> tuple[Component, str] | None:
    if component.name != "gensim" or component.params.get("source", "default") == "default":
        return None
    source = component.params.get("source")
    if any(info.name == "sbert" for info in plugins("backend")):
        replacement = Component(name="sbert", params={"vocab_size": _SBERT_VOCABULARY})
        what = f"sbert (all-MiniLM-L6-v2 over wordfreq's {_SBERT_VOCABULARY:,} words)"
    else:
        replacement = Component(name="gensim", params={"source": "default"})
        what = "gensim's default space (trained on gensim's shipped corpora)"
    return replacement, f"word vectors {source} replaced by the embedded {what}"


_REPLACERS: dict[str, Callable[[Component], tuple[Component, str] | None]] = {
    "dataset": _dataset,
    "backend": _backend,
}


def _replace(config: ExperimentConfig) -> tuple[ExperimentConfig, list[str]]:
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for field, replacer in _REPLACERS.items():
        component = getattr(config, field)
        replaced = replacer(component) if component is not None else None
        if replaced is not None:
            changes[field], note = replaced
            notes.append(note)
    return config.model_copy(update=changes), notes


def stand_in(config: ExperimentConfig) -> ExperimentConfig:
    """Return ``config`` with every real dataset and downloaded word space replaced by its stand-in.

    Parts are replaced one by one; a config with nothing to replace is returned unchanged. See
    the module's table for the replacements.
    """
    if config.parts:
        return config.model_copy(update={"parts": [stand_in(part) for part in config.parts]})
    return _replace(config)[0]


def stand_in_notes(config: ExperimentConfig) -> list[str]:
    """What :func:`stand_in` replaces in a config without parts, one sentence each."""
    return _replace(config)[1]


def require_files(config: ExperimentConfig) -> None:
    """Load each real dataset the config names, and look for each gensim word space's file, so that
    a missing file stops the run before it starts.

    Raises
    ------
    ConfigError, InputError
        From the dataset's loader: what it looked for, where, and the command or URL that
        fetches it, and ``--stand-in`` to run on the embedded data instead.
    """
    for part in config.parts or [config]:
        try:
            _require_part(part)
        except (ConfigError, InputError) as exc:
            raise type(exc)(
                f"{exc}; or run the study on embedlab's embedded stand-in with --stand-in "
                "(stand_in=True in Python)"
            ) from None


def _require_part(part: ExperimentConfig) -> None:
    """Load the part's real dataset, and check that its gensim word space's file is on disk."""
    dataset = part.dataset
    if dataset is not None and isinstance(dataset.name, str) and dataset.name in STAND_IN_DATASETS:
        dataset.create("dataset")
    backend = part.backend
    if backend is not None and backend.name == "gensim":
        from embedlab.words.loading import require_source

        source = str(backend.params.get("source", "default"))
        require_source(source, download=bool(backend.params.get("download", True)))
