"""Parameter models of the built-in metrics (pydantic only, so the plugin listing stays light)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from embedlab.params import Params

__all__ = [
    "METRIC_INPUTS",
    "AveragedScoreParams",
    "ClassificationReportParams",
    "ClassificationScoreParams",
    "ClusteringParams",
    "CohenKappaParams",
    "KMeansScoreParams",
    "MetricInputs",
    "MetricParams",
    "declared_inputs",
    "RetrievalParams",
    "SilhouetteParams",
]

#: What a metric is called with, by the name its params model declares as ``inputs``.
METRIC_INPUTS: dict[str, str] = {
    "scores": "metric(y_true, y_score)",
    "embeddings": "metric(embeddings, labels)",
    "retrieval": "metric(query, query_labels, reference, reference_labels)",
}
MetricInputs = Literal["scores", "embeddings", "retrieval"]


class MetricParams(Params):
    """Base of a metric's params model; ``inputs`` declares what the metric is called with.

    A config's ``metrics:`` entry is computed only on a task that produces those inputs
    (see :data:`METRIC_INPUTS`): ``"scores"`` (class scores of a classifier),
    ``"embeddings"`` (embeddings and their labels) or ``"retrieval"`` (embeddings and labels
    searched against a reference set). A third-party metric sets the class attribute on its
    own model, ``inputs: ClassVar[str] = "scores"``.
    """

    inputs: ClassVar[MetricInputs | None] = None


def declared_inputs(params: type[Params]) -> MetricInputs | None:
    """The ``inputs`` a metric's params model declares; ``None`` for a model not of :class:`MetricParams`."""
    return params.inputs if issubclass(params, MetricParams) else None


ScoresField = Literal["auto", "probabilities", "logits", "labels"]
_SCORES_HELP = "How to read y_score: 'auto', 'probabilities', 'logits' (softmax applied) or 'labels'."


class ClassificationScoreParams(MetricParams):
    """Parameters of a classification metric computed from labels and scores."""

    inputs = "scores"

    scores: ScoresField = Field("auto", description=_SCORES_HELP)


class AveragedScoreParams(ClassificationScoreParams):
    """Parameters of ``precision``, ``recall`` and ``f1``."""

    average: Literal["macro", "weighted", "micro"] = Field(
        "macro", description="How per-class values are averaged (macro: every class counts the same)."
    )
    zero_division: float = Field(0.0, ge=0, le=1, description="Value when a denominator is 0.")


class CohenKappaParams(ClassificationScoreParams):
    """Parameters of ``cohen-kappa``."""

    weights: Literal["linear", "quadratic"] | None = Field(
        None, description="Weighting of disagreements: None (all equal), 'linear' or 'quadratic'."
    )


class ClassificationReportParams(ClassificationScoreParams):
    """Parameters of ``classification-report``."""

    recall_target: float = Field(0.8, ge=0, le=1, description="Classes with recall below it are flagged.")
    zero_division: float = Field(0.0, ge=0, le=1, description="Precision/recall/F1 when a denominator is 0.")


class RetrievalParams(MetricParams):
    """Parameters of ``retrieval``."""

    inputs = "retrieval"

    ks: tuple[int, ...] = Field((1, 5, 10), min_length=1, description="k values of precision@k and recall@k.")
    distance: Literal["euclidean", "cosine"] = Field("euclidean", description="Distance between embeddings.")
    device: str = Field("auto", description="'auto' (CUDA when present), 'cpu' or 'cuda[:N]'.")
    chunk_size: int | None = Field(None, gt=0, description="Queries per chunk; None sizes chunks to 64 MiB.")


class KMeansScoreParams(MetricParams):
    """Parameters of ``nmi`` and ``ami`` (k-means on the embeddings)."""

    inputs = "embeddings"

    n_clusters: int | None = Field(None, ge=1, description="k-means clusters; None: one per class.")
    seed: int = Field(0, description="Seed of k-means.")
    n_init: int = Field(3, ge=1, description="k-means restarts; the lowest inertia wins.")
    distance: Literal["euclidean", "cosine"] = Field("euclidean", description="cosine normalises rows first.")


class SilhouetteParams(MetricParams):
    """Parameters of ``silhouette``."""

    inputs = "embeddings"

    distance: Literal["euclidean", "cosine"] = Field("euclidean", description="Distance between embeddings.")
    silhouette_sample_size: int | None = Field(
        10_000, ge=2, description="Rows sampled above this size (the silhouette is O(N²)); None uses all."
    )
    seed: int = Field(0, description="Seed of the sample.")


class ClusteringParams(KMeansScoreParams):
    """Parameters of ``clustering`` (NMI, AMI and silhouette at once)."""

    silhouette_sample_size: int | None = Field(
        10_000, ge=2, description="Rows sampled for the silhouette above this size; None uses all."
    )
