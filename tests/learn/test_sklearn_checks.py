"""scikit-learn's own estimator suite on MetricLearner with a tabular backend."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

from embedlab.learn import MetricLearner


def _learner() -> MetricLearner:
    return MetricLearner(model="mlp", miner=None, epochs=1, batch_size=16, progress=False, device="cpu")


@pytest.mark.filterwarnings("ignore")
def test_check_estimator_passes():
    results = check_estimator(_learner(), on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert not failed
    assert any(r["status"] == "passed" for r in results)


def test_feature_names_and_set_output():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)).astype(np.float32), np.repeat(np.arange(4), 10)
    learner = _learner().fit(X, y)
    names = learner.get_feature_names_out()
    dim = learner.transform(X).shape[1]
    assert list(names) == [f"metriclearner{i}" for i in range(dim)]
    out = learner.set_output(transform="pandas").transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(names)
