"""The outcome of a search: every trial in a table, the best one, a summary and retraining."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from embedlab.errors import ConfigError, InputError
from embedlab.tuning.base import TrialRecord, describe_value, is_retrainable

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from ray.tune import ExperimentAnalysis

    from embedlab.tuning.base import Retrainable, Trainable
    from embedlab.tuning.settings import TuneSettings

__all__ = ["RetrainReport", "TuneResult", "best_value", "short_names"]

RESULT_FILE = "result.json"
"""The file in a search's folder that :meth:`TuneResult.load` reads."""


def best_value(values: list[Any], mode: str) -> float:
    """The largest (``mode="max"``) or smallest finite number in ``values``; NaN when there is none."""
    finite = [v for v in values if isinstance(v, int | float) and math.isfinite(v)]
    if not finite:
        return math.nan
    return max(finite) if mode == "max" else min(finite)


def short_names(paths: Iterable[str]) -> dict[str, str]:
    """Each dotted parameter path by its last part (``backend.units`` → ``units``), as KerasTuner
    names hyperparameters; a path whose last part another path shares keeps its full name."""
    paths = list(paths)
    last = [path.rsplit(".", 1)[-1] for path in paths]
    return {path: name if last.count(name) == 1 else path for path, name in zip(paths, last, strict=True)}


class TuneResult:
    """Every trial of a search, failed ones included.

    Parameters
    ----------
    trials
        One record per trial.
    metric, mode
        The objective and whether larger (``"max"``) or smaller (``"min"``) is better. A
        trial's score is its best value of ``metric`` over its epochs.
    max_epochs
        The most epochs a trial could train.
    storage_path
        Where the tuner wrote its files, if anywhere.
    experiment_path
        The tuner's own folder for the search (Ray Tune's experiment folder for the ``ray``
        tuner), read by :meth:`experiment_analysis`; default: ``storage_path``.
    trainable
        The trainable searched; needed by :meth:`retrain_best`.
    baseline
        Parameter values of the untuned baseline for :meth:`retrain_best`.
    wall_time_s
        Wall time of the whole search.
    """

    def __init__(
        self,
        trials: list[TrialRecord],
        metric: str,
        mode: str,
        max_epochs: int,
        storage_path: str | Path | None = None,
        trainable: Retrainable | None = None,
        baseline: dict[str, Any] | None = None,
        wall_time_s: float = math.nan,
        experiment_path: str | Path | None = None,
    ) -> None:
        self.trials = list(trials)
        self.metric = metric
        self.mode = mode
        self.max_epochs = max_epochs
        self.storage_path = None if storage_path is None else Path(storage_path)
        self.experiment_path = self.storage_path if experiment_path is None else Path(experiment_path)
        self.trainable = trainable
        self.baseline = dict(baseline or {})
        self.wall_time_s = wall_time_s

    @classmethod
    def of_search(
        cls,
        trials: list[TrialRecord],
        settings: TuneSettings,
        trainable: Trainable,
        folder: str | Path,
        wall_time_s: float,
    ) -> TuneResult:
        """What a tuner returns: the result of a finished search, also written into ``folder``.

        Parameters
        ----------
        trials
            One record per trial, failed ones included.
        settings
            The search's settings: they give the metric, mode, epoch limit and baseline.
        trainable
            The trainable searched; kept for :meth:`retrain_best` when it can retrain.
        folder
            The search's folder, where :meth:`save` writes the tables and the summary.
        wall_time_s
            Wall time of the whole search.
        """
        result = cls(
            trials,
            metric=settings.metric,
            mode=settings.mode,
            max_epochs=settings.epoch_limit(),
            storage_path=folder,
            trainable=trainable if is_retrainable(trainable) else None,
            baseline=settings.baseline,
            wall_time_s=wall_time_s,
        )
        result.save(folder)
        return result

    def score(self, trial: TrialRecord) -> float:
        """A trial's best value of the metric over its epochs.

        NaN if it never reported the metric, or failed: the epochs a failed trial reported
        (before it diverged, say) do not make it a candidate for the best.
        """
        if trial.status == "failed":
            return math.nan
        return best_value([row.get(self.metric, math.nan) for row in trial.history], self.mode)

    @property
    def param_names(self) -> list[str]:
        """The searched parameters, in first-seen order."""
        names: dict[str, None] = {}
        for trial in self.trials:
            names.update(dict.fromkeys(trial.params))
        return list(names)

    @property
    def table(self) -> pd.DataFrame:
        """One row per trial: id, status, parameters, score, epochs, times, error, node info.

        The score column is named after the metric and holds the trial's best value (NaN for
        a failed trial).
        """
        rows = []
        for trial in self.trials:
            train_time = max((row.get("train_time_s", 0.0) for row in trial.history), default=0.0)
            rows.append(
                {
                    "trial_id": trial.trial_id,
                    "status": trial.status,
                    **{name: trial.params.get(name) for name in self.param_names},
                    self.metric: self.score(trial),
                    "epochs": len(trial.history),
                    "time_s": trial.time_s,
                    "train_time_s": train_time,
                    "error": trial.error,
                    **trial.info,
                }
            )
        columns = [
            "trial_id",
            "status",
            *self.param_names,
            self.metric,
            "epochs",
            "time_s",
            "train_time_s",
            "error",
        ]
        return pd.DataFrame(rows, columns=list(dict.fromkeys(columns + [k for r in rows for k in r])))

    @property
    def history(self) -> pd.DataFrame:
        """Every reported epoch of every trial, one row each, with a ``trial_id`` column."""
        rows = [{"trial_id": t.trial_id, **row} for t in self.trials for row in t.history]
        return pd.DataFrame(rows)

    def ranked_trials(self) -> list[TrialRecord]:
        """Trials that reported the metric and did not fail, best first."""
        scored = [t for t in self.trials if math.isfinite(self.score(t))]
        return sorted(scored, key=self.score, reverse=self.mode == "max")

    @property
    def best_trial(self) -> TrialRecord:
        """The trial with the best score.

        Raises
        ------
        ConfigError
            When no trial reported the metric (every one failed, or the metric name is wrong).
        """
        ranked = self.ranked_trials()
        if not ranked:
            reported = sorted({k for t in self.trials for row in t.history for k in row})
            raise ConfigError(
                f"no trial reported metric {self.metric!r} without failing ({len(self.trials)} trials, "
                f"{sum(t.status == 'failed' for t in self.trials)} failed); reported metrics: "
                f"{', '.join(reported) or 'none'}"
            )
        return ranked[0]

    @property
    def best_config(self) -> dict[str, Any]:
        """The best trial's parameter values, by dotted path (``{"backend.units": 352, ...}``)."""
        return dict(self.best_trial.params)

    @property
    def best_metric(self) -> float:
        """The best trial's score."""
        return self.score(self.best_trial)

    @property
    def num_failed(self) -> int:
        """How many trials failed."""
        return sum(t.status == "failed" for t in self.trials)

    def top_trials(self, n: int = 10) -> list[dict[str, Any]]:
        """The ``n`` best trials, best first, one row each, as KerasTuner's ``results_summary`` lists them.

        Returns
        -------
        list of dict
            ``{"rank": 1, "trial": <id>, "hyperparameters": {"units": 352, "lr": 0.001},
            "score": 0.8916, "epochs": 10, "status": "completed"}`` per trial. Parameters go by
            :func:`short_names`; the score is the trial's best value of the objective.
        """
        names = short_names(self.param_names)
        return [
            {
                "rank": rank,
                "trial": trial.trial_id,
                "hyperparameters": {names[k]: v for k, v in trial.params.items()},
                "score": self.score(trial),
                "epochs": len(trial.history),
                "status": trial.status,
            }
            for rank, trial in enumerate(self.ranked_trials()[:n], start=1)
        ]

    def summary(self, n: int = 10) -> str:
        """The top ``n`` trials and every failed one, as text (like KerasTuner's ``results_summary``)."""
        top = self.top_trials(n)
        lines = [
            "Results summary",
            f"Results in {self.storage_path}" if self.storage_path else "Results in memory",
            f"Showing {len(top)} best trials of {len(self.trials)}",
            f'Objective(name="{self.metric}", direction="{self.mode}")',
        ]
        counts = pd.Series([t.status for t in self.trials]).value_counts()
        lines.append("Trials: " + ", ".join(f"{count} {status}" for status, count in counts.items()))
        for row in top:
            lines += ["", f"Trial {row['trial']} summary ({row['status']}, {row['epochs']} epochs)"]
            lines.append("Hyperparameters:")
            lines += [f"{name}: {describe_value(value)}" for name, value in row["hyperparameters"].items()]
            lines.append(f"Score: {row['score']:.4f}")
        failed = [t for t in self.trials if t.status == "failed"]
        if failed:
            lines += ["", f"Failed trials ({len(failed)}):"]
            for trial in failed:
                params = ", ".join(f"{k}={describe_value(v)}" for k, v in trial.params.items())
                lines.append(f"Trial {trial.trial_id} ({params}): {trial.error}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        best = f"{self.best_metric:.4f}" if self.ranked_trials() else "n/a"
        return f"TuneResult({len(self.trials)} trials, {self.num_failed} failed, best {self.metric}={best})"

    def plot(self, **kwargs: Any) -> Figure:
        """The metric by epoch for every trial; see :func:`embedlab.plots.tuning.plot_trials`."""
        from embedlab.plots.tuning import plot_trials

        return plot_trials(self, **kwargs)

    def save(self, directory: str | Path) -> Path:
        """Write ``trials.csv``, ``history.csv``, ``summary.txt`` and ``result.json`` into ``directory``.

        Each file is written atomically; ``result.json`` holds every trial and is what
        :meth:`load` reads back.
        """
        from embedlab.io import atomic_write, write_json

        out = Path(directory)
        write_json(
            out / RESULT_FILE,
            {
                "metric": self.metric,
                "mode": self.mode,
                "max_epochs": self.max_epochs,
                "wall_time_s": self.wall_time_s,
                "baseline": self.baseline,
                "experiment_path": None if self.experiment_path is None else str(self.experiment_path),
                "trials": [asdict(trial) for trial in self.trials],
            },
        )
        with atomic_write(out / "trials.csv") as fh:
            self.table.to_csv(fh, index=False)
        with atomic_write(out / "history.csv") as fh:
            self.history.to_csv(fh, index=False)
        with atomic_write(out / "summary.txt") as fh:
            fh.write(self.summary() + "\n")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> TuneResult:
        """Read back a result that :meth:`save` (or a tuner) wrote into ``directory``.

        The loaded result has no trainable, so it cannot :meth:`retrain_best`; parameter
        values that JSON cannot hold come back as their ``str``. Its :attr:`experiment_path`
        is the tuner's folder recorded at save time, so :meth:`experiment_analysis` still
        finds Ray's files when they have not moved.

        Raises
        ------
        InputError
            ``directory`` holds no ``result.json``, or it is not JSON or not a saved result
            (the message names the file).
        """
        from embedlab.io import read_json

        path = Path(directory) / RESULT_FILE
        fix = "point to a folder written by TuneResult.save or a tuner"
        data = read_json(path, what="tuning result", fix=fix)
        try:
            return cls(
                [TrialRecord(**trial) for trial in data["trials"]],
                metric=str(data["metric"]),
                mode=str(data["mode"]),
                max_epochs=int(data["max_epochs"]),
                storage_path=directory,
                baseline=dict(data["baseline"]),
                wall_time_s=float(data["wall_time_s"]),
                # results saved before experiment_path was recorded: the folder itself
                experiment_path=(data["experiment_path"] if "experiment_path" in data else None) or directory,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{str(path)!r} is not a saved tuning result ({type(exc).__name__}: {exc}); {fix}"
            ) from None

    def experiment_analysis(self) -> ExperimentAnalysis:
        """Ray Tune's own view of the search: a :class:`ray.tune.ExperimentAnalysis` of its folder.

        It reads what Ray wrote under :attr:`experiment_path` (``experiment_state-*.json`` and
        each trial's ``result.json`` and ``progress.csv``): every reported row
        (``.trial_dataframes``), each trial's config (``.get_all_configs()``), its folder
        (``.get_best_trial(metric, mode).path``), for Ray's tools. Ray's TensorBoard files are
        in that folder too: ``tensorboard --logdir <experiment_path>``.

        Raises
        ------
        InputError
            When the result has no folder, or its folder holds no Ray Tune experiment (a search
            by another tuner, or files moved since), naming the folder.
        """
        from ray.tune import ExperimentAnalysis

        folder = self.experiment_path
        fix = "point to the folder the ray tuner wrote (tune.storage_path/tune.name)"
        if folder is None or not folder.is_dir():
            raise InputError(f"this search has no Ray Tune folder ({str(folder)!r} is not a folder); {fix}")
        try:
            return ExperimentAnalysis(str(folder), default_metric=self.metric, default_mode=self.mode)
        except (ValueError, FileNotFoundError) as exc:
            first = str(exc).splitlines()[0]
            raise InputError(f"{str(folder)!r} holds no Ray Tune experiment ({first}); {fix}") from None

    def retrain_best(
        self, epochs: int | None = None, baseline: dict[str, Any] | None = None, progress: bool = True
    ) -> RetrainReport:
        """Retrain the best configuration and a baseline for ``epochs`` epochs, and compare them.

        Parameters
        ----------
        epochs
            Epochs for both runs (the tuning exercise retrained for 50); default: ``max_epochs``.
        baseline
            Parameter values of the baseline by dotted path (the tuning exercise's was
            ``{"backend.units": 512, "train.lr": 0.01}``); parameters left out take the
            settings' ``baseline``, then the component's default.
        progress
            Show progress bars (only when stderr is a terminal).

        Raises
        ------
        ConfigError
            If the result holds no trainable (it came from a bare tuner call) or no trial succeeded.
        """
        if self.trainable is None:
            raise ConfigError("this result has no trainable to retrain; use embedlab.tune(config)")
        epochs = epochs or self.max_epochs
        best = self.best_config
        base = {**self.trainable.default_params(list(best)), **self.baseline, **(baseline or {})}
        runs = {}
        for label, params in (("best", best), ("baseline", base)):
            history: list[dict[str, Any]] = []
            final = self.trainable.run(params, epochs, history.append, evaluate_test=True, progress=progress)
            runs[label] = (params, pd.DataFrame(history), final)
        return RetrainReport(
            metric=self.metric,
            epochs=epochs,
            best_params=runs["best"][0],
            baseline_params=runs["baseline"][0],
            best_history=runs["best"][1],
            baseline_history=runs["baseline"][1],
            best_final=runs["best"][2],
            baseline_final=runs["baseline"][2],
        )


@dataclass
class RetrainReport:
    """The best configuration and a baseline, each retrained for the same epochs.

    Attributes
    ----------
    metric, epochs
        The objective and the epochs both runs trained.
    best_params, baseline_params
        Their parameter values.
    best_history, baseline_history
        One row per epoch.
    best_final, baseline_final
        The final metrics, with ``n_params`` and the test split's scores when there is one.
    """

    metric: str
    epochs: int
    best_params: dict[str, Any]
    baseline_params: dict[str, Any]
    best_history: pd.DataFrame
    baseline_history: pd.DataFrame
    best_final: dict[str, float]
    baseline_final: dict[str, float]

    @property
    def table(self) -> pd.DataFrame:
        """The final metrics of both runs, one column each."""
        return pd.DataFrame({"best": self.best_final, "baseline": self.baseline_final})

    def models(self) -> list[dict[str, Any]]:
        """One row per model, best first: its parameters, size and final metrics.

        Returns
        -------
        list of dict
            ``{"model": "best", "hyperparameters": {"units": 352, "lr": 0.001}, "n_params": 279850,
            "train_accuracy": ..., "val_accuracy": ..., ...}``: the final metrics of the run
            (``test_*`` too when there is a test split), parameters by :func:`short_names`.
        """
        rows = []
        for label, params, final in (
            ("best", self.best_params, self.best_final),
            ("baseline", self.baseline_params, self.baseline_final),
        ):
            names = short_names(params)
            scores = {k: v for k, v in final.items() if k not in {"epoch", "epoch_time_s", "n_params"}}
            size = {"n_params": int(final["n_params"])} if "n_params" in final else {}
            rows.append(
                {
                    "model": label,
                    "hyperparameters": {names[k]: v for k, v in params.items()},
                    **size,
                    **scores,
                }
            )
        return rows

    def summary(self) -> str:
        """Both runs' parameters and final metrics, and the difference in the objective."""

        def params(p: dict[str, Any]) -> str:
            return ", ".join(f"{k}={describe_value(v)}" for k, v in p.items())

        lines = [
            f"Retrained for {self.epochs} epochs",
            f"best:     {params(self.best_params)}",
            f"baseline: {params(self.baseline_params)}",
            "",
            self.table.to_string(float_format=lambda v: f"{v:.4f}"),
        ]
        if self.metric in self.best_final and self.metric in self.baseline_final:
            gain = self.best_final[self.metric] - self.baseline_final[self.metric]
            lines += ["", f"{self.metric}: best - baseline = {gain:+.4f}"]
        return "\n".join(lines)

    def plot(self, **kwargs: Any) -> Figure:
        """Learning curves of both runs; see :func:`embedlab.plots.tuning.plot_retrain`."""
        from embedlab.plots.tuning import plot_retrain

        return plot_retrain(self, **kwargs)
