"""``embedlab tune CONFIG``: run a search from the command line and print its summary."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["tune_command"]


@click.command("tune")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
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
@click.option("--quiet", is_flag=True, help="No live progress table, only the summary.")
def tune_command(
    config: Path,
    address: str | None,
    num_samples: int | None,
    max_epochs: int | None,
    storage_path: str | None,
    top: int,
    resume: bool,
    quiet: bool,
) -> None:
    """Run the hyperparameter search CONFIG declares, with a live progress table, then its summary."""
    from embedlab.tuning.api import tune

    result = tune(
        config,
        address=address,
        num_samples=num_samples,
        max_epochs=max_epochs,
        storage_path=storage_path,
        resume=resume or None,
        verbose=None if quiet else 1,
    )
    click.echo(result.summary(top))
    if result.storage_path is not None:
        click.echo(f"\nTable, history and summary written to {result.storage_path}")
