"""``embedlab run CONFIG [--out DIR] [--resume [--force-new]]``."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["run_command"]


@click.command("run")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("runs"),
    show_default=True,
    help="Folder that holds run directories.",
)
@click.option("--resume", is_flag=True, help="Continue the newest run of this config from its checkpoints.")
@click.option(
    "--force-new",
    is_flag=True,
    help="With --resume: if the config changed since that run, start a new run instead of refusing.",
)
def run_command(config: Path, out: Path, resume: bool, force_new: bool) -> None:
    """Run the experiment CONFIG and write a run directory with report.html."""
    import logging

    from embedlab.lab.run import run

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("embedlab.lab").setLevel(logging.INFO)
    result = run(config, out, resume=resume, force_new=force_new)
    click.echo(f"report: {result.report}")
