"""Word vectors: loading, training, batched queries, analogy and similarity evaluation, diagnosis.

gensim stays the file format and the trainer; :class:`WordVectors` wraps a gensim
``KeyedVectors`` and answers queries in batches, as matrix products over one
pre-normalised float32 matrix (numpy on CPU, torch on a GPU).

Importing this package is cheap: the heavy modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embedlab.words.diagnosis import AnalogyDiagnosis, diagnose_analogy
    from embedlab.words.evaluation import AnalogyResult, SimilarityResult
    from embedlab.words.training import default_vectors
    from embedlab.words.vectors import WordVectors

__all__ = [
    "AnalogyDiagnosis",
    "AnalogyResult",
    "SimilarityResult",
    "WordVectors",
    "default_vectors",
    "diagnose_analogy",
]

_LAZY = {
    "WordVectors": "embedlab.words.vectors",
    "AnalogyResult": "embedlab.words.evaluation",
    "SimilarityResult": "embedlab.words.evaluation",
    "AnalogyDiagnosis": "embedlab.words.diagnosis",
    "diagnose_analogy": "embedlab.words.diagnosis",
    "default_vectors": "embedlab.words.training",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'embedlab.words' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
