"""``embedlab tune CONFIG``: run a search from the command line and print its summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from embedlab.progress import quiet_option

if TYPE_CHECKING:
    from embedlab.tuning.result import TuneResult

__all__ = ["tune_command"]


def _summary(result: TuneResult, top: int) -> dict[str, Any]:
    """The search's summary as JSON data: objective, counts, best config and metric, the ``top`` trials.

    The best config and metric are ``null`` when no trial reported the objective.
    """
    scored = bool(result.ranked_trials())
    return {
        "metric": result.metric,
        "mode": result.mode,
        "trials": len(result.trials),
        "failed": result.num_failed,
        "best_config": result.best_config if scored else None,
        "best_metric": result.best_metric if scored else None,
        "top_trials": result.top_trials(top),
        "storage_path": None if result.storage_path is None else str(result.storage_path),
    }


@click.command("tune", short_help="Run a hyperparameter search and print its summary.")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("overrides", nargs=-1, metavar="[KEY=VALUE]...")
@click.option(
    "--address",
    default=None,
    help="Ray cluster to join (host:port, ray://host:port or auto); default: RAY_ADDRESS or local.",
)
@click.option("--num-samples", type=int, default=None, help="Trials to run (overrides tune.num_samples).")
@click.option("--max-epochs", type=int, default=None, help="Most epochs a trial (overrides tune.max_epochs).")
@click.option("--storage-path", default=None, help="Where results go (default: runs/<name>/tune).")
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Trials shown in the final summary.",
)
@click.option("--resume", is_flag=True, help="Resume an interrupted search found in the storage path.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the summary as JSON: best config and metric, top trials."
)
@quiet_option
def tune_command(
    config: Path,
    overrides: tuple[str, ...],
    address: str | None,
    num_samples: int | None,
    max_epochs: int | None,
    storage_path: str | None,
    top: int,
    resume: bool,
    as_json: bool,
) -> None:
    """Run the search CONFIG declares, with a live progress table, then print its summary.

    KEY=VALUE items override the file's settings and are validated like it (tune.num_samples=4).
    """
    from embedlab.config import load_config
    from embedlab.progress import is_quiet
    from embedlab.tuning.api import search_problems, tune

    result = tune(
        load_config(config, search_problems, overrides) if overrides else config,
        address=address,
        num_samples=num_samples,
        max_epochs=max_epochs,
        storage_path=storage_path,
        resume=resume or None,
        verbose=0 if as_json else None if is_quiet() else 1,  # --json: stdout holds the JSON alone
    )
    if as_json:
        click.echo(json.dumps(_summary(result, top), indent=2, default=str))
        return
    click.echo(result.summary(top))
    if result.storage_path is not None:
        click.echo(f"\nTable, history and summary written to {result.storage_path}")
