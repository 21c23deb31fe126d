"""Task ``toy``: least squares on one-hot labels, by gradient descent; ``val_score`` is val accuracy."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

import embedlab
from embedlab.hookspecs import Register
from embedlab.lab.rundir import RunDirectory
from embedlab.tasks import Task, blocks_model
from embedlab.tuning.base import Report


class ToyTrain(embedlab.Params):
    epochs: int = Field(5, ge=1, description="Gradient steps over the training split.")
    lr: float = Field(0.1, gt=0, description="Step size.")


class ToyStudy(embedlab.Params):
    title: str = Field("toy", description="Title of the learning curve.")


class ToyTask(Task):
    name = "toy"
    Train, Study = ToyTrain, ToyStudy
    reports, needs = ("epoch", "val_score"), ("dataset",)

    def fit(
        self, config: embedlab.ExperimentConfig, epochs: int, report: Report | None = None, **_: Any
    ) -> dict[str, float]:
        data = config.dataset.create("dataset")  # type: ignore[union-attr]  # in needs: checked first
        (X, y), (Xv, yv) = ((s.X.reshape(len(s.X), -1), s.y) for s in (data["train"], data["val"]))
        W = np.zeros((X.shape[1], int(y.max()) + 1))
        onehot = np.eye(W.shape[1])[y]
        self.history: list[dict[str, float]] = []
        for epoch in range(1, epochs + 1):
            W -= self.train.lr * X.T @ (X @ W - onehot) / len(X)
            self.history.append({"epoch": epoch, "val_score": float(np.mean((Xv @ W).argmax(1) == yv))})
            if report is not None:
                report(self.history[-1])
        return self.history[-1]

    def run_section(
        self, config: embedlab.ExperimentConfig, run: RunDirectory, section: str, resume: bool
    ) -> None:
        import matplotlib.pyplot as plt

        final = self.fit(config, self.train.epochs)
        run.log_metrics(section, {"scores": {"val": final}, "epochs run": len(self.history)})
        fig, ax = plt.subplots()
        ax.plot([r["epoch"] for r in self.history], [r["val_score"] for r in self.history])
        ax.set(xlabel="epoch", ylabel="val_score", title=self.study.title)
        run.add_figure(section, "curve", fig)


@embedlab.hookimpl
def embedlab_register_tasks(register: Register) -> None:
    register("toy", ToyTask, params=blocks_model(ToyTask), summary="least squares, tuned by its lr")
