"""``embedlab tune CONFIG``: run a search from the command line and print its summary."""

from __future__ import annotations

from pathlib import Path

import click

from embedlab.progress import quiet_option

__all__ = ["tune_command"]


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
        verbose=None if is_quiet() else 1,
    )
    click.echo(result.summary(top))
    if result.storage_path is not None:
        click.echo(f"\nTable, history and summary written to {result.storage_path}")
